//===- QuantizeWeights.cpp - linear/conv2d -> qlinear/qconv2d (RTN, GPTQ) -===//
//
// Per layer: the weight W [N, K] (a convolution's rows), minus the outliers
// kept in float when asked (dense-and-sparse), is quantized by RTN (fitted
// codebooks for lut<N>) or GPTQ; the outliers' residuals W - Q(W) go into
// a CSR side table, and bias correction adds (W - Q(W) - S) E[x] to the
// bias, E[x] the calibrated input mean.
//
//===----------------------------------------------------------------------===//

#include "qopt/Transforms/Passes.h"

#include "HessianDiagonal.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Quant/Gptq.h"
#include "qopt/Quant/Packing.h"
#include "qopt/Quant/WeightQuantization.h"
#include "qopt/Quant/WeightScheme.h"
#include "qopt/Support/CalibrationAttributes.h"
#include "qopt/Support/ConstantTensor.h"
#include "qopt/Support/ProgressBar.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace qopt {
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// The operands and attributes of a quantized [N, K] weight.
struct QuantizedWeight {
  Value codes, scales, zeros, codebook;
  Value outlierRowPtr, outlierCols, outlierValues;
  FormatAttr format;
  int64_t group = 0;
  /// What the float layer's output loses on average, per output channel:
  /// (W - dequantized W) E[x]; empty without bias correction.
  std::vector<float> outputShift;
};

/// Outliers of a [rows, columns] weight in CSR: the positions (row-major
/// order) and, once the rest is quantized, their residuals.
struct SparseOutliers {
  std::vector<int32_t> rowPtr, cols;
  std::vector<float> values;
};

/// Picks the `fraction` of weights with the largest |w| sqrt(H_kk) (|w|
/// without a Hessian diagonal), zeroes them in `weight` and returns their
/// positions.
SparseOutliers extractOutliers(std::vector<float> &weight, int64_t rows, int64_t columns, double fraction,
                               llvm::ArrayRef<float> hessianDiagonal) {
  SparseOutliers outliers;
  const size_t total = weight.size();
  const size_t count = std::min(total, size_t(std::llround(fraction * double(total))));
  std::vector<char> chosen(total, 0);
  if (count > 0) {
    std::vector<float> score(total);
    for (size_t i = 0; i < total; ++i)
      score[i] = std::fabs(weight[i]) *
                 (hessianDiagonal.empty() ? 1.0f : std::sqrt(std::max(hessianDiagonal[i % size_t(columns)], 0.0f)));
    std::vector<uint32_t> order(total);
    std::iota(order.begin(), order.end(), 0u);
    std::nth_element(order.begin(), order.begin() + (count - 1), order.end(),
                     [&](uint32_t a, uint32_t b) { return score[a] > score[b]; });
    for (size_t i = 0; i < count; ++i)
      chosen[order[i]] = 1;
  }
  outliers.rowPtr.push_back(0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < columns; ++c)
      if (chosen[size_t(r * columns + c)]) {
        outliers.cols.push_back(int32_t(c));
        outliers.values.push_back(weight[size_t(r * columns + c)]);
        weight[size_t(r * columns + c)] = 0.0f;
      }
    outliers.rowPtr.push_back(int32_t(outliers.cols.size()));
  }
  return outliers;
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
    if (outliers < 0.0 || outliers >= 1.0) {
      getOperation()->emitError() << "qopt-quantize-weights: outliers=" << outliers
                                  << " is not a fraction in [0, 1)";
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
    // GPTQ of a large model takes minutes: progress per layer (on a terminal).
    ProgressBar progress(method == "gptq" ? "GPTQ" : "quantizing weights", int64_t(layers.size()),
                         /*enabled=*/true);
    for (auto [index, layer] : llvm::enumerate(layers)) {
      FailureOr<std::pair<RtnOptions, int64_t>> scheme = getLayerScheme(layer, options);
      if (failed(scheme))
        return signalPassFailure();
      const RtnOptions &layerOptions = scheme->first;
      const int64_t layerGroup = scheme->second;
      LogicalResult result = TypeSwitch<Operation *, LogicalResult>(layer)
                                 .Case([&](LinearOp op) { return quantize(op, layerOptions, layerGroup); })
                                 .Case([&](Conv2DOp op) { return quantize(op, layerOptions, layerGroup); });
      if (failed(result))
        return signalPassFailure();
      progress.update(int64_t(index) + 1);
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
  /// packed codes, scales, zero points, codebooks and outliers; null codes
  /// when the layer stays in float (with a warning saying why).
  FailureOr<QuantizedWeight> quantizeMatrix(Operation *layer, ElementsAttr weightAttr, int64_t n, int64_t k,
                                            RtnOptions options, int64_t group, bool isLinear,
                                            bool gptqApplies) {
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
    std::vector<float> hessianDiagonal =
        options.format.needsCodebook() || outliers > 0.0 ? readHessianDiagonal(layer, k) : std::vector<float>();
    if (options.format.needsCodebook())
      options.columnImportance = hessianDiagonal;

    // Dense-and-sparse: the outliers leave (a copy of) the matrix before it
    // is quantized.
    std::vector<float> dense;
    std::optional<SparseOutliers> sparse;
    if (outliers > 0.0) {
      if (isLinear) {
        dense = *weight;
        sparse = extractOutliers(dense, n, k, outliers, hessianDiagonal);
      } else {
        layer->emitWarning("keeps no outliers: the CSR side table is taken by qopt.qlinear only");
      }
    }
    ArrayRef<float> toQuantize = sparse ? ArrayRef<float>(dense) : ArrayRef<float>(*weight);

    llvm::Expected<QuantizedMatrix> quantized = [&]() -> llvm::Expected<QuantizedMatrix> {
      if (!useGptq)
        return quantizeRtn(toQuantize, n, k, options);
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
      return quantizeGptq(toQuantize, n, k, *hessian, gptq);
    }();
    if (!quantized)
      return layer->emitOpError() << "cannot be quantized: " << llvm::toString(quantized.takeError());

    // What the codes (and the outliers, exactly) give back: only the side
    // table and bias correction need it.
    std::vector<float> restored;
    if (sparse || correctBias)
      restored = quantized->dequantize(options.format);
    if (sparse)
      for (int64_t r = 0; r < n; ++r)
        for (int32_t j = sparse->rowPtr[size_t(r)]; j < sparse->rowPtr[size_t(r) + 1]; ++j) {
          size_t index = size_t(r * k + sparse->cols[size_t(j)]);
          sparse->values[size_t(j)] = (*weight)[index] - restored[index];
          restored[index] = (*weight)[index];
        }

    OpBuilder builder(layer);
    Location loc = layer->getLoc();
    MLIRContext *context = builder.getContext();
    QuantizedWeight result;
    if (correctBias) {
      FailureOr<std::vector<float>> shift = getOutputShift(layer, *weight, restored, n, k);
      if (failed(shift))
        return failure();
      result.outputShift = std::move(*shift);
    }
    unsigned bits = options.format.getCodeBits();
    std::vector<uint8_t> packed = packRowMajor(quantized->codes, n, k, bits);
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
    if (!quantized->codebooks.empty()) {
      int64_t levels = int64_t(1) << bits;
      auto type = quantized->codebookRows == 1
                      ? RankedTensorType::get({levels}, builder.getF32Type())
                      : RankedTensorType::get({quantized->codebookRows, levels}, builder.getF32Type());
      result.codebook = createBlobConstant(builder, loc, type, ArrayRef<float>(quantized->codebooks), "qcodebook");
    }
    if (sparse && !sparse->values.empty()) {
      auto indexType = [&](size_t size) { return RankedTensorType::get({int64_t(size)}, builder.getI32Type()); };
      result.outlierRowPtr = createBlobConstant(builder, loc, indexType(sparse->rowPtr.size()),
                                                ArrayRef<int32_t>(sparse->rowPtr), "qoutlier_rows");
      result.outlierCols = createBlobConstant(builder, loc, indexType(sparse->cols.size()),
                                              ArrayRef<int32_t>(sparse->cols), "qoutlier_cols");
      result.outlierValues = createBlobConstant(
          builder, loc, RankedTensorType::get({int64_t(sparse->values.size())}, builder.getF32Type()),
          ArrayRef<float>(sparse->values), "qoutlier_values");
    }
    return result;
  }

  /// (W - restored) E[x] per output channel, E[x] from calibration.
  FailureOr<std::vector<float>> getOutputShift(Operation *layer, ArrayRef<float> weight,
                                               ArrayRef<float> restored, int64_t n, int64_t k) {
    auto meanAttr = layer->getAttrOfType<ElementsAttr>(calib::kChannelMean);
    std::optional<std::vector<float>> mean = meanAttr ? readFloatConstant(meanAttr) : std::nullopt;
    if (!mean || int64_t(mean->size()) != k)
      return layer->emitOpError() << "bias correction needs the input mean '" << calib::kChannelMean
                                  << "' of " << k << " channels that calibration leaves (qopt compile --calib)";
    std::vector<float> shift(size_t(n), 0.0f);
    for (int64_t r = 0; r < n; ++r) {
      double sum = 0.0;
      for (int64_t c = 0; c < k; ++c)
        sum += double(weight[size_t(r * k + c)] - restored[size_t(r * k + c)]) * double((*mean)[size_t(c)]);
      shift[size_t(r)] = float(sum);
    }
    return shift;
  }

  /// The layer's bias plus the quantized weight's output shift (bias
  /// correction); the bias unchanged without one.
  FailureOr<Value> correctedBias(Operation *layer, Value bias, const QuantizedWeight &weight) {
    if (weight.outputShift.empty())
      return bias;
    std::vector<float> values(weight.outputShift.size(), 0.0f);
    if (bias) {
      ElementsAttr biasAttr = getConstantTensor(bias);
      std::optional<std::vector<float>> read = biasAttr ? readFloatConstant(biasAttr) : std::nullopt;
      if (!read || read->size() != values.size() ||
          !cast<RankedTensorType>(bias.getType()).getElementType().isF32())
        return layer->emitOpError("bias correction needs a constant f32 bias");
      values = *read;
    }
    for (size_t i = 0; i < values.size(); ++i)
      values[i] += weight.outputShift[i];
    OpBuilder builder(layer);
    return createBlobConstant(builder, layer->getLoc(),
                              RankedTensorType::get({int64_t(values.size())}, builder.getF32Type()),
                              ArrayRef<float>(values), "qbias");
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
    FailureOr<QuantizedWeight> weight = quantizeMatrix(linear, weightAttr, weightType.getDimSize(0),
                                                       weightType.getDimSize(1), options, group, true, true);
    if (failed(weight) || !weight->codes)
      return failure(failed(weight));
    FailureOr<Value> bias = correctedBias(linear, linear.getBias(), *weight);
    if (failed(bias))
      return failure();
    OpBuilder builder(linear);
    auto qlinear = QLinearOp::create(
        builder, linear.getLoc(), linear.getType(), linear.getInput(), weight->codes, weight->scales,
        weight->zeros, weight->codebook, *bias, weight->outlierRowPtr, weight->outlierCols,
        weight->outlierValues, weight->format,
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
    const bool ungrouped = conv.getGroups() == 1;
    if (correctBias && !ungrouped)
      conv->emitWarning("gets no bias correction: calibration's input mean covers all groups at once");
    FailureOr<QuantizedWeight> weight = quantizeMatrix(conv, weightAttr, f, k, options, group, false, ungrouped);
    if (failed(weight) || !weight->codes)
      return failure(failed(weight));
    if (!ungrouped)
      weight->outputShift.clear();
    FailureOr<Value> bias = correctedBias(conv, conv.getBias(), *weight);
    if (failed(bias))
      return failure();
    OpBuilder builder(conv);
    auto qconv = QConv2DOp::create(
        builder, conv.getLoc(), conv.getType(), conv.getInput(), weight->codes, weight->scales, weight->zeros,
        weight->codebook, *bias, weight->format, builder.getI64IntegerAttr(weight->group),
        PackedLayoutAttr::get(builder.getContext(), PackedLayout::row_major), ActQuantAttr(),
        builder.getDenseI64ArrayAttr(weightType.getShape().drop_front(2)), conv.getStridesAttr(),
        conv.getDilationsAttr(), conv.getPadsAttr(), conv.getGroupsAttr());
    replaceLayer(conv, qconv);
    return success();
  }
};

} // namespace
