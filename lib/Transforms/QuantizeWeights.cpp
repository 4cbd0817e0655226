//===- QuantizeWeights.cpp - linear/conv2d -> qlinear/qconv2d (RTN, GPTQ) -===//

#include "qopt/Transforms/Passes.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Quant/Gptq.h"
#include "qopt/Quant/Packing.h"
#include "qopt/Quant/WeightQuantization.h"
#include "qopt/Quant/WeightScheme.h"
#include "qopt/Support/CalibrationAttributes.h"
#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/TypeSwitch.h"

namespace qopt {
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// The operands and attributes of a quantized [N, K] weight.
struct QuantizedWeight {
  Value codes, scales, zeros;
  FormatAttr format;
  int64_t group = 0;
};

struct QuantizeWeightsPass : qopt::impl::QuantizeWeightsBase<QuantizeWeightsPass> {
  using QuantizeWeightsBase::QuantizeWeightsBase;

  void runOnOperation() override {
    if (method != "rtn" && method != "gptq") {
      getOperation()->emitError() << "qopt-quantize-weights: unknown method '" << method
                                  << "' (available: rtn, gptq)";
      return signalPassFailure();
    }
    std::string error;
    std::optional<NumberFormat> parsed = NumberFormat::parse(format, &error);
    if (!parsed) {
      getOperation()->emitError() << "qopt-quantize-weights: " << error;
      return signalPassFailure();
    }
    RtnOptions options;
    options.format = *parsed;
    options.symmetric = symmetric;
    options.clipSearch = clipSearch;
    SmallVector<Operation *> layers;
    getOperation()->walk([&](Operation *op) {
      if (isa<LinearOp, Conv2DOp>(op))
        layers.push_back(op);
    });
    for (Operation *layer : layers) {
      FailureOr<std::pair<RtnOptions, int64_t>> scheme = getLayerScheme(layer, options);
      if (failed(scheme))
        return signalPassFailure();
      auto [layerOptions, layerGroup] = *scheme;
      LogicalResult result = TypeSwitch<Operation *, LogicalResult>(layer)
                                 .Case([&](LinearOp op) { return quantize(op, layerOptions, layerGroup); })
                                 .Case([&](Conv2DOp op) { return quantize(op, layerOptions, layerGroup); });
      if (failed(result))
        return signalPassFailure();
    }
  }

  /// The pass's format and group, or the layer's own `qopt.weight_scheme`
  /// (chosen by bit allocation).
  FailureOr<std::pair<RtnOptions, int64_t>> getLayerScheme(Operation *layer, RtnOptions options) {
    auto attr = layer->getAttrOfType<StringAttr>(kWeightSchemeAttr);
    if (!attr)
      return std::pair{options, int64_t(group)};
    std::string error;
    std::optional<WeightScheme> scheme = WeightScheme::parse(attr.getValue(), &error);
    if (!scheme)
      return layer->emitOpError() << "'" << kWeightSchemeAttr << "': " << error;
    options.format = scheme->format;
    return std::pair{options, scheme->group};
  }

  /// The weight of `layer` as an [N, K] matrix quantized by `method` into
  /// packed codes, scales and zero points; null codes when the layer stays
  /// in float (with a warning saying why).
  FailureOr<QuantizedWeight> quantizeMatrix(Operation *layer, ElementsAttr weightAttr, int64_t n, int64_t k,
                                            RtnOptions options, int64_t group, bool gptqApplies) {
    std::optional<std::vector<float>> weight = readFloatConstant(weightAttr);
    if (!weight)
      return layer->emitOpError("has a weight whose values cannot be read");
    options.group = group <= 0 || group >= k ? k : int64_t(group);
    if (options.format.isMicroscaled()) {
      if (k < options.format.getScaleBlock()) {
        layer->emitWarning() << "stays in float: K = " << k << " is smaller than the "
                             << options.format.getScaleBlock() << "-element microscaling block";
        return QuantizedWeight();
      }
      options.group = options.format.getScaleBlock();
    }
    bool useGptq = method == "gptq" && gptqApplies;
    if (method == "gptq" && !gptqApplies)
      layer->emitWarning("is quantized by RTN: GPTQ needs one input Hessian for all rows, "
                         "and a grouped convolution has one per group");
    llvm::Expected<QuantizedMatrix> quantized = [&]() -> llvm::Expected<QuantizedMatrix> {
      if (!useGptq)
        return quantizeRtn(*weight, n, k, options);
      auto hessianAttr = layer->getAttrOfType<ElementsAttr>(calib::kHessian);
      if (!hessianAttr)
        return llvm::createStringError("GPTQ needs the input Hessian '" + calib::kHessian.str() +
                                       "' that calibration leaves (qopt compile --calib samples)");
      std::optional<std::vector<float>> hessian = readFloatConstant(hessianAttr);
      if (!hessian)
        return llvm::createStringError("the Hessian attribute cannot be read");
      GptqOptions gptq;
      gptq.weights = options;
      gptq.dampening = damp;
      gptq.actOrder = actOrder;
      return quantizeGptq(*weight, n, k, *hessian, gptq);
    }();
    if (!quantized)
      return layer->emitOpError() << "cannot be quantized: " << llvm::toString(quantized.takeError());

    OpBuilder builder(layer);
    Location loc = layer->getLoc();
    MLIRContext *context = builder.getContext();
    unsigned bits = options.format.getCodeBits();
    std::vector<uint8_t> packed = packRowMajor(quantized->codes, n, k, bits);
    QuantizedWeight result;
    result.format = FormatAttr::get(context, options.format);
    result.group = quantized->group;
    result.codes = createBlobConstant(builder, loc,
                                      RankedTensorType::get({n, getPackedRowBytes(k, bits)}, builder.getI8Type()),
                                      ArrayRef<uint8_t>(packed), "qcodes");
    int64_t groups = int64_t(quantized->scales.size()) / n;
    result.scales =
        options.format.isMicroscaled()
            ? createBlobConstant(builder, loc,
                                 RankedTensorType::get({n, groups}, Float8E8M0FNUType::get(context)),
                                 ArrayRef<uint8_t>(quantized->exponents), "qscales")
            : createBlobConstant(builder, loc, RankedTensorType::get({n, groups}, builder.getF32Type()),
                                 ArrayRef<float>(quantized->scales), "qscales");
    if (!quantized->zeros.empty())
      result.zeros = createBlobConstant(builder, loc, RankedTensorType::get({n, groups}, builder.getI8Type()),
                                        ArrayRef<uint8_t>(quantized->zeros), "qzeros");
    return result;
  }

  /// Replaces `layer` by `quantized`, which inherits its calibration statistics.
  void replaceLayer(Operation *layer, Operation *quantized) {
    for (NamedAttribute attr : layer->getDiscardableAttrs())
      if (attr.getName().strref().starts_with(calib::kPrefix))
        quantized->setAttr(attr.getName(), attr.getValue());
    layer->getResult(0).replaceAllUsesWith(quantized->getResult(0));
    layer->erase();
    ++numQuantized;
  }

  LogicalResult quantize(LinearOp linear, RtnOptions options, int64_t group) {
    ElementsAttr weightAttr = getConstantTensor(linear.getWeight());
    if (!weightAttr)
      return success(); // not a weight: leave the layer in float
    auto weightType = cast<RankedTensorType>(weightAttr.getType());
    FailureOr<QuantizedWeight> weight =
        quantizeMatrix(linear, weightAttr, weightType.getDimSize(0), weightType.getDimSize(1), options, group, true);
    if (failed(weight) || !weight->codes)
      return failure(failed(weight));
    OpBuilder builder(linear);
    auto qlinear = QLinearOp::create(
        builder, linear.getLoc(), linear.getType(), linear.getInput(), weight->codes, weight->scales,
        weight->zeros, Value(), linear.getBias(), Value(), Value(), Value(), weight->format,
        builder.getI64IntegerAttr(weight->group),
        PackedLayoutAttr::get(builder.getContext(), PackedLayout::row_major), ActQuantAttr());
    replaceLayer(linear, qlinear);
    return success();
  }

  /// A convolution's [F, C / groups, KH, KW] weight is the [F, K] matrix of
  /// its rows, K = C / groups * KH * KW.
  LogicalResult quantize(Conv2DOp conv, RtnOptions options, int64_t group) {
    ElementsAttr weightAttr = getConstantTensor(conv.getWeight());
    if (!weightAttr)
      return success();
    auto weightType = cast<RankedTensorType>(weightAttr.getType());
    int64_t f = weightType.getDimSize(0), k = weightType.getNumElements() / f;
    FailureOr<QuantizedWeight> weight = quantizeMatrix(conv, weightAttr, f, k, options, group, conv.getGroups() == 1);
    if (failed(weight) || !weight->codes)
      return failure(failed(weight));
    OpBuilder builder(conv);
    auto qconv = QConv2DOp::create(
        builder, conv.getLoc(), conv.getType(), conv.getInput(), weight->codes, weight->scales, weight->zeros,
        conv.getBias(), weight->format, builder.getI64IntegerAttr(weight->group),
        PackedLayoutAttr::get(builder.getContext(), PackedLayout::row_major), ActQuantAttr(),
        builder.getDenseI64ArrayAttr(weightType.getShape().drop_front(2)), conv.getStridesAttr(),
        conv.getDilationsAttr(), conv.getPadsAttr(), conv.getGroupsAttr());
    replaceLayer(conv, qconv);
    return success();
  }
};

} // namespace
