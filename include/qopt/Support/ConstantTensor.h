//===- ConstantTensor.h - Reading and making constant tensors ---*- C++ -*-===//
//
// Weights live in DenseResourceElementsAttr blobs (one copy, no per-element
// attributes); small constants may be DenseElementsAttr. These helpers read
// either kind as raw bytes and make new constants as blobs.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_SUPPORT_CONSTANTTENSOR_H
#define QOPT_SUPPORT_CONSTANTTENSOR_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>
#include <vector>

namespace mlir {
class Location;
class OpBuilder;
class Value;
} // namespace mlir

namespace qopt {

/// The constant tensor `value` is defined by (arith.constant, tosa.const or
/// any ConstantLike op), or null.
mlir::ElementsAttr getConstantTensor(mlir::Value value);

/// True if `value` is a constant whose elements are all zero (a zero scalar,
/// or a zero splat tensor).
bool isZeroConstant(mlir::Value value);

/// True if the tensor `init` starts as zeros: a zero constant, or a
/// linalg.fill of zero (the init of an accumulation).
bool isZeroInitialized(mlir::Value init);

/// Row-major element bytes of a non-splat constant whose elements are whole
/// bytes wide; std::nullopt for splats, sub-byte elements or unloaded blobs.
std::optional<llvm::ArrayRef<char>> getConstantBytes(mlir::ElementsAttr attr);

/// Row-major element bytes of any constant with whole-byte elements,
/// splats expanded; std::nullopt if unreadable.
std::optional<std::vector<char>> copyConstantBytes(mlir::ElementsAttr attr);

/// The values of a float constant (f32, f16, bf16, f64) as floats;
/// std::nullopt for other element types or unreadable data.
std::optional<std::vector<float>> readFloatConstant(mlir::ElementsAttr attr);

/// The same elements under another shape of equal element count; resource
/// blobs are shared, not copied.
mlir::ElementsAttr reshapeConstant(mlir::ElementsAttr attr, mlir::ShapedType newType);

/// The transpose of a 2-D constant as a new resource blob named after
/// `blobName` (uniqued); splats stay splats. Null if the data is unreadable.
mlir::ElementsAttr transposeConstant2D(mlir::ElementsAttr attr, llvm::StringRef blobName);

/// An arith.constant of `type` whose row-major element bytes are `bytes`,
/// held in a new resource blob named after `name` (uniqued).
mlir::Value createBlobConstant(mlir::OpBuilder &builder, mlir::Location loc,
                               mlir::RankedTensorType type, llvm::ArrayRef<char> bytes,
                               llvm::StringRef name);

template <typename T>
mlir::Value createBlobConstant(mlir::OpBuilder &builder, mlir::Location loc,
                               mlir::RankedTensorType type, llvm::ArrayRef<T> data,
                               llvm::StringRef name) {
  return createBlobConstant(
      builder, loc, type,
      llvm::ArrayRef<char>(reinterpret_cast<const char *>(data.data()), data.size() * sizeof(T)),
      name);
}

} // namespace qopt

#endif // QOPT_SUPPORT_CONSTANTTENSOR_H
