//===- Recipes.h - Named quantization recipes -------------------*- C++ -*-===//
//
// A recipe (`qopt compile --recipe w4a16-g32`) is a named pipeline of qopt
// passes run in the quantize phase. Each one is a textual pass pipeline, so
// every step stays reachable on its own with qopt-opt.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_PIPELINES_RECIPES_H
#define QOPT_PIPELINES_RECIPES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace qopt {

struct Recipe {
  llvm::StringRef name;
  llvm::StringRef description;
  /// The passes, as `qopt-opt --pass-pipeline` would take them (without
  /// the builtin.module anchor); empty for the float recipe.
  llvm::StringRef pipeline;
  /// The passes read calibration statistics (GPTQ Hessians, static
  /// activation scales): `--calib` is required.
  bool needsCalibration = false;
  /// qopt-allocate-bits reads measured sensitivities: the calibration phase
  /// measures them (qopt/Calibration/Sensitivity.h).
  bool needsSensitivities = false;
  /// qopt-allocate-bits has a latency budget: the calibration phase times
  /// every layer's kernel in every scheme (qopt/Calibration/KernelLatency.h).
  bool needsLatencies = false;
};

/// Every recipe, in the order `--help` lists them.
llvm::ArrayRef<Recipe> getRecipes();

/// The recipe called `name`, or null.
const Recipe *findRecipe(llvm::StringRef name);

} // namespace qopt

#endif // QOPT_PIPELINES_RECIPES_H
