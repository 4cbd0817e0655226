//===- ExternalData.h - ONNX tensors stored beside the model ----*- C++ -*-===//

#ifndef QOPT_LIB_IMPORT_EXTERNALDATA_H
#define QOPT_LIB_IMPORT_EXTERNALDATA_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace qopt {

/// The bytes of one external tensor and the mapping that holds them.
struct ExternalData {
  llvm::ArrayRef<char> bytes;
  std::shared_ptr<llvm::MemoryBuffer> file;
};

/// The data files of a model with external data (ONNX `external_data`:
/// location, offset, length). Each file is memory-mapped once and shared
/// by the tensors in it. Locations must stay inside the model's directory.
class ExternalDataFiles {
public:
  explicit ExternalDataFiles(llvm::StringRef modelDirectory) : directory(modelDirectory.str()) {}

  /// The `size` bytes of `tensor`, or an error naming the file and the
  /// problem (missing, outside the directory, range past its end).
  llvm::Expected<ExternalData> read(const onnx::TensorProto &tensor, uint64_t size);

private:
  std::string directory;
  llvm::StringMap<std::shared_ptr<llvm::MemoryBuffer>> files;
};

} // namespace qopt

#endif // QOPT_LIB_IMPORT_EXTERNALDATA_H
