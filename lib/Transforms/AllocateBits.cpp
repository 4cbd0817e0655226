//===- AllocateBits.cpp - One weight scheme per layer under a budget ------===//
//
// Builds the integer program of qopt/Quant/BitAllocation.h from the layers
// of a module: one item per group of tied layers, one option per candidate
// scheme with the group's summed sensitivity and size, and writes the
// chosen scheme to every layer (qopt.weight_scheme).
//
//===----------------------------------------------------------------------===//

#include "qopt/Transforms/Passes.h"

#include "HessianDiagonal.h"
#include "LayerName.h"
#include "qopt/Transforms/WeightedLayers.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Quant/BitAllocation.h"
#include "qopt/Quant/WeightQuantization.h"
#include "qopt/Quant/WeightScheme.h"
#include "qopt/Support/CalibrationAttributes.h"
#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cmath>
#include <limits>

namespace qopt {
#define GEN_PASS_DEF_ALLOCATEBITS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// A layer with a constant weight, seen as an [rows, columns] matrix.
struct Layer {
  Operation *op;
  std::string name;
  int64_t rows = 0, columns = 0;
  /// Per candidate: sensitivity, storage in bits and (with a latency
  /// budget) kernel milliseconds.
  std::vector<double> sensitivities, bits, latencies;
};

/// The value a layer reads, looking through reshapes.
Value getSourceInput(Operation *layer) {
  Value input = layer->getOperand(0);
  while (Operation *reshape = input.getDefiningOp()) {
    if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(reshape))
      break;
    input = reshape->getOperand(0);
  }
  return input;
}

struct AllocateBitsPass : qopt::impl::AllocateBitsBase<AllocateBitsPass> {
  using AllocateBitsBase::AllocateBitsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string error;
    std::optional<std::vector<WeightScheme>> schemes = parseWeightSchemes(candidates, &error);
    if (!schemes) {
      module.emitError() << "qopt-allocate-bits: " << error;
      return signalPassFailure();
    }
    if ((budget > 0 && sizeMb > 0) || (budget <= 0 && sizeMb <= 0 && latencyMs <= 0)) {
      module.emitError("qopt-allocate-bits: give one of budget (bits per weight) and size-mb, latency-ms, or both");
      return signalPassFailure();
    }
    if (sensitivity != "auto" && sensitivity != "measured" && sensitivity != "proxy") {
      module.emitError() << "qopt-allocate-bits: sensitivity must be auto, measured or proxy, not '" << sensitivity
                         << "'";
      return signalPassFailure();
    }
    if (tie != "weights" && tie != "inputs") {
      module.emitError() << "qopt-allocate-bits: tie must be weights or inputs, not '" << tie << "'";
      return signalPassFailure();
    }

    std::vector<Layer> layers;
    for (Operation *op : getWeightedLayers(module)) {
      auto type = cast<RankedTensorType>(op->getOperand(1).getType());
      layers.push_back({op, getLayerName(op, int64_t(layers.size())), type.getDimSize(0),
                        type.getNumElements() / type.getDimSize(0), {}, {}, {}});
    }
    if (layers.empty()) {
      module.emitRemark("qopt-allocate-bits: no layer with a constant weight to allocate");
      return;
    }
    bool measured = sensitivity == "measured" ||
                    (sensitivity == "auto" && llvm::all_of(layers, [](const Layer &layer) {
                       return layer.op->hasAttr(calib::kSensitivity);
                     }));
    for (Layer &layer : layers) {
      if (failed(measured ? readSensitivities(layer, *schemes) : computeProxySensitivities(layer, *schemes)))
        return signalPassFailure();
      for (const WeightScheme &scheme : *schemes)
        layer.bits.push_back(scheme.getBitsPerWeight(layer.rows, layer.columns) * double(layer.rows * layer.columns));
      if (latencyMs > 0 && failed(readLatencies(layer, *schemes)))
        return signalPassFailure();
    }

    // Tied layers: one item.
    llvm::EquivalenceClasses<size_t> ties;
    llvm::DenseMap<Value, size_t> byWeight, byInput;
    for (size_t i = 0; i < layers.size(); ++i) {
      ties.insert(i);
      auto [weight, newWeight] = byWeight.try_emplace(layers[i].op->getOperand(1), i);
      if (!newWeight)
        ties.unionSets(i, weight->second);
      if (tie == "inputs") {
        auto [input, newInput] = byInput.try_emplace(getSourceInput(layers[i].op), i);
        if (!newInput)
          ties.unionSets(i, input->second);
      }
    }
    std::vector<AllocationItem> items;
    std::vector<std::vector<size_t>> members;
    double totalWeights = 0;
    for (const auto &cls : ties) {
      if (!cls->isLeader())
        continue;
      AllocationItem item;
      item.losses.assign(schemes->size(), 0.0);
      item.bits.assign(schemes->size(), 0.0);
      if (latencyMs > 0)
        item.latencies.assign(schemes->size(), 0.0); // tied layers each run their kernel
      members.emplace_back();
      for (auto member = ties.member_begin(*cls); member != ties.member_end(); ++member) {
        const Layer &layer = layers[*member];
        item.name += (item.name.empty() ? "" : "+") + layer.name;
        for (size_t s = 0; s < schemes->size(); ++s) {
          item.losses[s] += layer.sensitivities[s];
          item.bits[s] += layer.bits[s];
          if (latencyMs > 0)
            item.latencies[s] += layer.latencies[s];
        }
        members.back().push_back(*member);
      }
      items.push_back(std::move(item));
    }
    for (const Layer &layer : layers)
      totalWeights += double(layer.rows * layer.columns);
    const double budgetBits = budget > 0   ? budget * totalWeights
                              : sizeMb > 0 ? sizeMb * 8.0e6
                                           : std::numeric_limits<double>::infinity();
    const double latencyBudget = latencyMs > 0 ? double(latencyMs) : std::numeric_limits<double>::infinity();

    llvm::Expected<AllocationResult> result = allocateBits(items, budgetBits, timeLimit, latencyBudget);
    if (!result) {
      module.emitError() << "qopt-allocate-bits: " << llvm::toString(result.takeError()) << " ("
                         << llvm::formatv("{0:F3}", budgetBits / totalWeights).str() << " bits per weight over "
                         << layers.size() << " layers)";
      return signalPassFailure();
    }
    Builder builder(&getContext());
    std::vector<size_t> layerChoice(layers.size());
    for (auto [item, choice] : llvm::zip_equal(members, result->choices))
      for (size_t layer : item) {
        layerChoice[layer] = choice;
        layers[layer].op->setAttr(kWeightSchemeAttr, builder.getStringAttr((*schemes)[choice].str()));
      }
    module.emitRemark() << "qopt-allocate-bits: " << result->solver << ", "
                        << (result->optimal ? "proven optimal" : "time limit reached") << " in "
                        << llvm::formatv("{0:F3}", result->seconds).str() << " s, gap to the LP relaxation "
                        << llvm::formatv("{0:E3}", 100.0 * result->relativeGap).str() << "%; "
                        << llvm::formatv("{0:F3}", result->bits / totalWeights).str() << " bits per weight (budget "
                        << (std::isfinite(budgetBits) ? llvm::formatv("{0:F3}", budgetBits / totalWeights).str()
                                                      : std::string("none"))
                        << ")"
                        << (latencyMs > 0 ? llvm::formatv(", {0:F4} ms (latency budget {1:F4} ms)", result->latency,
                                                          double(latencyMs))
                                                .str()
                                          : std::string())
                        << " over " << layers.size()
                        << " layers in " << items.size() << " groups; " << (measured ? "measured" : "proxy")
                        << " loss " << llvm::formatv("{0:E4}", result->loss).str() << " (LP bound "
                        << llvm::formatv("{0:E4}", result->lowerBound).str() << ")";
    if (!report.empty() && failed(writeReport(layers, layerChoice, *schemes, *result, budgetBits, totalWeights,
                                              measured)))
      return signalPassFailure();
  }

  LogicalResult readLatencies(Layer &layer, ArrayRef<WeightScheme> schemes) {
    return readSchemeTable(layer.op, calib::kLatency, "kernel latency",
                           "for latency-ms: the driver measures them for latency-<ms> recipes", schemes,
                           layer.latencies);
  }

  LogicalResult readSensitivities(Layer &layer, ArrayRef<WeightScheme> schemes) {
    return readSchemeTable(layer.op, calib::kSensitivity, "sensitivity",
                           "measure them (qopt compile --calib) or use sensitivity=proxy", schemes,
                           layer.sensitivities);
  }

  /// The `schemes`' values in the layer's {scheme: f64} table `name`
  /// (measured by the driver), appended to `values`.
  LogicalResult readSchemeTable(Operation *op, StringRef name, StringRef what, StringRef hint,
                                ArrayRef<WeightScheme> schemes, std::vector<double> &values) {
    auto table = op->getAttrOfType<DictionaryAttr>(name);
    if (!table)
      return op->emitOpError() << "has no measured " << what << " table ('" << name << "'): " << hint;
    for (const WeightScheme &scheme : schemes) {
      auto value = table.getAs<FloatAttr>(scheme.str());
      if (!value)
        return op->emitOpError() << "has no measured " << what << " for " << scheme.str();
      values.push_back(value.getValueAsDouble());
    }
    return success();
  }

  /// sum_nk (W - Q(W))_nk^2 H_kk with Q the scheme's RTN quantizer and H
  /// the calibrated input Hessian.
  LogicalResult computeProxySensitivities(Layer &layer, ArrayRef<WeightScheme> schemes) {
    std::vector<float> hessianDiagonal = readHessianDiagonal(layer.op, layer.columns);
    if (hessianDiagonal.empty())
      return layer.op->emitOpError() << "needs its input Hessian ('" << calib::kHessian << "', "
                                     << layer.columns << " x " << layer.columns
                                     << ") for proxy sensitivities: compile with --calib samples";
    std::vector<float> weight = *readFloatConstant(getConstantTensor(layer.op->getOperand(1)));
    for (const WeightScheme &scheme : schemes) {
      RtnOptions options;
      options.format = scheme.format;
      options.group = scheme.group;
      if (scheme.format.needsCodebook())
        options.columnImportance = hessianDiagonal;
      llvm::Expected<QuantizedMatrix> quantized = quantizeRtn(weight, layer.rows, layer.columns, options);
      if (!quantized)
        return layer.op->emitOpError() << "cannot be quantized to " << scheme.str() << ": "
                                       << llvm::toString(quantized.takeError());
      std::vector<float> restored = quantized->dequantize(scheme.format);
      double loss = 0;
      for (int64_t n = 0; n < layer.rows; ++n)
        for (int64_t k = 0; k < layer.columns; ++k) {
          double delta = double(weight[size_t(n * layer.columns + k)]) - restored[size_t(n * layer.columns + k)];
          loss += delta * delta * hessianDiagonal[size_t(k)];
        }
      layer.sensitivities.push_back(loss);
    }
    return success();
  }

  LogicalResult writeReport(ArrayRef<Layer> layers, ArrayRef<size_t> choices, ArrayRef<WeightScheme> schemes,
                            const AllocationResult &result, double budgetBits, double totalWeights, bool measured) {
    llvm::json::Array entries;
    for (auto [layer, choice] : llvm::zip_equal(layers, choices)) {
      double params = double(layer.rows * layer.columns);
      entries.push_back(llvm::json::Object{{"name", layer.name},
                                           {"scheme", schemes[choice].str()},
                                           {"bits_per_weight", layer.bits[choice] / params},
                                           {"sensitivity", layer.sensitivities[choice]},
                                           {"weights", int64_t(params)},
                                           {"bytes", layer.bits[choice] / 8.0}});
      if (!layer.latencies.empty())
        (*entries.back().getAsObject())["latency_ms"] = layer.latencies[choice];
    }
    llvm::json::Object root{{"solver", result.solver},
                            {"optimal", result.optimal},
                            {"seconds", result.seconds},
                            {"relative_gap", result.relativeGap},
                            {"loss", result.loss},
                            {"lower_bound", result.lowerBound},
                            {"sensitivity", measured ? "measured" : "proxy"},
                            {"budget_bits_per_weight", std::isfinite(budgetBits)
                                                           ? llvm::json::Value(budgetBits / totalWeights)
                                                           : llvm::json::Value(nullptr)},
                            {"bits_per_weight", result.bits / totalWeights},
                            {"latency_ms", result.latency},
                            {"layers", std::move(entries)}};
    std::error_code error;
    llvm::ToolOutputFile file(report, error, llvm::sys::fs::OF_Text);
    if (error)
      return getOperation().emitError() << "qopt-allocate-bits: cannot write '" << report << "': " << error.message();
    file.os() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
    file.keep();
    return success();
  }
};

} // namespace
