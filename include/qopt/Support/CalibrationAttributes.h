//===- CalibrationAttributes.h - What calibration leaves on layers -*- C++ -*-===//
//
// Calibration annotates each qopt.linear / qopt.qlinear with statistics of
// its input as discardable attributes; the quantization passes read them,
// and lit tests can write them by hand:
//
//   qopt.calib.rows              i64            rows (tokens, pixels) seen
//   qopt.calib.absmax            f32            max |x|
//   qopt.calib.abs_quantiles     tensor<3xf32>  |x| at quantiles .999, .9999, .99999
//   qopt.calib.channel_absmax    tensor<Kxf32>  max |x| per input channel
//   qopt.calib.channel_mean      tensor<Kxf32>  mean of x per input channel
//                                                (bias correction)
//   qopt.calib.hessian           tensor<KxKxf32> sum of x^T x (GPTQ)
//   qopt.calib.sensitivity       {scheme = f64}  the model output's loss (KLD
//                                                or relative error) with only
//                                                this layer quantized to the
//                                                weight scheme (bit allocation)
//   qopt.calib.latency           {scheme = f64}  milliseconds of the layer's
//                                                compiled kernel in each weight
//                                                scheme on this machine
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_SUPPORT_CALIBRATIONATTRIBUTES_H
#define QOPT_SUPPORT_CALIBRATIONATTRIBUTES_H

#include "llvm/ADT/StringRef.h"

namespace qopt::calib {

inline constexpr llvm::StringLiteral kPrefix = "qopt.calib.";
inline constexpr llvm::StringLiteral kRows = "qopt.calib.rows";
inline constexpr llvm::StringLiteral kAbsMax = "qopt.calib.absmax";
inline constexpr llvm::StringLiteral kAbsQuantiles = "qopt.calib.abs_quantiles";
inline constexpr double kQuantiles[] = {0.999, 0.9999, 0.99999};
inline constexpr llvm::StringLiteral kChannelAbsMax = "qopt.calib.channel_absmax";
inline constexpr llvm::StringLiteral kChannelMean = "qopt.calib.channel_mean";
inline constexpr llvm::StringLiteral kHessian = "qopt.calib.hessian";
inline constexpr llvm::StringLiteral kSensitivity = "qopt.calib.sensitivity";
inline constexpr llvm::StringLiteral kLatency = "qopt.calib.latency";

} // namespace qopt::calib

#endif // QOPT_SUPPORT_CALIBRATIONATTRIBUTES_H
