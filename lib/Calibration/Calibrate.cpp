//===- Calibrate.cpp - Calibration inside the compiler --------------------===//

#include "qopt/Calibration/Calibrate.h"

#include "qopt/Calibration/ActivationStatistics.h"
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
    if (mlir::isa<LinearOp, QLinearOp>(op))
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
  for (mlir::Operation *layer : getLayers(*probed)) {
    auto probe = layer->getOperand(0).getDefiningOp<ObserveOp>();
    layerProbe.push_back(probe ? int64_t(probe.getId()) : -1);
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

  // Statistics per probe: rows of the last dimension. Probes feeding a
  // qopt.linear whose weight is constant also get Hessians.
  llvm::DenseMap<int64_t, std::unique_ptr<ActivationStatistics>> statistics;
  for (auto [id, output] : probeOutput) {
    const BoundaryTensor &tensor = signature.outputs[output];
    if (tensor.elementType != 1)
      return makeError("probe '" + tensor.name + "' is not f32; calibration reads f32 activations");
    statistics[id] = std::make_unique<ActivationStatistics>(tensor.shape.back(), options.hessians);
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
  ProgressBar progress("calibrating", samples, options.progress);
  for (int64_t s = 0; s < samples; ++s) {
    (*source)->fill(s, fillPointers);
    (*model)->run(inputPointers, outputPointers);
    for (auto &[id, stats] : statistics) {
      const std::vector<char> &buffer = outputs[probeOutput[id]];
      int64_t rows = int64_t(buffer.size() / sizeof(float)) / stats->getChannels();
      stats->add(reinterpret_cast<const float *>(buffer.data()), rows);
    }
    progress.update(s + 1);
  }
  for (auto [layer, id] : llvm::zip_equal(layers, layerProbe))
    if (id >= 0)
      annotate(layer, *statistics[id]);
  summary.samples = samples;
  summary.seconds = now() - start;
  return summary;
}
