//===- ModelFrontend.cpp - What compile and eval share --------------------===//

#include "ModelFrontend.h"

#include "Commands.h"

#include "qopt/Calibration/Calibrate.h"
#include "qopt/Calibration/KernelLatency.h"
#include "qopt/Calibration/Sensitivity.h"
#include "qopt/Import/OnnxImporter.h"
#include "qopt/Import/OnnxModelFile.h"
#include "qopt/Registration/Registration.h"
#include "qopt/Transforms/Passes.h"

#include "onnx/onnx-ml.pb.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;
using namespace qopt;

namespace {

cl::OptionCategory &category() { return getDriverCategory(); }

cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model.onnx | tensor-level model.mlir>"),
                               cl::sub(getCompileCommand()), cl::sub(getEvalCommand()), cl::cat(category()));
cl::opt<std::string> recipeName("recipe",
                                cl::desc("Quantization recipe (see --list-recipes); eval: a comma-separated list"),
                                cl::init("float"), cl::sub(getCompileCommand()), cl::sub(getEvalCommand()),
                                cl::cat(category()));
cl::opt<bool> listRecipes("list-recipes", cl::desc("List the quantization recipes and exit"),
                          cl::sub(getCompileCommand()), cl::sub(getEvalCommand()), cl::cat(category()));
cl::opt<std::string> calibrationData(
    "calib",
    cl::desc("Calibration samples: a .npz with one [samples, ...] array per input, or a .npy "
             "for a one-input model (e.g. token ids [samples, T])"),
    cl::value_desc("file"), cl::sub(getCompileCommand()), cl::sub(getEvalCommand()), cl::cat(category()));
cl::opt<int64_t> calibrationSamples("calib-samples",
                                    cl::desc("Use at most this many calibration samples (0: all)"),
                                    cl::init(0), cl::sub(getCompileCommand()), cl::sub(getEvalCommand()),
                                    cl::cat(category()));
cl::list<std::string> boundInputs(
    "bind", cl::desc("Fix an input's value at compile time, from a serialized ONNX TensorProto"),
    cl::value_desc("name=tensor.pb"), cl::sub(getCompileCommand()), cl::sub(getEvalCommand()),
    cl::cat(category()));
cl::list<std::string> shapes("shape", cl::desc("Static shape of an input with symbolic dimensions"),
                             cl::value_desc("name=1x128"), cl::sub(getCompileCommand()),
                             cl::sub(getEvalCommand()), cl::cat(category()));

/// "model.onnx: " for diagnostics located in the model file.
/// "model.onnx: layer 'conv1': " for diagnostics of passes on an imported
/// node's ops (the importer's own messages already name their node,
/// initializer or input).
std::string describeLocation(mlir::Location loc, StringRef message) {
  std::string text;
  if (auto file = loc->findInstanceOf<mlir::FileLineColLoc>())
    text = file.getFilename().str() + ": ";
  if (auto name = loc->findInstanceOf<mlir::NameLoc>()) {
    std::string quoted = "'" + name.getName().str() + "'";
    if (!StringRef(message).contains(quoted))
      text += "layer " + quoted + ": ";
  }
  return text;
}

const OnnxImportOptions &getImportOptions() {
  static OnnxImportOptions options;
  return options;
}

} // namespace

std::unique_ptr<mlir::MLIRContext> qopt::createDriverContext(StringRef tool) {
  registerAllQoptPasses(); // recipes name passes in textual pipelines
  mlir::DialectRegistry registry;
  registerQoptDialects(registry);
  registerOnnxImportDialects(registry);
  auto context = std::make_unique<mlir::MLIRContext>(registry);
  std::string name = tool.str();
  context->getDiagEngine().registerHandler([name](mlir::Diagnostic &diag) {
    raw_ostream &os = diag.getSeverity() == mlir::DiagnosticSeverity::Error ? WithColor::error(errs(), name)
                      : diag.getSeverity() == mlir::DiagnosticSeverity::Warning
                          ? WithColor::warning(errs(), name)
                          : WithColor::note(errs(), name);
    std::string message = diag.str();
    os << describeLocation(diag.getLocation(), message) << message << "\n";
    return mlir::success();
  });
  return context;
}

int qopt::reportError(StringRef tool, const Twine &message) {
  WithColor::error(errs(), tool) << message << "\n";
  return 1;
}

bool qopt::listRecipesIfAsked() {
  if (!listRecipes)
    return false;
  for (const Recipe &recipe : getRecipes())
    outs() << formatv("  {0,-18} {1}{2}\n", recipe.name, recipe.description,
                      recipe.needsCalibration ? " [needs --calib]" : "")
           << (recipe.pipeline.empty() ? "" : formatv("  {0,-18}   {1}\n", "", recipe.pipeline).str());
  outs() << formatv("  {0,-18} {1}\n", "mixed-<bpw>",
                    "bit allocation to <bpw> bits per weight on average (e.g. mixed-4.25) [needs --calib]")
         << formatv("  {0,-18} {1}\n", "latency-<ms>",
                    "bit allocation to <ms> milliseconds of summed kernel time on this machine [needs --calib]");
  return true;
}

const Recipe *qopt::findRecipeOrReport(StringRef tool, StringRef name) {
  const Recipe *recipe = findRecipe(name);
  if (!recipe)
    reportError(tool, "unknown recipe '" + name + "' (see --list-recipes)");
  return recipe;
}

const Recipe *qopt::getSelectedRecipe(StringRef tool) { return findRecipeOrReport(tool, recipeName); }

StringRef qopt::getModelPath() { return modelPath; }

StringRef qopt::getRecipeList() { return recipeName; }

StringRef qopt::getEntryName() { return getImportOptions().functionName; }

mlir::OwningOpRef<mlir::ModuleOp> qopt::importModel(mlir::MLIRContext &context, StringRef tool,
                                                    const StringMap<SmallVector<int64_t>> *stepShapes,
                                                    const onnx::ModelProto *parsedModel) {
  OnnxImportOptions options = getImportOptions();
  for (const std::string &spec : shapes) {
    auto [name, dims] = StringRef(spec).split('=');
    SmallVector<int64_t> shape;
    if (name.empty() || !parseShapeSpec(dims, shape)) {
      reportError(tool, "--shape '" + spec + "' is not of the form name=1x128");
      return nullptr;
    }
    options.inputShapes[name] = shape;
  }
  if (stepShapes) // a step's shapes are the step's, whatever --shape says
    for (const auto &shape : *stepShapes)
      options.inputShapes[shape.getKey()] = shape.getValue();
  std::vector<std::unique_ptr<onnx::TensorProto>> boundTensors;
  for (const std::string &spec : boundInputs) {
    auto [name, path] = StringRef(spec).split('=');
    if (name.empty() || path.empty()) {
      reportError(tool, "--bind '" + spec + "' is not of the form name=tensor.pb");
      return nullptr;
    }
    ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(path);
    auto tensor = std::make_unique<onnx::TensorProto>();
    if (!buffer || !tensor->ParseFromArray((*buffer)->getBufferStart(), int((*buffer)->getBufferSize()))) {
      reportError(tool, path + ": not a readable ONNX TensorProto");
      return nullptr;
    }
    options.boundInputs[name] = tensor.get();
    boundTensors.push_back(std::move(tensor));
  }
  if (parsedModel)
    return importOnnxModel(context, *parsedModel, modelPath, options);
  if (StringRef(modelPath).ends_with(".mlir"))
    // Tensor-level IR (a func.func @main) enters at the graph phase.
    return mlir::parseSourceFile<mlir::ModuleOp>(modelPath, &context);
  Expected<std::unique_ptr<onnx::ModelProto>> model = readOnnxModel(modelPath);
  if (!model) {
    reportError(tool, toString(model.takeError()));
    return nullptr;
  }
  return importOnnxModel(context, **model, modelPath, options);
}

int qopt::runGraphPhase(mlir::ModuleOp module) {
  mlir::PassManager pm(module.getContext());
  pm.addPass(createFuseLinear());
  pm.addPass(createRecognizeNorms());
  pm.addPass(mlir::createCanonicalizerPass());
  return mlir::failed(pm.run(module)) ? 1 : 0;
}

int qopt::runCalibrationPhase(mlir::ModuleOp module, const Recipe &recipe, StringRef tool) {
  if (calibrationData.empty()) {
    if (recipe.needsCalibration)
      return reportError(tool, "recipe '" + recipe.name +
                                   "' needs calibration data: --calib samples.npz (or token ids .npy)");
    return 0;
  }
  CalibrationOptions options;
  options.maxSamples = calibrationSamples;
  Expected<CalibrationSummary> summary = calibrate(module, getEntryName(), calibrationData, options);
  if (!summary)
    return reportError(tool, "calibration: " + toString(summary.takeError()));
  errs() << formatv("{0}: calibrated {1} layers ({2} probes) on {3} samples in {4:f2} s\n", tool,
                    summary->layers, summary->probes, summary->samples, summary->seconds);
  if (recipe.needsSensitivities) {
    SensitivityOptions sensitivityOptions;
    sensitivityOptions.schemes = *parseWeightSchemes(kDefaultAllocationCandidates);
    Expected<SensitivitySummary> measured =
        measureSensitivities(module, getEntryName(), calibrationData, sensitivityOptions);
    if (!measured)
      return reportError(tool, "measuring sensitivities: " + toString(measured.takeError()));
    errs() << formatv("{0}: measured the sensitivity of {1} layers to {2} weight schemes on {3} samples in {4:f2} s\n",
                      tool, measured->layers, measured->schemes, measured->samples, measured->seconds);
  }
  if (recipe.needsLatencies) {
    KernelLatencyOptions latencyOptions;
    latencyOptions.schemes = *parseWeightSchemes(kDefaultAllocationCandidates);
    Expected<KernelLatencySummary> timed = measureKernelLatencies(module, latencyOptions);
    if (!timed)
      return reportError(tool, "measuring kernel latencies: " + toString(timed.takeError()));
    errs() << formatv("{0}: timed {1} kernels ({2} layers x {3} weight schemes, alike layers shared) on this "
                      "machine in {4:f2} s\n",
                      tool, timed->measurements, timed->layers, timed->schemes, timed->seconds);
  }
  return 0;
}

int qopt::runQuantizePhase(mlir::ModuleOp module, const Recipe &recipe, StringRef tool,
                           StringRef allocationReport) {
  if (recipe.pipeline.empty())
    return 0;
  mlir::PassManager pm(module.getContext());
  if (mlir::failed(mlir::parsePassPipeline(recipe.pipeline, pm, errs())))
    return reportError(tool, "recipe '" + recipe.name + "' has an invalid pipeline");
  if (!allocationReport.empty())
    for (mlir::Pass &pass : pm.getPasses())
      if (pass.getArgument() == "qopt-allocate-bits" &&
          mlir::failed(pass.initializeOptions(("report=" + allocationReport).str(), [&](const Twine &message) {
            return mlir::failure(reportError(tool, message));
          })))
        return 1;
  return mlir::failed(pm.run(module)) ? 1 : 0;
}
