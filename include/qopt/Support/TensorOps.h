//===- TensorOps.h - Small builders of tensor-level IR ----------*- C++ -*-===//

#ifndef QOPT_SUPPORT_TENSOROPS_H
#define QOPT_SUPPORT_TENSOROPS_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
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

/// A linalg.generic computing result += inputs[0] * inputs[1] over the
/// iteration space of `maps` (one per input, then the result's), starting
/// from zeros: the body of matmuls and convolutions. Inputs past the second
/// only give loops their bounds (a window operand).
mlir::Value buildMultiplyAccumulate(mlir::OpBuilder &builder, mlir::Location loc,
                                    mlir::ValueRange inputs, llvm::ArrayRef<mlir::AffineMap> maps,
                                    llvm::ArrayRef<mlir::utils::IteratorType> iterators,
                                    mlir::RankedTensorType resultType);

} // namespace qopt

#endif // QOPT_SUPPORT_TENSOROPS_H
