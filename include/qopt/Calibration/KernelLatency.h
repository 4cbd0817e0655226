//===- KernelLatency.h - What each layer's kernel costs per scheme -*- C++ -*-===//
//
// The cost side of a latency budget (qopt-allocate-bits latency-ms=...):
// for every layer with a constant weight and every candidate weight scheme,
// the layer alone (its input as the argument, its weight and bias as
// constants) is quantized to the scheme, compiled by the CPU pipeline that
// deployment uses (the panel kernels, or the reference lowering where no
// kernel covers the scheme), JIT-run on this machine and timed: the fastest
// of repeated runs after warm-up (the least disturbed by other load), in
// milliseconds. Layers of the same
// operation, types and attributes share one measurement.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CALIBRATION_KERNELLATENCY_H
#define QOPT_CALIBRATION_KERNELLATENCY_H

#include "qopt/Quant/WeightScheme.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace qopt {

struct KernelLatencyOptions {
  std::vector<WeightScheme> schemes;
  /// Timed runs per measurement: at most this many, and no more than fit
  /// in `secondsPerMeasurement` (at least 3).
  int maxRuns = 50;
  double secondsPerMeasurement = 0.2;
  bool progress = true;
};

struct KernelLatencySummary {
  int64_t layers = 0, schemes = 0, measurements = 0;
  double seconds = 0.0;
};

/// Measures and attaches `qopt.calib.latency` ({scheme: milliseconds}) to
/// every qopt.linear and qopt.conv2d with a constant weight in `module`.
llvm::Expected<KernelLatencySummary> measureKernelLatencies(mlir::ModuleOp module,
                                                            const KernelLatencyOptions &options);

} // namespace qopt

#endif // QOPT_CALIBRATION_KERNELLATENCY_H
