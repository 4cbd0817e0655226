//===- QuantizeWeights.cpp - qopt.linear -> qopt.qlinear (RTN, GPTQ) ------===//

#include "qopt/Transforms/Passes.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Quant/Gptq.h"
#include "qopt/Quant/Packing.h"
#include "qopt/Quant/WeightQuantization.h"
#include "qopt/Support/CalibrationAttributes.h"
#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace qopt {
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

template <typename T>
Value createBlobConstant(OpBuilder &builder, Location loc, RankedTensorType type, ArrayRef<T> data,
                         StringRef name) {
  ArrayRef<char> bytes(reinterpret_cast<const char *>(data.data()), data.size() * sizeof(T));
  ElementsAttr attr = DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(uint64_t)));
  return arith::ConstantOp::create(builder, loc, cast<TypedAttr>(attr));
}

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
    SmallVector<LinearOp> linears;
    getOperation()->walk([&](LinearOp op) { linears.push_back(op); });
    for (LinearOp linear : linears)
      if (failed(quantize(linear, options)))
        return signalPassFailure();
  }

  LogicalResult quantize(LinearOp linear, RtnOptions options) {
    ElementsAttr weightAttr = getConstantTensor(linear.getWeight());
    if (!weightAttr)
      return success(); // not a weight: leave the layer in float
    auto weightType = cast<RankedTensorType>(weightAttr.getType());
    std::optional<std::vector<float>> weight = readFloatConstant(weightAttr);
    if (!weight)
      return linear.emitOpError("has a weight whose values cannot be read");
    int64_t n = weightType.getDimSize(0), k = weightType.getDimSize(1);
    options.group = group <= 0 || group >= k ? k : int64_t(group);
    if (options.format.isMicroscaled()) {
      if (k < options.format.getScaleBlock()) {
        linear.emitWarning() << "stays in float: K = " << k << " is smaller than the "
                             << options.format.getScaleBlock() << "-element microscaling block";
        return success();
      }
      options.group = options.format.getScaleBlock();
    }
    llvm::Expected<QuantizedMatrix> quantized = [&]() -> llvm::Expected<QuantizedMatrix> {
      if (method == "rtn")
        return quantizeRtn(*weight, n, k, options);
      auto hessianAttr = linear->getAttrOfType<ElementsAttr>(calib::kHessian);
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
      return linear.emitOpError() << "cannot be quantized: " << llvm::toString(quantized.takeError());

    OpBuilder builder(linear);
    Location loc = linear.getLoc();
    MLIRContext *context = builder.getContext();
    unsigned bits = options.format.getCodeBits();
    std::vector<uint8_t> packed = packRowMajor(quantized->codes, n, k, bits);
    Value codes = createBlobConstant(builder, loc,
                                     RankedTensorType::get({n, getPackedRowBytes(k, bits)}, builder.getI8Type()),
                                     ArrayRef<uint8_t>(packed), "qcodes");
    int64_t groups = int64_t(quantized->scales.size()) / n;
    Value scales =
        options.format.isMicroscaled()
            ? createBlobConstant(builder, loc,
                                 RankedTensorType::get({n, groups}, Float8E8M0FNUType::get(context)),
                                 ArrayRef<uint8_t>(quantized->exponents), "qscales")
            : createBlobConstant(builder, loc, RankedTensorType::get({n, groups}, builder.getF32Type()),
                                 ArrayRef<float>(quantized->scales), "qscales");
    Value zeros;
    if (!quantized->zeros.empty())
      zeros = createBlobConstant(builder, loc, RankedTensorType::get({n, groups}, builder.getI8Type()),
                                 ArrayRef<uint8_t>(quantized->zeros), "qzeros");
    auto qlinear = QLinearOp::create(
        builder, loc, linear.getType(), linear.getInput(), codes, scales, zeros, Value(),
        linear.getBias(), Value(), Value(), Value(), FormatAttr::get(context, options.format),
        builder.getI64IntegerAttr(quantized->group), PackedLayoutAttr::get(context, PackedLayout::row_major),
        ActQuantAttr());
    for (NamedAttribute attr : linear->getDiscardableAttrs())
      if (attr.getName().strref().starts_with(calib::kPrefix))
        qlinear->setAttr(attr.getName(), attr.getValue());
    linear.replaceAllUsesWith(qlinear.getResult());
    linear.erase();
    ++numQuantized;
    return success();
  }
};

} // namespace
