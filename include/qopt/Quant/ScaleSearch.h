//===- ScaleSearch.h - AWQ's activation-aware scale search -------*- C++ -*-===//
//
// AWQ (Lin et al. 2023): scaling input channel j of a weight by s_j before
// quantizing (and the activation by 1/s_j) protects the channels that carry
// large activations. The scales are s_j = a_j^α for the channel's activation
// magnitude a_j, normalized so that sqrt(max s · min s) = 1, and α is picked
// on a grid in [0, 1] to minimize the quantized layers' output error on the
// calibration data. That error is exact from the input Hessian
// H = Σ xᵀx: ‖X (W_q − W)ᵀ‖² = tr(ΔW H ΔWᵀ) with ΔW = Q(W·diag(s))·diag(1/s) − W.
// α = 0 is plain RTN, so the search never does worse than RTN on the
// calibration data.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_SCALESEARCH_H
#define QOPT_QUANT_SCALESEARCH_H

#include "qopt/Quant/WeightQuantization.h"

namespace qopt {

/// One linear layer reading the activation: its [rows, channels] weight and
/// the [channels, channels] Hessian of its input.
struct ScaledLayer {
  llvm::ArrayRef<float> weight;
  int64_t rows = 0;
  llvm::ArrayRef<float> hessian;
};

struct ScaleSearchResult {
  std::vector<float> scales; // s_j: multiply the weight columns, divide the activation
  double alpha = 0.0;
  double error = 0.0;    // Σ tr(ΔW H ΔWᵀ) at the chosen α
  double rtnError = 0.0; // the same at α = 0 (plain RTN)
};

/// tr(ΔW H ΔWᵀ) for a [rows, channels] ΔW: the squared output error of the
/// weight change on the calibration inputs.
double hessianWeightedError(llvm::ArrayRef<float> delta, int64_t rows, llvm::ArrayRef<float> hessian,
                            int64_t channels);

/// Searches α on `gridPoints` evenly spaced values in [0, 1] for layers that
/// share one input with per-channel magnitudes `activation`.
llvm::Expected<ScaleSearchResult> searchActivationAwareScales(llvm::ArrayRef<ScaledLayer> layers,
                                                              llvm::ArrayRef<float> activation,
                                                              const RtnOptions &options, int gridPoints = 21);

} // namespace qopt

#endif // QOPT_QUANT_SCALESEARCH_H
