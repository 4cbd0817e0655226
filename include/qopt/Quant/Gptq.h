//===- Gptq.h - GPTQ weight quantization ------------------------*- C++ -*-===//
//
// GPTQ (Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for
// Generative Pre-trained Transformers"): quantizes the columns of an [N, K]
// weight one at a time and spreads each column's rounding error over the
// columns not yet quantized, weighted by the inverse of the layer's input
// Hessian H = X^T X. Minimizes sum_n (w_n - q_n)^T H (w_n - q_n), the
// layer's output error on the calibration inputs, where RTN minimizes the
// plain weight error.
//
// As in the reference implementation: H^-1 through a Cholesky factorization
// (LAPACK), its upper Cholesky factor drives the updates, lazy block updates
// (columns inside a block update eagerly, the rest once per block as one
// GEMM), dampening by a fraction of the mean diagonal, dead inputs (zero
// diagonal) zeroed. Act-order quantizes columns by decreasing H[k, k]; the
// group scales are then chosen up front from the original weight ("static
// groups"), so groups stay contiguous in storage and no permutation index
// is needed at run time.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_GPTQ_H
#define QOPT_QUANT_GPTQ_H

#include "qopt/Quant/WeightQuantization.h"

namespace qopt {

struct GptqOptions {
  /// Format, group, symmetry and clipping search of the group scales.
  RtnOptions weights;
  /// Added to H's diagonal: this fraction of its mean.
  double dampening = 0.01;
  /// Columns per lazy block (rounded to a multiple of the group).
  int64_t blockSize = 128;
  bool actOrder = false;
};

/// GPTQ-quantizes `weight` ([rows, columns], row major) given the input
/// Hessian `hessian` ([columns, columns], symmetric). Errors: those of
/// quantizeRtn, a Hessian of the wrong size, or one that is not positive
/// definite even after dampening.
llvm::Expected<QuantizedMatrix> quantizeGptq(llvm::ArrayRef<float> weight, int64_t rows,
                                             int64_t columns, llvm::ArrayRef<float> hessian,
                                             const GptqOptions &options);

/// sum over rows n of (a_n - b_n)^T H (a_n - b_n): the squared output error
/// on the calibration inputs of using `b` for `a`.
double hessianWeightedError(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b, int64_t rows,
                            int64_t columns, llvm::ArrayRef<float> hessian);

} // namespace qopt

#endif // QOPT_QUANT_GPTQ_H
