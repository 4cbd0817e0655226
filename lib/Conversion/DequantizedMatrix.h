//===- DequantizedMatrix.h - Packed codes -> a float matrix ----*- C++ -*-===//

#ifndef QOPT_LIB_CONVERSION_DEQUANTIZEDMATRIX_H
#define QOPT_LIB_CONVERSION_DEQUANTIZEDMATRIX_H

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Quant/NumberFormat.h"

#include "mlir/IR/Builders.h"

namespace qopt {

/// The float [N, K] matrix of row_major packed codes, as a linalg.generic:
/// weight[n, k] = scale[n, k / group] * (value(code[n, k]) - zero[n, k / group])
/// (`zeros` and `codebook` optional). The reference lowering of quantized
/// layers multiplies by it; the CPU's convolution GEMM reads it as A.
mlir::Value buildDequantizedMatrix(mlir::OpBuilder &builder, mlir::Location loc, NumberFormat format,
                                   mlir::Value packed, mlir::Value scales, mlir::Value zeros,
                                   mlir::Value codebook, int64_t n, int64_t k, int64_t group,
                                   mlir::Type floatType);

/// What a float convolution computes for a row_major qopt.qconv2d: its
/// weight as a float [F, C / groups · KH · KW] matrix, and its input,
/// fake-quantized first when the op quantizes activations.
struct DequantizedConvolution {
  mlir::Value input, filters;
};
DequantizedConvolution buildDequantizedConvolution(mlir::OpBuilder &builder, QConv2DOp op);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_DEQUANTIZEDMATRIX_H
