//===- Sensitivity.h - How much each layer's quantization hurts -*- C++ -*-===//
//
// The measured sensitivity that bit allocation (qopt-allocate-bits) trades
// against size: for every layer with a constant weight and every candidate
// weight scheme, the model's output loss on calibration samples with only
// that layer quantized (RTN, then dequantized) and everything else in float.
// The loss is the mean KL divergence of the first output's softmax when it
// is a distribution (logits), else its relative squared error.
//
// One JIT compilation serves every measurement: a clone of the module takes
// the layers' weights as extra function arguments, so quantizing a layer is
// swapping one buffer. Cost: layers x schemes x samples forward passes.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CALIBRATION_SENSITIVITY_H
#define QOPT_CALIBRATION_SENSITIVITY_H

#include "qopt/Quant/WeightScheme.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace qopt {

struct SensitivityOptions {
  std::vector<WeightScheme> schemes;
  /// Calibration samples to measure on (0: all).
  int64_t maxSamples = 16;
  bool progress = true;
};

struct SensitivitySummary {
  int64_t layers = 0, schemes = 0, samples = 0;
  double seconds = 0.0;
};

/// Measures and attaches `qopt.calib.sensitivity` ({scheme: loss}) to every
/// qopt.linear and qopt.conv2d with a constant weight in `module`.
llvm::Expected<SensitivitySummary> measureSensitivities(mlir::ModuleOp module, llvm::StringRef entryName,
                                                        llvm::StringRef dataPath, const SensitivityOptions &options);

} // namespace qopt

#endif // QOPT_CALIBRATION_SENSITIVITY_H
