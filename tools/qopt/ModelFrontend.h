//===- ModelFrontend.h - What compile and eval share ------------*- C++ -*-===//
//
// The options and phases both `qopt compile` and `qopt eval` run before code
// generation: import (ONNX or tensor-level .mlir, --shape, --bind), graph
// (qopt-fuse-linear), calibration (--calib, in-process), quantization
// (--recipe).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TOOLS_QOPT_MODELFRONTEND_H
#define QOPT_TOOLS_QOPT_MODELFRONTEND_H

#include "qopt/Pipelines/Recipes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"

#include <memory>
#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace qopt {

/// A context with every dialect and pass qopt uses, whose diagnostics are
/// printed as "<tool>: error: <file>: message".
std::unique_ptr<mlir::MLIRContext> createDriverContext(llvm::StringRef tool);

/// Prints "<tool>: error: message" and returns 1.
int reportError(llvm::StringRef tool, const llvm::Twine &message);

/// --list-recipes: prints them; true when the command should stop there.
bool listRecipesIfAsked();

/// The --recipe (or `name`) recipe; null after reporting an unknown one.
const Recipe *getSelectedRecipe(llvm::StringRef tool);
const Recipe *findRecipeOrReport(llvm::StringRef tool, llvm::StringRef name);

/// --recipe as given (eval takes a comma-separated list).
llvm::StringRef getRecipeList();

/// The model positional argument.
llvm::StringRef getModelPath();

/// Imports the model (ONNX, or tensor-level .mlir) with --shape/--bind;
/// `stepShapes`, when given, set input shapes over --shape's (a --generate
/// step's); `parsedModel`, when given, is the model already read.
mlir::OwningOpRef<mlir::ModuleOp>
importModel(mlir::MLIRContext &context, llvm::StringRef tool,
            const llvm::StringMap<llvm::SmallVector<int64_t>> *stepShapes = nullptr,
            const onnx::ModelProto *parsedModel = nullptr);

/// The entry function every phase works on.
llvm::StringRef getEntryName();

/// qopt-fuse-linear + canonicalization. Returns an exit code.
int runGraphPhase(mlir::ModuleOp module);

/// Calibration when --calib was given (the statistics every recipe may
/// read); errors when `recipe` needs calibration and none was given.
int runCalibrationPhase(mlir::ModuleOp module, const Recipe &recipe, llvm::StringRef tool);

/// The recipe's passes. `allocationReport`, when given, is where a
/// qopt-allocate-bits pass of the recipe writes its JSON report (`report=`).
int runQuantizePhase(mlir::ModuleOp module, const Recipe &recipe, llvm::StringRef tool,
                     llvm::StringRef allocationReport = {});

} // namespace qopt

#endif // QOPT_TOOLS_QOPT_MODELFRONTEND_H
