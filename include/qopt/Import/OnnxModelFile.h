//===- OnnxModelFile.h - Reading ONNX model files ---------------*- C++ -*-===//

#ifndef QOPT_IMPORT_ONNXMODELFILE_H
#define QOPT_IMPORT_ONNXMODELFILE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace onnx {
class ModelProto;
class TensorProto;
} // namespace onnx

namespace qopt {

/// Reads and parses an ONNX ModelProto. Errors name the file and say what is
/// wrong: missing or unreadable, over protobuf's 2 GiB limit, not a protobuf
/// (truncated or corrupt), or a protobuf that is not an ONNX model.
llvm::Expected<std::unique_ptr<onnx::ModelProto>> readOnnxModel(llvm::StringRef path);

/// The name of an ONNX TensorProto data type ("float", "int4", ...).
std::string getOnnxDataTypeName(int dataType);

/// Bits per element of an ONNX data type (4 for int4, 0 for strings and
/// unknown types).
unsigned getOnnxDataTypeBits(int dataType);

/// True if a tensor keeps its data in an external file (data_location).
bool hasExternalData(const onnx::TensorProto &tensor);

} // namespace qopt

#endif // QOPT_IMPORT_ONNXMODELFILE_H
