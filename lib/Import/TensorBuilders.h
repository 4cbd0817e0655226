//===- TensorBuilders.h - Building blocks of imported ops -------*- C++ -*-===//

#ifndef QOPT_LIB_IMPORT_TENSORBUILDERS_H
#define QOPT_LIB_IMPORT_TENSORBUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "qopt/Support/TensorOps.h"

namespace qopt {

class NodeImporter;

/// Multidirectional (numpy) broadcast of static shapes; std::nullopt if two
/// dimensions differ and neither is 1.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes);

using ElementwiseBody =
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// A linalg.generic applying `body` to the elements of `inputs`, broadcast
/// numpy-style (size-1 and missing leading dimensions repeat through their
/// indexing maps; nothing is materialized). Emits an error on the node and
/// returns null when the shapes do not broadcast.
mlir::Value buildElementwise(NodeImporter &node, mlir::ValueRange inputs,
                             mlir::Type resultElementType, ElementwiseBody body);

/// Normalizes ONNX axes (negative counts from the end) against `rank`,
/// sorted and unique; emits an error on the node and returns std::nullopt
/// when an axis is out of range.
std::optional<llvm::SmallVector<int64_t>> normalizeAxes(NodeImporter &node,
                                                        llvm::ArrayRef<int64_t> axes,
                                                        int64_t rank);

/// Combines the elements of `input` along `axes` (sorted, unique) with
/// `combine(accumulator, element)`, starting from `initial`. The result keeps
/// reduced dimensions as size 1 when `keepDims`, else drops them.
mlir::Value buildReduction(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value input,
                           llvm::ArrayRef<int64_t> axes, bool keepDims, double initial,
                           ElementwiseBody combine);

} // namespace qopt

#endif // QOPT_LIB_IMPORT_TENSORBUILDERS_H
