//===- FuzzNpy.cpp - libFuzzer target for the runtime's .npy reader -------===//
//
// Any byte string as a .npy file: qopt_npy_parse_header on the bytes in
// memory, then qopt_npy_read on the same bytes written to a file, once for a
// tensor of the header's own dtype and shape (when it is small) and once for
// a fixed f32 [1, 4] tensor. Bad input must come back as -1 with a message
// naming the file, never as a crash, a sanitizer report, a leak or a hang.
//
//===----------------------------------------------------------------------===//

#include "qopt_npy.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

struct Scratch {
  std::string dir, file;
};

/// A file in a directory of this process's own ($TMPDIR or /tmp), rewritten
/// for every input.
const Scratch &scratch() {
  static const Scratch *files = [] {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/qopt-fuzz-npy-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      std::perror("qopt-fuzz-npy: mkdtemp");
      std::abort();
    }
    auto *s = new Scratch{pattern, pattern + "/input.npy"};
    std::atexit([] {
      std::remove(scratch().file.c_str());
      rmdir(scratch().dir.c_str());
    });
    return s;
  }();
  return *files;
}

/// A message must be a non-empty C string that names the file.
void checkMessage(const char *error, const char *name) {
  if (!memchr(error, '\0', 512) || !*error || !strstr(error, name)) {
    std::fprintf(stderr, "qopt-fuzz-npy: bad error message '%.512s'\n", error);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *bytes = reinterpret_cast<const char *>(data);
  char error[512];
  std::memset(error, 0x55, sizeof(error));
  qopt_npy_header header;
  // (libFuzzer's buffer is exactly `size` bytes: a read past it is an ASan report.)
  int parsed = qopt_npy_parse_header(bytes, size, "fuzz.npy", &header, error, sizeof(error));
  if (parsed != 0) {
    checkMessage(error, "fuzz.npy");
  } else if (header.rank < 0 || header.rank > 16 || header.data_offset > size ||
             !std::memchr(header.descr, '\0', sizeof(header.descr))) {
    std::fprintf(stderr, "qopt-fuzz-npy: inconsistent header\n");
    std::abort();
  }

  const std::string &path = scratch().file;
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file || std::fwrite(data, 1, size, file) != size || std::fclose(file) != 0) {
    std::perror("qopt-fuzz-npy: writing the input");
    std::abort();
  }
  // The file's own dtype and shape, when small enough to allocate.
  if (parsed == 0 && header.element_type != 0) {
    size_t bytesNeeded = qopt_element_size(header.element_type);
    for (int i = 0; i < header.rank && bytesNeeded <= (1u << 20); ++i)
      bytesNeeded = header.shape[i] > (1 << 20) ? SIZE_MAX : bytesNeeded * size_t(header.shape[i]);
    if (bytesNeeded <= (1u << 20)) {
      qopt_tensor_info info = {"x", header.element_type, header.rank, header.shape};
      std::vector<char> buffer(bytesNeeded);
      if (qopt_npy_read(path.c_str(), &info, buffer.data(), error, sizeof(error)) != 0)
        checkMessage(error, path.c_str());
    }
  }
  // A fixed tensor: mostly a dtype or shape mismatch.
  static const int64_t shape[] = {1, 4};
  qopt_tensor_info info = {"x", QOPT_FLOAT32, 2, shape};
  float values[4];
  if (qopt_npy_read(path.c_str(), &info, values, error, sizeof(error)) != 0)
    checkMessage(error, path.c_str());
  return 0;
}
