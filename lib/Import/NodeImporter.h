//===- NodeImporter.h - What an op importer sees of one node ----*- C++ -*-===//

#ifndef QOPT_LIB_IMPORT_NODEIMPORTER_H
#define QOPT_LIB_IMPORT_NODEIMPORTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>

namespace onnx {
class AttributeProto;
class NodeProto;
class TensorProto;
} // namespace onnx

namespace qopt {

/// The MLIR element type of an ONNX data type, or null if unsupported.
/// Unsigned integers map to signless ones (see NodeImporter::isUnsigned).
mlir::Type convertOnnxElementType(int dataType, mlir::MLIRContext *context);

/// Whether an ONNX data type is an unsigned integer type.
bool isUnsignedOnnxType(int dataType);

class ExternalDataFiles;

/// A constant holding an ONNX tensor: small or integer tensors as
/// DenseElementsAttr (readable by shape computations), large float tensors
/// as resource blobs. Data stored outside the model (external data) is read
/// through `external`, mapped once per file; aligned tensors are used in
/// place. Emits an error at `loc` and returns null when the tensor's type is
/// unsupported or its data does not match its shape.
mlir::Value importOnnxTensor(mlir::OpBuilder &builder, mlir::Location loc,
                             const onnx::TensorProto &tensor, llvm::StringRef what,
                             ExternalDataFiles *external = nullptr);

/// A small constant integer (or boolean) tensor held on the host: shape
/// computations (Shape -> Gather -> Concat -> Reshape ...) are evaluated at
/// import time on these, so that shape subgraphs fold away.
struct HostInts {
  llvm::SmallVector<int64_t> shape;
  llvm::SmallVector<int64_t> values; // row-major
};

/// The element count of `shape`, or -1 if it is negative or overflows.
int64_t getElementCount(llvm::ArrayRef<int64_t> shape);

/// Whether a tensor of `shape` is small enough to compute at import time
/// (at most NodeImporter::kMaxHostElements elements). Guards every host
/// evaluation, so that hostile shapes cannot exhaust memory.
bool fitsOnHost(llvm::ArrayRef<int64_t> shape);

/// One node being imported: its inputs as MLIR values, its attributes, and
/// where its outputs go.
class NodeImporter {
public:
  NodeImporter(const onnx::NodeProto &node, llvm::StringRef domain, int64_t opset,
               mlir::OpBuilder &builder, mlir::Location loc,
               llvm::StringMap<mlir::Value> &values, llvm::DenseSet<mlir::Value> &unsignedValues)
      : node(node), domain(domain), opset(opset), builder(builder), loc(loc),
        values(values), unsignedValues(unsignedValues) {}

  const onnx::NodeProto &getNode() const { return node; }
  int64_t getOpset() const { return opset; }
  mlir::OpBuilder &getBuilder() { return builder; }
  mlir::Location getLoc() const { return loc; }
  mlir::MLIRContext *getContext() const { return builder.getContext(); }

  /// Inputs; a missing optional input (empty name, or past the end) is null.
  unsigned getNumInputs() const;
  bool hasInput(unsigned index) const { return bool(getInput(index)); }
  mlir::Value getInput(unsigned index) const;
  mlir::RankedTensorType getInputType(unsigned index) const;
  /// The values of a constant integer input (shapes, axes, pads); nullopt
  /// if the input is absent, not constant, or not integer.
  std::optional<llvm::SmallVector<int64_t>> getConstantInts(unsigned index) const;
  /// A constant integer or boolean input of at most kMaxHostElements
  /// elements, for import-time evaluation; std::nullopt otherwise.
  std::optional<HostInts> getHostInts(unsigned index) const;
  static constexpr int64_t kMaxHostElements = 4096;
  /// A constant holding `ints` with integer element type `elementType`.
  mlir::Value createConstant(const HostInts &ints, mlir::Type elementType);
  /// The constant attribute of input `index`, or null.
  mlir::ElementsAttr getConstantAttr(unsigned index) const;
  /// The single value of a constant scalar (or one-element) float input.
  std::optional<double> getConstantScalar(unsigned index) const;

  const onnx::AttributeProto *getAttribute(llvm::StringRef name) const;
  int64_t getInt(llvm::StringRef name, int64_t defaultValue) const;
  float getFloat(llvm::StringRef name, float defaultValue) const;
  std::string getString(llvm::StringRef name, llvm::StringRef defaultValue) const;
  std::optional<llvm::SmallVector<int64_t>> getInts(llvm::StringRef name) const;

  /// Whether input `index` holds unsigned integers. MLIR integers are
  /// signless; ONNX's uint types are tracked beside them, so that division,
  /// comparisons and casts read them as unsigned.
  bool isUnsigned(unsigned index) const;
  /// Marks output `index` as unsigned (ops whose result type is chosen
  /// explicitly, like Cast); other integer outputs inherit unsignedness from
  /// their inputs.
  void setUnsigned(unsigned index, bool isUnsigned);

  unsigned getNumOutputs() const;
  /// True if output `index` exists and is named (a value someone may use).
  bool hasOutput(unsigned index) const;
  void setOutput(unsigned index, mlir::Value value);

  /// An error that starts with the node's name, op type, domain and opset.
  mlir::InFlightDiagnostic emitError() const;

private:
  const onnx::NodeProto &node;
  llvm::StringRef domain;
  int64_t opset;
  mlir::OpBuilder &builder;
  mlir::Location loc;
  llvm::StringMap<mlir::Value> &values;
  llvm::DenseSet<mlir::Value> &unsignedValues;
};

} // namespace qopt

#endif // QOPT_LIB_IMPORT_NODEIMPORTER_H
