//===- SampleSource.h - Model inputs from .npy / .npz files -----*- C++ -*-===//
//
// Calibration and evaluation data, one sample at a time:
//
//   - `.npz` (numpy.savez, uncompressed): one array per model input, named
//     after it, of shape [S, <input shape>] (or [S, <input shape without its
//     leading 1>]); sample s is index s of every array.
//   - `.npy`: the same for a model with one input, e.g. token ids [S, T] for
//     a language model taking [1, T].
//
// Files are memory-mapped; a sample is copied out when asked for, so memory
// does not grow with the number of samples. int32 token ids feed int64
// inputs; every other element type must match the input's.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CALIBRATION_SAMPLESOURCE_H
#define QOPT_CALIBRATION_SAMPLESOURCE_H

#include "qopt/Target/CpuObject.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>
#include <vector>

namespace qopt {

/// A view of one array inside a mapped .npy (or an .npz member).
struct NpyArray {
  std::string name;
  int elementType = 0; // ONNX numbering
  std::vector<int64_t> shape;
  const char *data = nullptr;
  size_t elementSize = 0;
};

/// Parses the .npy bytes `bytes` (named `name` in messages).
llvm::Expected<NpyArray> parseNpy(llvm::StringRef bytes, llvm::StringRef name);

class SampleSource {
public:
  /// Opens `path` for a model with the inputs of `signature`.
  static llvm::Expected<std::unique_ptr<SampleSource>> open(llvm::StringRef path,
                                                            const ModelSignature &signature);

  int64_t getNumSamples() const { return numSamples; }

  /// Copies sample `index` of every input into `buffers` (one per input, of
  /// the signature's sizes).
  void fill(int64_t index, llvm::ArrayRef<void *> buffers) const;

  /// Buffers for one sample of every input.
  std::vector<std::vector<char>> allocateInputs() const;

private:
  std::unique_ptr<llvm::MemoryBuffer> file;
  std::vector<NpyArray> arrays; // one per model input, in input order
  std::vector<BoundaryTensor> inputs;
  int64_t numSamples = 0;
};

} // namespace qopt

#endif // QOPT_CALIBRATION_SAMPLESOURCE_H
