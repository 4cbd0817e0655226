//===- KernelLatency.cpp - What each layer's kernel costs per scheme ------===//

#include "qopt/Calibration/KernelLatency.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Execution/JitModel.h"
#include "qopt/Support/CalibrationAttributes.h"
#include "qopt/Support/ConstantTensor.h"
#include "qopt/Support/ProgressBar.h"
#include "qopt/Transforms/Passes.h"
#include "qopt/Transforms/WeightedLayers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"

#include <algorithm>
#include <chrono>
#include <map>

using namespace qopt;

namespace {

/// What makes two layers' kernels the same: the operation, its operand and
/// result types and its attributes other than calibration statistics.
std::string getKernelKey(mlir::Operation *layer) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << layer->getName();
  for (mlir::Type type : layer->getOperandTypes())
    os << " " << type;
  os << " -> " << layer->getResult(0).getType();
  for (mlir::NamedAttribute attr : layer->getAttrs())
    if (!attr.getName().strref().starts_with(calib::kPrefix) && attr.getName() != kWeightSchemeAttr)
      os << " " << attr.getName() << "=" << attr.getValue();
  return key;
}

/// A module of `layer` alone: func @main(%input) -> result, the other
/// operands cloned constants, the layer marked with `scheme`; null when an
/// operand other than the input is not a constant.
mlir::OwningOpRef<mlir::ModuleOp> buildLayerModule(mlir::Operation *layer, const WeightScheme &scheme) {
  mlir::Location loc = layer->getLoc();
  mlir::OpBuilder b(layer->getContext());
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  mlir::Value input = layer->getOperand(0);
  auto function = mlir::func::FuncOp::create(
      b, loc, "main", b.getFunctionType({input.getType()}, {layer->getResult(0).getType()}));
  mlir::Block *entry = function.addEntryBlock();
  b.setInsertionPointToStart(entry);
  mlir::IRMapping mapping;
  mapping.map(input, entry->getArgument(0));
  for (mlir::Value operand : layer->getOperands().drop_front()) {
    mlir::Operation *definition = operand.getDefiningOp();
    if (!definition || !definition->hasTrait<mlir::OpTrait::ConstantLike>())
      return nullptr;
    if (!mapping.contains(operand))
      b.clone(*definition, mapping);
  }
  mlir::Operation *clone = b.clone(*layer, mapping);
  for (mlir::NamedAttribute attr : llvm::to_vector(clone->getDiscardableAttrs()))
    if (attr.getName().strref().starts_with(calib::kPrefix))
      clone->removeAttr(attr.getName());
  clone->setAttr(kWeightSchemeAttr, b.getStringAttr(scheme.str()));
  mlir::func::ReturnOp::create(b, loc, clone->getResult(0));
  return module;
}

/// The fastest of repeated runs of `model` on zero inputs, in milliseconds:
/// the least disturbed by whatever else the machine runs.
double timeModel(const JitModel &model, const KernelLatencyOptions &options) {
  std::vector<std::vector<char>> outputs = model.allocateOutputs();
  std::vector<void *> outputPointers;
  for (auto &buffer : outputs)
    outputPointers.push_back(buffer.data());
  std::vector<std::vector<char>> inputs;
  std::vector<const void *> inputPointers;
  for (const BoundaryTensor &tensor : model.getSignature().inputs) {
    inputs.emplace_back(size_t(tensor.getNumElements()) * 8, 0); // room for any element type
    inputPointers.push_back(inputs.back().data());
  }
  for (int warmup = 0; warmup < 2; ++warmup)
    model.run(inputPointers, outputPointers);
  std::vector<double> times;
  double spent = 0.0;
  while (int(times.size()) < options.maxRuns && (times.size() < 3 || spent < options.secondsPerMeasurement)) {
    auto start = std::chrono::steady_clock::now();
    model.run(inputPointers, outputPointers);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    times.push_back(1000.0 * seconds);
    spent += seconds;
  }
  return *std::min_element(times.begin(), times.end());
}

} // namespace

llvm::Expected<KernelLatencySummary> qopt::measureKernelLatencies(mlir::ModuleOp module,
                                                                  const KernelLatencyOptions &options) {
  auto start = std::chrono::steady_clock::now();
  KernelLatencySummary summary;
  llvm::SmallVector<mlir::Operation *> layers = getWeightedLayers(module);
  summary.layers = int64_t(layers.size());
  summary.schemes = int64_t(options.schemes.size());
  std::map<std::string, mlir::DictionaryAttr> measured;
  ProgressBar progress("measuring kernel latencies", int64_t(layers.size()), options.progress);
  mlir::Builder builder(module.getContext());
  for (auto [index, layer] : llvm::enumerate(layers)) {
    std::string key = getKernelKey(layer);
    auto found = measured.find(key);
    if (found == measured.end()) {
      llvm::SmallVector<mlir::NamedAttribute> latencies;
      for (const WeightScheme &scheme : options.schemes) {
        mlir::OwningOpRef<mlir::ModuleOp> single = buildLayerModule(layer, scheme);
        if (!single)
          return llvm::createStringError("layer " + llvm::Twine(index) + " reads a bias or weight that is not a constant");
        mlir::PassManager pm(module.getContext());
        pm.addPass(createQuantizeWeights());
        if (mlir::failed(pm.run(*single)))
          return llvm::createStringError("layer " + llvm::Twine(index) + " cannot be quantized to " + scheme.str());
        llvm::Expected<std::unique_ptr<JitModel>> model = JitModel::compile(*single, "main");
        if (!model)
          return model.takeError();
        latencies.push_back(builder.getNamedAttr(scheme.str(), builder.getF64FloatAttr(timeModel(**model, options))));
        ++summary.measurements;
      }
      found = measured.emplace(key, builder.getDictionaryAttr(latencies)).first;
    }
    layer->setAttr(calib::kLatency, found->second);
    progress.update(int64_t(index) + 1);
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}
