//===- TensorOps.h - Small builders of tensor-level IR ----------*- C++ -*-===//

#ifndef QOPT_SUPPORT_TENSOROPS_H
#define QOPT_SUPPORT_TENSOROPS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace qopt {

/// A tensor of `type` filled with zeros (the init of a matmul).
mlir::Value buildZeroFilled(mlir::OpBuilder &builder, mlir::Location loc,
                            mlir::RankedTensorType type);

/// A scalar constant of float or integer `type`.
mlir::Value buildScalar(mlir::OpBuilder &builder, mlir::Location loc, mlir::Type type,
                        double value);

/// `value` reshaped to the static `shape` (same element count) with
/// tensor.collapse_shape / tensor.expand_shape through the flat form;
/// canonicalization folds the pair where a direct reshape exists.
mlir::Value buildStaticReshape(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value value,
                               llvm::ArrayRef<int64_t> shape);

} // namespace qopt

#endif // QOPT_SUPPORT_TENSOROPS_H
