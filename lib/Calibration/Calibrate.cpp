//===- Calibrate.cpp - Calibration inside the compiler --------------------===//

#include "qopt/Calibration/Calibrate.h"

#include "qopt/Calibration/ActivationStatistics.h"
#include "qopt/Calibration/ImagePatches.h"
#include "qopt/Calibration/SampleSource.h"
#include "qopt/Dialect/QoptOps.h"
#include "qopt/Execution/JitModel.h"
#include "qopt/Support/CalibrationAttributes.h"
#include "qopt/Support/ProgressBar.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseMap.h"

#include <chrono>
#include <optional>

using namespace qopt;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

llvm::SmallVector<mlir::Operation *> getLayers(mlir::ModuleOp module) {
  llvm::SmallVector<mlir::Operation *> layers;
  module->walk([&](mlir::Operation *op) {
    if (mlir::isa<LinearOp, QLinearOp, Conv2DOp, QConv2DOp>(op))
      layers.push_back(op);
  });
  return layers;
}

mlir::DenseElementsAttr floatVector(mlir::MLIRContext *context, llvm::ArrayRef<float> values) {
  auto type = mlir::RankedTensorType::get({int64_t(values.size())}, mlir::Float32Type::get(context));
  return mlir::DenseElementsAttr::get(type, values);
}

void annotate(mlir::Operation *layer, const ActivationStatistics &stats) {
  mlir::MLIRContext *context = layer->getContext();
  mlir::Builder builder(context);
  layer->setAttr(calib::kRows, builder.getI64IntegerAttr(stats.getRows()));
  layer->setAttr(calib::kAbsMax, builder.getF32FloatAttr(stats.getAbsMax()));
  llvm::SmallVector<float> quantiles;
  for (double q : calib::kQuantiles)
    quantiles.push_back(stats.getAbsQuantile(q));
  layer->setAttr(calib::kAbsQuantiles, floatVector(context, quantiles));
  layer->setAttr(calib::kChannelAbsMax, floatVector(context, stats.getChannelAbsMax()));
  layer->setAttr(calib::kChannelMean, floatVector(context, stats.getChannelMean()));
  if (stats.hasHessian()) {
    std::vector<float> hessian = stats.getHessian();
    int64_t k = stats.getChannels();
    auto type = mlir::RankedTensorType::get({k, k}, builder.getF32Type());
    llvm::ArrayRef<char> bytes(reinterpret_cast<const char *>(hessian.data()), hessian.size() * sizeof(float));
    layer->setAttr(calib::kHessian,
                   mlir::DenseResourceElementsAttr::get(
                       type, "hessian", mlir::HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(float))));
  }
}

template <typename Conv2DLikeOp>
PatchGeometry getPatchGeometry(Conv2DLikeOp op, llvm::ArrayRef<int64_t> kernel) {
  llvm::ArrayRef<int64_t> shape = op.getInput().getType().getShape();
  return {shape[0], shape[1], shape[2], shape[3], {kernel[0], kernel[1]}, getConvolutionGeometry(op)};
}

/// The image patches a convolution multiplies; std::nullopt for linears.
std::optional<PatchGeometry> getLayerPatches(mlir::Operation *layer) {
  if (auto conv = mlir::dyn_cast<Conv2DOp>(layer))
    return getPatchGeometry(conv, conv.getWeight().getType().getShape().drop_front(2));
  if (auto conv = mlir::dyn_cast<QConv2DOp>(layer))
    return getPatchGeometry(conv, conv.getKernel());
  return std::nullopt;
}

/// Where statistics come from: the rows of a probe's last dimension (shared
/// by every linear layer reading that tensor), or the image patches of one
/// convolution's input.
struct Collector {
  unsigned output;
  std::optional<PatchGeometry> patches;
  std::unique_ptr<ActivationStatistics> stats;
};

} // namespace

llvm::Expected<CalibrationSummary> qopt::calibrate(mlir::ModuleOp module, llvm::StringRef entryName,
                                                   llvm::StringRef dataPath,
                                                   const CalibrationOptions &options) {
  double start = now();
  CalibrationSummary summary;
  llvm::SmallVector<mlir::Operation *> layers = getLayers(module);
  summary.layers = int64_t(layers.size());
  if (layers.empty())
    return summary;

  // The probed clone; layer i of the clone is layer i of `module`.
  mlir::OwningOpRef<mlir::ModuleOp> probed = module.clone();
  {
    mlir::PassManager pm(module.getContext());
    pm.addPass(createInsertProbes());
    if (mlir::failed(pm.run(*probed)))
      return makeError("inserting calibration probes failed");
  }
  std::vector<int64_t> layerProbe;
  std::vector<std::optional<PatchGeometry>> layerPatches;
  for (mlir::Operation *layer : getLayers(*probed)) {
    auto probe = layer->getOperand(0).getDefiningOp<ObserveOp>();
    layerProbe.push_back(probe ? int64_t(probe.getId()) : -1);
    layerPatches.push_back(getLayerPatches(layer));
  }
  {
    mlir::PassManager pm(module.getContext());
    pm.addPass(createProbesToResults());
    if (mlir::failed(pm.run(*probed)))
      return makeError("exposing calibration probes failed");
  }
  auto function = probed->lookupSymbol<mlir::func::FuncOp>(entryName);
  if (!function)
    return makeError("no function @" + entryName + " to calibrate");
  // Output index of each probe.
  llvm::DenseMap<int64_t, unsigned> probeOutput;
  for (unsigned i = 0; i < function.getNumResults(); ++i)
    if (auto id = function.getResultAttrOfType<mlir::IntegerAttr>(i, "qopt.probe"))
      probeOutput[id.getInt()] = i;
  summary.probes = int64_t(probeOutput.size());

  llvm::Expected<std::unique_ptr<JitModel>> model = JitModel::compile(*probed, entryName);
  if (!model)
    return model.takeError();
  const ModelSignature &signature = (*model)->getSignature();
  llvm::Expected<std::unique_ptr<SampleSource>> source = SampleSource::open(dataPath, signature);
  if (!source)
    return source.takeError();

  // One collector per probe read by linear layers, one per convolution;
  // layers with constant weights also get Hessians (not grouped
  // convolutions: GPTQ would need one per group).
  std::vector<Collector> collectors;
  std::vector<int64_t> layerCollector;
  llvm::DenseMap<int64_t, size_t> probeCollector;
  for (auto [id, patches] : llvm::zip_equal(layerProbe, layerPatches)) {
    if (id < 0 || !probeOutput.count(id)) {
      layerCollector.push_back(-1);
      continue;
    }
    auto shared = patches ? probeCollector.end() : probeCollector.find(id);
    if (shared != probeCollector.end()) {
      layerCollector.push_back(int64_t(shared->second));
      continue;
    }
    unsigned output = probeOutput[id];
    const BoundaryTensor &tensor = signature.outputs[output];
    if (tensor.elementType != 1)
      return makeError("probe '" + tensor.name + "' is not f32; calibration reads f32 activations");
    int64_t channels = patches ? patches->getPatchSize() : tensor.shape.back();
    bool hessian = options.hessians && (!patches || patches->convolution.groups == 1);
    if (!patches)
      probeCollector[id] = collectors.size();
    layerCollector.push_back(int64_t(collectors.size()));
    collectors.push_back({output, patches, std::make_unique<ActivationStatistics>(channels, hessian)});
  }

  int64_t samples = (*source)->getNumSamples();
  if (options.maxSamples > 0)
    samples = std::min(samples, options.maxSamples);
  std::vector<std::vector<char>> inputs = (*source)->allocateInputs();
  std::vector<std::vector<char>> outputs = (*model)->allocateOutputs();
  std::vector<const void *> inputPointers;
  std::vector<void *> outputPointers, fillPointers;
  for (auto &buffer : inputs) {
    inputPointers.push_back(buffer.data());
    fillPointers.push_back(buffer.data());
  }
  for (auto &buffer : outputs)
    outputPointers.push_back(buffer.data());
  std::vector<float> patchRows;
  ProgressBar progress("calibrating", samples, options.progress);
  for (int64_t s = 0; s < samples; ++s) {
    (*source)->fill(s, fillPointers);
    (*model)->run(inputPointers, outputPointers);
    for (Collector &collector : collectors) {
      const std::vector<char> &buffer = outputs[collector.output];
      const float *data = reinterpret_cast<const float *>(buffer.data());
      if (collector.patches) {
        extractPatches(data, *collector.patches, patchRows);
        collector.stats->add(patchRows.data(), collector.patches->getNumPatches());
        continue;
      }
      int64_t rows = int64_t(buffer.size() / sizeof(float)) / collector.stats->getChannels();
      collector.stats->add(data, rows);
    }
    progress.update(s + 1);
  }
  for (auto [layer, index] : llvm::zip_equal(layers, layerCollector))
    if (index >= 0)
      annotate(layer, *collectors[size_t(index)].stats);
  summary.samples = samples;
  summary.seconds = now() - start;
  return summary;
}
