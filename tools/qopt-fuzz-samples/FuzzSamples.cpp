//===- FuzzSamples.cpp - libFuzzer target for the sample reader -----------===//
//
// Any byte string as the calibration / evaluation data of a model with the
// inputs x: f32 [1, 4] and ids: int64 [1, 3]. The bytes are written to a
// file reached by two names, fuzz.npz and fuzz.npy, and SampleSource::open
// reads them as an .npz for both inputs and as an .npy for each input alone;
// every sample that opens is then copied out. Bad input must end in an
// llvm::Error naming the file, never in a crash, a sanitizer report, a leak
// or a hang. QOPT_FUZZ_VERBOSE=1 prints the errors.
//
//===----------------------------------------------------------------------===//

#include "qopt/Calibration/SampleSource.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {

struct Scratch {
  std::string dir, npz, npy;
};

/// Two names of one file in a directory of this process's own ($TMPDIR or
/// /tmp), rewritten for every input.
const Scratch &scratch() {
  static const Scratch *files = [] {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/qopt-fuzz-samples-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      std::perror("qopt-fuzz-samples: mkdtemp");
      std::abort();
    }
    auto *s = new Scratch{pattern, pattern + "/fuzz.npz", pattern + "/fuzz.npy"};
    if (FILE *f = std::fopen(s->npz.c_str(), "wb"))
      std::fclose(f);
    if (link(s->npz.c_str(), s->npy.c_str()) != 0) {
      std::perror("qopt-fuzz-samples: link");
      std::abort();
    }
    std::atexit([] {
      const Scratch &s = scratch();
      std::remove(s.npz.c_str());
      std::remove(s.npy.c_str());
      rmdir(s.dir.c_str());
    });
    return s;
  }();
  return *files;
}

qopt::BoundaryTensor tensor(const char *name, int elementType, llvm::ArrayRef<int64_t> shape) {
  qopt::BoundaryTensor t;
  t.name = name;
  t.elementType = elementType;
  t.shape.assign(shape.begin(), shape.end());
  return t;
}

/// Opens `path` for `signature` and reads every sample; an error must name
/// the file.
void readAll(const std::string &path, const qopt::ModelSignature &signature) {
  llvm::Expected<std::unique_ptr<qopt::SampleSource>> source = qopt::SampleSource::open(path, signature);
  if (!source) {
    std::string message = llvm::toString(source.takeError());
    static const bool verbose = std::getenv("QOPT_FUZZ_VERBOSE");
    if (verbose)
      llvm::errs() << message << "\n";
    if (message.find(path) == std::string::npos) {
      llvm::errs() << "qopt-fuzz-samples: an error that does not name the file: " << message << "\n";
      std::abort();
    }
    return;
  }
  std::vector<std::vector<char>> buffers = (*source)->allocateInputs();
  llvm::SmallVector<void *> pointers;
  for (std::vector<char> &buffer : buffers)
    pointers.push_back(buffer.data());
  if ((*source)->getNumSamples() <= 0) {
    llvm::errs() << "qopt-fuzz-samples: opened with " << (*source)->getNumSamples() << " samples\n";
    std::abort();
  }
  for (int64_t s = 0; s < (*source)->getNumSamples(); ++s)
    (*source)->fill(s, pointers);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const Scratch &files = scratch();
  FILE *file = std::fopen(files.npz.c_str(), "wb");
  if (!file || std::fwrite(data, 1, size, file) != size || std::fclose(file) != 0) {
    std::perror("qopt-fuzz-samples: writing the input");
    std::abort();
  }
  static const qopt::BoundaryTensor x = tensor("x", /*FLOAT*/ 1, {1, 4});
  static const qopt::BoundaryTensor ids = tensor("ids", /*INT64*/ 7, {1, 3});
  qopt::ModelSignature both, onlyX, onlyIds;
  both.inputs = {x, ids};
  onlyX.inputs = {x};
  onlyIds.inputs = {ids};
  readAll(files.npz, both);
  readAll(files.npy, onlyX);
  readAll(files.npy, onlyIds);
  return 0;
}
