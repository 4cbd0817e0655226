//===- TensorBuilders.h - Building blocks of imported ops -------*- C++ -*-===//

#ifndef QOPT_LIB_IMPORT_TENSORBUILDERS_H
#define QOPT_LIB_IMPORT_TENSORBUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/BuiltinTypes.h"

#include <functional>
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
/// indexing maps; nothing is materialized), and also to `broadcastTo` if
/// given (Expand). Emits an error on the node and returns null when the
/// shapes do not broadcast.
mlir::Value buildElementwise(NodeImporter &node, mlir::ValueRange inputs,
                             mlir::Type resultElementType, ElementwiseBody body,
                             llvm::ArrayRef<int64_t> broadcastTo = {});

struct HostInts;

/// Evaluates an elementwise integer function on host tensors with numpy
/// broadcasting; std::nullopt if the shapes do not broadcast.
std::optional<HostInts>
evaluateElementwise(llvm::ArrayRef<HostInts> inputs,
                    llvm::function_ref<int64_t(llvm::ArrayRef<int64_t>)> fn);

/// Normalizes ONNX axes (negative counts from the end) against `rank`,
/// sorted and unique; emits an error on the node and returns std::nullopt
/// when an axis is out of range.
std::optional<llvm::SmallVector<int64_t>> normalizeAxes(NodeImporter &node,
                                                        llvm::ArrayRef<int64_t> axes,
                                                        int64_t rank);

/// The same axes made non-negative but kept in the given order (ops whose
/// other inputs are listed per axis: Pad's pads, Resize's scales).
std::optional<llvm::SmallVector<int64_t>> resolveAxesInOrder(NodeImporter &node,
                                                             llvm::ArrayRef<int64_t> axes,
                                                             int64_t rank);

/// Combines the elements of `input` along `axes` (sorted, unique) with
/// `combine(accumulator, element)`, starting from `initial`. The result keeps
/// reduced dimensions as size 1 when `keepDims`, else drops them.
mlir::Value buildReduction(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value input,
                           llvm::ArrayRef<int64_t> axes, bool keepDims, mlir::TypedAttr initial,
                           ElementwiseBody combine);
/// The same with a float start value.
mlir::Value buildReduction(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value input,
                           llvm::ArrayRef<int64_t> axes, bool keepDims, double initial,
                           ElementwiseBody combine);

/// Computes one element of an elementwise op from the inputs' elements.
using ScalarFn = std::function<mlir::Value(NodeImporter &, mlir::OpBuilder &, mlir::Location,
                                           mlir::ValueRange)>;
/// The same on host integers, for import-time folding.
using HostFn = std::function<int64_t(llvm::ArrayRef<int64_t>)>;

/// Imports an elementwise node (see ElementwiseOps.cpp): `floatFn` for float
/// elements, `intFn` for integers (null: float only), `hostFn` to fold small
/// constant integer inputs at import time; the result has the inputs'
/// element type unless `resultElementType` is given (comparisons: i1).
mlir::LogicalResult importElementwise(NodeImporter &node, unsigned numRequired, ScalarFn floatFn,
                                      ScalarFn intFn = nullptr, HostFn hostFn = nullptr,
                                      mlir::Type resultElementType = {});

} // namespace qopt

#endif // QOPT_LIB_IMPORT_TENSORBUILDERS_H
