//===- QoptToLinalg.h - Patterns lowering qopt ops to linalg ----*- C++ -*-===//

#ifndef QOPT_CONVERSION_QOPTTOLINALG_H
#define QOPT_CONVERSION_QOPTTOLINALG_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace qopt {

/// qopt.linear -> collapse, linalg.matmul (transposed B), bias, expand;
/// qopt.conv2d -> pad, linalg.generic convolution, bias.
void populateLinearToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// qopt.norm -> a row reduction of squares (after one of the values for
/// LayerNorm's centering), a per-row rsqrt, and the scaling by gamma (+ beta).
void populateNormToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// qopt.hadamard -> log2 Walsh-Hadamard butterfly stages (and one small
/// dense product for a non-power-of-two size): O(n log n), never n².
void populateHadamardToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// The reference lowering of quantized ops: qopt.qlinear dequantizes its
/// packed weight into a float [N, K] tensor, then multiplies as a linear;
/// qopt.dequantize is an elementwise generic. Fast kernels replace these.
void populateQuantizedToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// qopt.qlinear over panel-packed weights -> a call of a kernel function
/// declared for qopt-generate-cpu-kernels to fill in; with `gpuKernels`,
/// also the row_major ones the GPU kernel covers (qopt-generate-gpu-kernels).
void populateQLinearToKernelCallPatterns(mlir::RewritePatternSet &patterns, bool gpuKernels = false);

} // namespace qopt

#endif // QOPT_CONVERSION_QOPTTOLINALG_H
