//===- Calibrate.h - Calibration inside the compiler ------------*- C++ -*-===//
//
// Runs the float model on calibration samples in-process and annotates every
// linear layer with statistics of its input (qopt/Support/
// CalibrationAttributes.h):
//
//   1. a clone of the module gets qopt.observe probes on layer inputs
//      (qopt-insert-probes), which become extra results
//      (qopt-probes-to-results);
//   2. the clone is compiled by qopt's CPU backend into this process (ORC
//      JIT, qopt/Execution/JitModel.h);
//   3. samples stream from the data file one at a time into streaming
//      statistics (qopt/Calibration/ActivationStatistics.h), so memory is
//      bounded by the statistics, not the number of samples;
//   4. the statistics are attached to the layers of the original module.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CALIBRATION_CALIBRATE_H
#define QOPT_CALIBRATION_CALIBRATE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

namespace qopt {

struct CalibrationOptions {
  /// Accumulate input Hessians (GPTQ needs them).
  bool hessians = true;
  /// A progress bar on stderr once a run takes more than a second.
  bool progress = true;
  /// Use at most this many samples (0: all).
  int64_t maxSamples = 0;
};

struct CalibrationSummary {
  int64_t samples = 0, layers = 0, probes = 0;
  double seconds = 0.0;
};

llvm::Expected<CalibrationSummary> calibrate(mlir::ModuleOp module, llvm::StringRef entryName,
                                             llvm::StringRef dataPath, const CalibrationOptions &options);

} // namespace qopt

#endif // QOPT_CALIBRATION_CALIBRATE_H
