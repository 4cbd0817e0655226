//===- EvalCommand.cpp - qopt eval ----------------------------------------===//
//
// qopt eval model.onnx --recipe r1[,r2...] --data samples [--calib samples]
//                      [--per-layer] [--json] [--samples N] [--report out.html]
// qopt eval decoder.onnx --kv-cache f16,int8,... --data ids.npy [--recipe ...]
//                      (EvalGeneration.h)
//
// Compiles the float model and each recipe's quantized model into this
// process (ORC JIT), runs both on the evaluation samples and reports, per
// model output, the mean KL divergence and top-1 agreement of distributions
// along the last axis (logits) and the SQNR in dB; with --per-layer, the
// SQNR of every linear layer's output. A table on stdout, or JSON; with
// --report, also an HTML page (EvalReport.h) with per-layer plots, the bit
// allocation of mixed-precision recipes and the worst layers' histograms.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "EvalGeneration.h"
#include "EvalReport.h"
#include "ModelFrontend.h"

#include "qopt/Calibration/Calibrate.h"
#include "qopt/Calibration/SampleSource.h"
#include "qopt/Dialect/QoptOps.h"
#include "qopt/Execution/Fidelity.h"
#include "qopt/Execution/JitModel.h"
#include "qopt/Support/ConstantTensor.h"
#include "qopt/Support/ProgressBar.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cmath>

using namespace llvm;
using namespace qopt;

cl::SubCommand &qopt::getEvalCommand() {
  static cl::SubCommand command("eval", "Measure quantization recipes' fidelity against the float model");
  return command;
}

namespace {

cl::opt<std::string> evaluationData("data", cl::desc("Evaluation samples (.npz, or .npy for one input)"),
                                    cl::value_desc("file"), cl::Required, cl::sub(getEvalCommand()),
                                    cl::cat(getDriverCategory()));
cl::opt<int64_t> maxSamples("samples", cl::desc("Evaluate at most this many samples (0: all)"), cl::init(0),
                            cl::sub(getEvalCommand()), cl::cat(getDriverCategory()));
cl::opt<bool> perLayer("per-layer", cl::desc("Also report the SQNR of every linear layer's output"),
                       cl::sub(getEvalCommand()), cl::cat(getDriverCategory()));
cl::opt<bool> emitJson("json", cl::desc("Print JSON instead of a table"), cl::sub(getEvalCommand()),
                       cl::cat(getDriverCategory()));
cl::opt<std::string> reportPath("report",
                                cl::desc("Also write a self-contained HTML report: recipes, SQNR per layer, bits "
                                         "per weight against KLD, bit allocation, the worst layers' histograms"),
                                cl::value_desc("file.html"), cl::sub(getEvalCommand()), cl::cat(getDriverCategory()));

constexpr StringLiteral kTool = "qopt eval";

/// Weight storage of the linear layers and convolutions, in bits per weight
/// (codes, scales, zero points, codebooks; float layers count 32).
double getBitsPerWeight(mlir::ModuleOp module) {
  double bits = 0, weights = 0;
  auto tensorBits = [](mlir::Value value) -> double {
    if (!value)
      return 0;
    auto type = mlir::cast<mlir::RankedTensorType>(value.getType());
    return double(type.getNumElements()) * double(type.getElementTypeBitWidth());
  };
  module->walk([&](mlir::Operation *op) {
    if (mlir::isa<LinearOp, Conv2DOp>(op)) {
      mlir::Value weight = op->getOperand(1);
      weights += double(mlir::cast<mlir::RankedTensorType>(weight.getType()).getNumElements());
      bits += tensorBits(weight);
    } else if (auto qlinear = mlir::dyn_cast<QLinearOp>(op)) {
      weights += double(qlinear.getNumOutputs() * qlinear.getReductionSize());
      bits += tensorBits(qlinear.getPacked()) + tensorBits(qlinear.getScales()) +
              tensorBits(qlinear.getZeros()) + tensorBits(qlinear.getCodebook()) +
              tensorBits(qlinear.getOutlierRowPtr()) + tensorBits(qlinear.getOutlierCols()) +
              tensorBits(qlinear.getOutlierValues());
    } else if (auto qconv = mlir::dyn_cast<QConv2DOp>(op)) {
      weights += double(qconv.getNumOutputs() * qconv.getReductionSize());
      bits += tensorBits(qconv.getPacked()) + tensorBits(qconv.getScales()) + tensorBits(qconv.getZeros()) +
              tensorBits(qconv.getCodebook());
    }
  });
  return weights > 0 ? bits / weights : 0.0;
}

/// Adds output probes (per-layer mode) and makes them results.
LogicalResult exposeLayerOutputs(mlir::ModuleOp module) {
  mlir::PassManager pm(module.getContext());
  InsertProbesOptions options;
  options.inputs = false;
  options.outputs = true;
  pm.addPass(createInsertProbes(options));
  pm.addPass(createProbesToResults());
  return pm.run(module);
}

/// Output buffers of one model and the pointers `JitModel::run` takes.
struct OutputBuffers {
  explicit OutputBuffers(const JitModel &model) : data(model.allocateOutputs()) {
    for (std::vector<char> &buffer : data)
      pointers.push_back(buffer.data());
  }
  const float *floats(unsigned output) const { return reinterpret_cast<const float *>(data[output].data()); }
  std::vector<std::vector<char>> data;
  std::vector<void *> pointers;
};

/// One float output (or layer probe) of a model compared with the reference.
struct Compared {
  std::string name;
  unsigned output; // index among the model's outputs
  size_t size;
  FidelityAccumulator fidelity;
};

struct Comparison {
  std::string recipe;
  double bitsPerWeight = 0;
  /// qopt-allocate-bits' report (mixed-precision recipes, with --report).
  std::optional<json::Value> allocation;
  std::unique_ptr<JitModel> model;
  std::unique_ptr<OutputBuffers> buffers;
  std::vector<Compared> outputs, layers;
};

json::Value toJson(double value) {
  return std::isfinite(value) ? json::Value(value) : json::Value(nullptr);
}

/// The recipes' measurements as `--json` prints them.
json::Array getResultsJson(ArrayRef<Comparison> comparisons, bool withLayers) {
  json::Array results;
  for (const Comparison &comparison : comparisons) {
    json::Array outputs, layers;
    for (const Compared &compared : comparison.outputs) {
      const FidelityAccumulator &fidelity = compared.fidelity;
      json::Object entry{{"name", compared.name}, {"sqnr_db", toJson(fidelity.getSqnrDb())}};
      if (fidelity.isDistribution()) {
        entry["kld"] = fidelity.getMeanKld();
        entry["top1_agreement"] = fidelity.getTop1Agreement();
        entry["positions"] = fidelity.getPositions();
      }
      outputs.push_back(std::move(entry));
    }
    for (const Compared &compared : comparison.layers)
      layers.push_back(json::Object{{"name", compared.name}, {"sqnr_db", toJson(compared.fidelity.getSqnrDb())}});
    json::Object result{{"recipe", comparison.recipe},
                        {"bits_per_weight", comparison.bitsPerWeight},
                        {"outputs", std::move(outputs)}};
    if (withLayers)
      result["layers"] = std::move(layers);
    results.push_back(std::move(result));
  }
  return results;
}

/// The float weights of the layers, by the name of their output probe (as
/// qopt-insert-probes names it: the ONNX node name, else "layer<index>").
StringMap<std::vector<float>> readLayerWeights(mlir::ModuleOp module) {
  StringMap<std::vector<float>> weights;
  int64_t index = 0;
  module->walk([&](mlir::Operation *op) {
    if (!mlir::isa<LinearOp, QLinearOp, Conv2DOp, QConv2DOp>(op))
      return;
    std::string name = "layer" + std::to_string(index++);
    if (auto loc = op->getLoc()->findInstanceOf<mlir::NameLoc>())
      name = loc.getName().str();
    if (mlir::isa<LinearOp, Conv2DOp>(op))
      if (mlir::ElementsAttr constant = getConstantTensor(op->getOperand(1)))
        if (std::optional<std::vector<float>> values = readFloatConstant(constant))
          weights[name + ".output"] = std::move(*values);
  });
  return weights;
}

/// Runs the recipe with its qopt-allocate-bits pass writing its report, and
/// keeps the report. Returns an exit code.
int runQuantizePhaseKeepingAllocation(mlir::ModuleOp module, const Recipe &recipe, Comparison &comparison) {
  if (!recipe.pipeline.contains("qopt-allocate-bits"))
    return runQuantizePhase(module, recipe, kTool);
  SmallString<128> path;
  if (std::error_code error = sys::fs::createTemporaryFile("qopt-allocation", "json", path))
    return reportError(kTool, "cannot create a temporary file: " + error.message());
  FileRemover remover(path);
  if (int status = runQuantizePhase(module, recipe, kTool, path))
    return status;
  ErrorOr<std::unique_ptr<MemoryBuffer>> text = MemoryBuffer::getFile(path);
  if (!text)
    return reportError(kTool, recipe.name + ": cannot read the bit allocation report: " + text.getError().message());
  Expected<json::Value> report = json::parse((*text)->getBuffer());
  if (!report)
    return reportError(kTool, recipe.name + ": bit allocation report: " + toString(report.takeError()));
  comparison.allocation = std::move(*report);
  return 0;
}

/// The layers whose output SQNR is lowest in any recipe (worst first), with
/// histograms of their float weights and of their outputs on the first
/// evaluation samples, float against that recipe.
json::Array getWorstLayerHistograms(std::vector<Comparison> &comparisons, JitModel &floatModel,
                                    SampleSource &source, int64_t samples, const StringMap<std::vector<float>> &weights) {
  constexpr size_t kLayers = 4, kMaxValues = size_t(1) << 18;
  constexpr int64_t kSamples = 4;
  constexpr unsigned kBins = 60;
  struct Worst {
    Comparison *comparison;
    const Compared *layer;
    double sqnrDb;
  };
  StringMap<Worst> worstByLayer;
  for (Comparison &comparison : comparisons)
    for (const Compared &layer : comparison.layers) {
      double sqnr = layer.fidelity.getSqnrDb();
      if (!std::isfinite(sqnr))
        continue; // exact
      auto [it, inserted] = worstByLayer.try_emplace(layer.name, Worst{&comparison, &layer, sqnr});
      if (!inserted && sqnr < it->second.sqnrDb)
        it->second = Worst{&comparison, &layer, sqnr};
    }
  std::vector<Worst> worst;
  for (auto &entry : worstByLayer)
    worst.push_back(entry.second);
  std::sort(worst.begin(), worst.end(), [](const Worst &a, const Worst &b) { return a.sqnrDb < b.sqnrDb; });
  worst.resize(std::min(worst.size(), kLayers));
  if (worst.empty())
    return {};

  // Their outputs again on a few samples, every value kept up to kMaxValues.
  std::vector<std::vector<float>> floatValues(worst.size()), quantizedValues(worst.size());
  std::vector<std::vector<char>> inputs = source.allocateInputs();
  std::vector<const void *> inputPointers;
  std::vector<void *> fillPointers;
  for (auto &buffer : inputs) {
    inputPointers.push_back(buffer.data());
    fillPointers.push_back(buffer.data());
  }
  OutputBuffers floatOutputs(floatModel);
  int64_t histogramSamples = std::min(samples, kSamples);
  for (int64_t s = 0; s < histogramSamples; ++s) {
    source.fill(s, fillPointers);
    floatModel.run(inputPointers, floatOutputs.pointers);
    for (Comparison &comparison : comparisons)
      if (llvm::any_of(worst, [&](const Worst &w) { return w.comparison == &comparison; }))
        comparison.model->run(inputPointers, comparison.buffers->pointers);
    for (auto [i, entry] : llvm::enumerate(worst)) {
      size_t size = entry.layer->size;
      size_t stride = std::max<size_t>(1, size * size_t(histogramSamples) / kMaxValues);
      const float *reference = floatOutputs.floats(entry.layer->output);
      const float *quantized = entry.comparison->buffers->floats(entry.layer->output);
      for (size_t k = 0; k < size; k += stride) {
        floatValues[i].push_back(reference[k]);
        quantizedValues[i].push_back(quantized[k]);
      }
    }
  }
  json::Array histograms;
  for (auto [i, entry] : llvm::enumerate(worst)) {
    json::Object histogram{{"layer", entry.layer->name},
                           {"recipe", entry.comparison->recipe},
                           {"sqnr_db", entry.sqnrDb},
                           {"activations", makeSharedHistogram({floatValues[i], quantizedValues[i]}, kBins)}};
    auto weight = weights.find(entry.layer->name);
    if (weight != weights.end())
      histogram["weights"] = makeSharedHistogram({ArrayRef<float>(weight->second)}, kBins);
    histograms.push_back(std::move(histogram));
  }
  return histograms;
}

} // namespace

int qopt::runEval() {
  if (listRecipesIfAsked())
    return 0;
  SmallVector<const Recipe *> recipes;
  SmallVector<StringRef> names;
  StringRef(getRecipeList()).split(names, ',', -1, /*KeepEmpty=*/false);
  for (StringRef name : names) {
    const Recipe *recipe = findRecipeOrReport(kTool, name.trim());
    if (!recipe)
      return 1;
    recipes.push_back(recipe);
  }
  if (recipes.empty())
    return reportError(kTool, "--recipe names no recipe");
  if (isGenerationEvalRequested())
    return runGenerationEval(recipes, evaluationData, emitJson);

  std::unique_ptr<mlir::MLIRContext> context = createDriverContext(kTool);
  mlir::OwningOpRef<mlir::ModuleOp> floatModule = importModel(*context, kTool);
  if (!floatModule)
    return 1;
  if (int status = runGraphPhase(*floatModule))
    return status;
  // One calibration serves every recipe: it measures what any of them needs
  // (and is named after the first that needs calibration).
  Recipe needs = *recipes.front();
  bool named = needs.needsCalibration;
  for (const Recipe *recipe : recipes) {
    if (recipe->needsCalibration && !named) {
      needs.name = recipe->name;
      named = true;
    }
    needs.needsCalibration |= recipe->needsCalibration;
    needs.needsSensitivities |= recipe->needsSensitivities;
    needs.needsLatencies |= recipe->needsLatencies;
  }
  if (int status = runCalibrationPhase(*floatModule, needs, kTool))
    return status;

  // The float model once; each recipe's model beside it.
  // The report plots every layer: it needs their outputs too.
  const bool probeLayers = perLayer || !reportPath.empty();
  mlir::OwningOpRef<mlir::ModuleOp> reference = floatModule->clone();
  if (probeLayers && failed(exposeLayerOutputs(*reference)))
    return 1;
  Expected<std::unique_ptr<JitModel>> floatModel = JitModel::compile(*reference, getEntryName());
  if (!floatModel)
    return reportError(kTool, "float model: " + toString(floatModel.takeError()));
  const ModelSignature &floatSignature = (*floatModel)->getSignature();
  Expected<std::unique_ptr<SampleSource>> source = SampleSource::open(evaluationData, floatSignature);
  if (!source)
    return reportError(kTool, toString(source.takeError()));
  int64_t samples = (*source)->getNumSamples();
  if (maxSamples > 0)
    samples = std::min<int64_t>(samples, maxSamples);

  auto function = floatModule->lookupSymbol<mlir::func::FuncOp>(getEntryName());
  const unsigned modelOutputs = function.getNumResults();
  std::vector<Comparison> comparisons;
  for (const Recipe *recipe : recipes) {
    mlir::OwningOpRef<mlir::ModuleOp> quantized = floatModule->clone();
    Comparison comparison;
    if (int status = reportPath.empty() ? runQuantizePhase(*quantized, *recipe, kTool)
                                        : runQuantizePhaseKeepingAllocation(*quantized, *recipe, comparison))
      return status;
    comparison.recipe = recipe->name.str();
    comparison.bitsPerWeight = getBitsPerWeight(*quantized);
    if (probeLayers && failed(exposeLayerOutputs(*quantized)))
      return 1;
    Expected<std::unique_ptr<JitModel>> model = JitModel::compile(*quantized, getEntryName());
    if (!model)
      return reportError(kTool, recipe->name + ": " + toString(model.takeError()));
    const ModelSignature &signature = (*model)->getSignature();
    if (signature.outputs.size() != floatSignature.outputs.size())
      return reportError(kTool, recipe->name + ": the quantized model has other outputs than the float one");
    for (auto [i, output] : llvm::enumerate(signature.outputs)) {
      if (output.elementType != 1)
        continue; // only float outputs are compared
      Compared compared{output.name, unsigned(i), size_t(output.getNumElements()),
                        FidelityAccumulator(output.shape.empty() ? 1 : output.shape.back())};
      (i < modelOutputs ? comparison.outputs : comparison.layers).push_back(std::move(compared));
    }
    comparison.buffers = std::make_unique<OutputBuffers>(**model);
    comparison.model = std::move(*model);
    comparisons.push_back(std::move(comparison));
  }

  std::vector<std::vector<char>> inputs = (*source)->allocateInputs();
  std::vector<const void *> inputPointers;
  std::vector<void *> fillPointers;
  for (auto &buffer : inputs) {
    inputPointers.push_back(buffer.data());
    fillPointers.push_back(buffer.data());
  }
  OutputBuffers floatOutputs(**floatModel);
  ProgressBar progress("evaluating", samples, true);
  for (int64_t s = 0; s < samples; ++s) {
    (*source)->fill(s, fillPointers);
    (*floatModel)->run(inputPointers, floatOutputs.pointers);
    for (Comparison &comparison : comparisons) {
      comparison.model->run(inputPointers, comparison.buffers->pointers);
      for (std::vector<Compared> *list : {&comparison.outputs, &comparison.layers})
        for (Compared &compared : *list)
          compared.fidelity.add(floatOutputs.floats(compared.output), comparison.buffers->floats(compared.output),
                                compared.size);
    }
    progress.update(s + 1);
  }

  if (!reportPath.empty()) {
    json::Array results = getResultsJson(comparisons, /*withLayers=*/true);
    for (auto [result, comparison] : llvm::zip_equal(results, comparisons))
      if (comparison.allocation)
        (*result.getAsObject())["allocation"] = *comparison.allocation;
    json::Object report{{"model", getModelPath()},
                        {"samples", samples},
                        {"results", std::move(results)},
                        {"histograms", getWorstLayerHistograms(comparisons, **floatModel, **source, samples,
                                                               readLayerWeights(*floatModule))}};
    if (Error error = writeEvalReport(report, reportPath))
      return reportError(kTool, toString(std::move(error)));
  }

  if (emitJson) {
    json::Array results = getResultsJson(comparisons, perLayer);
    outs() << formatv("{0:2}", json::Value(json::Object{{"model", getModelPath()},
                                                         {"samples", samples},
                                                         {"results", std::move(results)}}))
           << "\n";
    return 0;
  }
  outs() << formatv("{0} on {1} samples\n", getModelPath(), samples);
  outs() << formatv("{0,-22} {1,6} {2,-14} {3,11} {4,8} {5,9}\n", "recipe", "bpw", "output", "KLD", "top-1",
                    "SQNR dB");
  for (const Comparison &comparison : comparisons)
    for (const Compared &compared : comparison.outputs) {
      const FidelityAccumulator &fidelity = compared.fidelity;
      outs() << formatv("{0,-22} {1,6:f2} {2,-14} {3,11} {4,8} {5,9:f2}\n", comparison.recipe,
                        comparison.bitsPerWeight, compared.name,
                        fidelity.isDistribution() ? formatv("{0:e3}", fidelity.getMeanKld()).str() : "-",
                        fidelity.isDistribution() ? formatv("{0:p2}", fidelity.getTop1Agreement()).str() : "-",
                        fidelity.getSqnrDb());
    }
  if (perLayer)
    for (const Comparison &comparison : comparisons) {
      outs() << formatv("\n{0}: SQNR of each layer's output (dB)\n", comparison.recipe);
      for (const Compared &compared : comparison.layers)
        outs() << formatv("  {0,-40} {1,8:f2}\n", compared.name, compared.fidelity.getSqnrDb());
    }
  return 0;
}
