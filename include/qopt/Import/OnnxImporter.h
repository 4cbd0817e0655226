//===- OnnxImporter.h - ONNX model -> MLIR ----------------------*- C++ -*-===//
//
// Imports an ONNX ModelProto into one func.func of ops on tensors: linalg
// (named ops and generics), tensor, arith and math, plus qopt ops for what is
// already quantized. Initializers become constants (large ones as resource
// blobs). Shapes are made static: from the model, or from `inputShapes` for
// symbolic dimensions.
//
// Errors are MLIR diagnostics located at the node (NameLoc of the node name
// inside the model file's location) whose message names the node, its op
// type, domain and opset.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_IMPORT_ONNXIMPORTER_H
#define QOPT_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <string>

namespace onnx {
class ModelProto;
class TensorProto;
} // namespace onnx

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace qopt {

struct OnnxImportOptions {
  /// Full static shapes for inputs whose dimensions are symbolic or unknown
  /// (`--shape x=1x128`).
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Inputs whose values are fixed at compile time (`--bind axes=axes.pb`):
  /// they become constants, as if the model had them as initializers, so
  /// that shapes and axes given as inputs can be specialized. Not owned.
  llvm::StringMap<const onnx::TensorProto *> boundInputs;
  /// The name of the function the graph becomes.
  std::string functionName = "main";
};

/// Imports `model` (read from `modelPath`, used in locations). Returns null
/// after emitting diagnostics when the model cannot be imported.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxModel(mlir::MLIRContext &context,
                                                  const onnx::ModelProto &model,
                                                  llvm::StringRef modelPath,
                                                  const OnnxImportOptions &options);

/// The dialects imported IR uses.
void registerOnnxImportDialects(mlir::DialectRegistry &registry);

/// Parses "1x128" into {1, 128}; false if malformed.
bool parseShapeSpec(llvm::StringRef text, llvm::SmallVectorImpl<int64_t> &shape);

} // namespace qopt

#endif // QOPT_IMPORT_ONNXIMPORTER_H
