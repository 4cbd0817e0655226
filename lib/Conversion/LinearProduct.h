//===- LinearProduct.h - x W^T + b on tensors -------------------*- C++ -*-===//

#ifndef QOPT_LIB_CONVERSION_LINEARPRODUCT_H
#define QOPT_LIB_CONVERSION_LINEARPRODUCT_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace qopt {

/// `input` [..., K] times the float `weightNK` [N, K] transposed, plus `bias`
/// [N] if given, as `resultType` [..., N]: the rows are collapsed into one
/// linalg.matmul with transposed-B maps, the bias added by a generic.
mlir::Value buildLinearProduct(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value input,
                               mlir::Value weightNK, mlir::Value bias,
                               mlir::RankedTensorType resultType);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_LINEARPRODUCT_H
