//===- Sensitivity.cpp - How much each layer's quantization hurts ---------===//

#include "qopt/Calibration/Sensitivity.h"

#include "qopt/Calibration/SampleSource.h"
#include "qopt/Dialect/QoptOps.h"
#include "qopt/Execution/Fidelity.h"
#include "qopt/Execution/JitModel.h"
#include "qopt/Quant/WeightQuantization.h"
#include "qopt/Support/CalibrationAttributes.h"
#include "qopt/Support/ConstantTensor.h"
#include "qopt/Support/ProgressBar.h"
#include "qopt/Transforms/WeightedLayers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <chrono>
#include <cmath>
#include <cstring>

using namespace qopt;

namespace {

/// The loss of `test` against `reference` outputs: mean KLD for a
/// distribution, else the relative squared error.
double getLoss(const FidelityAccumulator &fidelity) {
  if (fidelity.isDistribution())
    return fidelity.getMeanKld();
  double sqnr = fidelity.getSqnrDb();
  return std::isfinite(sqnr) ? std::pow(10.0, -sqnr / 10.0) : 0.0;
}

} // namespace

llvm::Expected<SensitivitySummary> qopt::measureSensitivities(mlir::ModuleOp module, llvm::StringRef entryName,
                                                              llvm::StringRef dataPath,
                                                              const SensitivityOptions &options) {
  auto start = std::chrono::steady_clock::now();
  SensitivitySummary summary;
  llvm::SmallVector<mlir::Operation *> layers = getWeightedLayers(module);
  summary.layers = int64_t(layers.size());
  summary.schemes = int64_t(options.schemes.size());
  if (layers.empty() || options.schemes.empty())
    return summary;

  // The clone reads every weight from a new argument after the inputs.
  mlir::OwningOpRef<mlir::ModuleOp> clone = module.clone();
  auto function = clone->lookupSymbol<mlir::func::FuncOp>(entryName);
  if (!function)
    return llvm::createStringError("no function @" + entryName + " to measure sensitivities on");
  const unsigned modelInputs = function.getNumArguments();
  std::vector<std::vector<float>> weights;
  std::vector<std::pair<int64_t, int64_t>> shapes; // [rows, columns]
  for (mlir::Operation *layer : getWeightedLayers(*clone)) {
    mlir::Value weight = layer->getOperand(1);
    auto type = mlir::cast<mlir::RankedTensorType>(weight.getType());
    std::optional<std::vector<float>> values = readFloatConstant(getConstantTensor(weight));
    if (!values)
      return llvm::createStringError("a layer's weight cannot be read as f32");
    weights.push_back(std::move(*values));
    shapes.push_back({type.getDimSize(0), type.getNumElements() / type.getDimSize(0)});
    layer->setOperand(1, function.getBody().front().addArgument(type, layer->getLoc()));
  }
  function.setType(mlir::FunctionType::get(clone->getContext(), function.getBody().front().getArgumentTypes(),
                                           function.getResultTypes()));
  llvm::Expected<std::unique_ptr<JitModel>> model = JitModel::compile(*clone, entryName);
  if (!model)
    return model.takeError();
  ModelSignature dataSignature = (*model)->getSignature();
  dataSignature.inputs.resize(modelInputs);
  llvm::Expected<std::unique_ptr<SampleSource>> source = SampleSource::open(dataPath, dataSignature);
  if (!source)
    return source.takeError();
  int64_t samples = (*source)->getNumSamples();
  if (options.maxSamples > 0)
    samples = std::min(samples, options.maxSamples);
  summary.samples = samples;
  const BoundaryTensor &output = (*model)->getSignature().outputs.front();
  if (output.elementType != 1)
    return llvm::createStringError("the model's first output '" + output.name + "' is not f32");

  // Inputs of every sample, and the float model's outputs on them.
  std::vector<std::vector<std::vector<char>>> sampleInputs;
  std::vector<std::vector<char>> references;
  std::vector<std::vector<char>> outputs = (*model)->allocateOutputs();
  std::vector<void *> outputPointers;
  for (auto &buffer : outputs)
    outputPointers.push_back(buffer.data());
  std::vector<const void *> inputPointers(modelInputs + weights.size());
  for (size_t w = 0; w < weights.size(); ++w)
    inputPointers[modelInputs + w] = weights[w].data();
  auto runSample = [&](int64_t s) {
    for (unsigned i = 0; i < modelInputs; ++i)
      inputPointers[i] = sampleInputs[size_t(s)][i].data();
    (*model)->run(inputPointers, outputPointers);
  };
  for (int64_t s = 0; s < samples; ++s) {
    sampleInputs.push_back((*source)->allocateInputs());
    std::vector<void *> fill;
    for (auto &buffer : sampleInputs.back())
      fill.push_back(buffer.data());
    (*source)->fill(s, fill);
    runSample(s);
    references.push_back(outputs.front());
  }

  const int64_t classes = output.shape.empty() ? 1 : output.shape.back();
  const size_t outputSize = outputs.front().size() / sizeof(float);
  ProgressBar progress("measuring sensitivities", int64_t(layers.size() * options.schemes.size()), options.progress);
  mlir::Builder builder(module.getContext());
  for (size_t l = 0; l < layers.size(); ++l) {
    auto [rows, columns] = shapes[l];
    llvm::SmallVector<mlir::NamedAttribute> losses;
    for (const WeightScheme &scheme : options.schemes) {
      RtnOptions rtn;
      rtn.format = scheme.format;
      rtn.group = scheme.group;
      llvm::Expected<QuantizedMatrix> quantized = quantizeRtn(weights[l], rows, columns, rtn);
      if (!quantized)
        return llvm::createStringError("layer " + llvm::Twine(l) + " cannot be quantized to " + scheme.str() + ": " +
                         llvm::toString(quantized.takeError()));
      std::vector<float> restored = quantized->dequantize(scheme.format);
      inputPointers[modelInputs + l] = restored.data();
      FidelityAccumulator fidelity(classes);
      for (int64_t s = 0; s < samples; ++s) {
        runSample(s);
        fidelity.add(reinterpret_cast<const float *>(references[size_t(s)].data()),
                     reinterpret_cast<const float *>(outputs.front().data()), outputSize);
      }
      inputPointers[modelInputs + l] = weights[l].data();
      losses.push_back(builder.getNamedAttr(scheme.str(), builder.getF64FloatAttr(getLoss(fidelity))));
      progress.update(int64_t(l * options.schemes.size()) + int64_t(losses.size()));
    }
    layers[l]->setAttr(calib::kSensitivity, builder.getDictionaryAttr(losses));
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}
