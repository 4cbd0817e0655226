//===- DequantizedLinear.h - matmul of dequantized weights -> qlinear -*- C++ -*-===//

#ifndef QOPT_LIB_TRANSFORMS_DEQUANTIZEDLINEAR_H
#define QOPT_LIB_TRANSFORMS_DEQUANTIZEDLINEAR_H

#include "llvm/ADT/Statistic.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace qopt {

/// linalg.matmul(x, qopt.dequantize(constant codes [K, N], scales, zeros))
/// -> qopt.qlinear, and qopt.conv2d of dequantized 8-bit codes ->
/// qopt.qconv2d (part of qopt-fuse-linear).
void populateDequantizedLinearPatterns(mlir::RewritePatternSet &patterns, llvm::Statistic &counter);

} // namespace qopt

#endif // QOPT_LIB_TRANSFORMS_DEQUANTIZEDLINEAR_H
