//===- DequantizedLinear.cpp - layers of dequantized weights -> qlinear ---===//
//
// A linalg.matmul whose weight is qopt.dequantize of constant codes (what
// ONNX DequantizeLinear on an initializer imports as) is a quantized linear
// layer: its [K, N] codes are transposed to [N, K] and packed row_major, its
// scales and zero points (per tensor, per output channel, or blocks along
// K) laid out as [N, K / group]. Likewise a qopt.conv2d of dequantized
// [F, C/G, KH, KW] codes with per-tensor or per-output-channel scales (what
// ONNX Runtime's QDQ quantizer writes) is a qopt.qconv2d.
//
//===----------------------------------------------------------------------===//

#include "DequantizedLinear.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Quant/Packing.h"
#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"

#include <cstring>

using namespace mlir;
using namespace qopt;

namespace {

/// Per-group values of `elementBytes` bytes laid out [sK, sN] (B = [K, N])
/// or [sN, sK] (`transposed`, B = [N, K]), as [N, G] with G = sK: entry
/// (n, g) is the value of group g (or the only one) of row n (or all rows).
std::vector<char> toRowsOfGroups(ArrayRef<char> values, int64_t sK, int64_t sN, int64_t n,
                                 size_t elementBytes, bool transposed) {
  std::vector<char> result(size_t(n * sK) * elementBytes);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t g = 0; g < sK; ++g) {
      int64_t r = sN == 1 ? 0 : row;
      int64_t source = transposed ? r * sK + g : g * sN + r;
      std::memcpy(result.data() + (row * sK + g) * elementBytes, values.data() + source * elementBytes,
                  elementBytes);
    }
  return result;
}

Value createConstant(PatternRewriter &rewriter, Location loc, RankedTensorType type,
                     ArrayRef<char> bytes, StringRef name) {
  ElementsAttr attr = DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(uint64_t)));
  return arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(attr));
}

/// The constant codes, scales and zero points of a one-use qopt.dequantize
/// of an integer (non-microscaled) format that feeds a layer's weight.
struct ConstantDequantize {
  DequantizeOp op;
  RankedTensorType codesType, scalesType, zerosType;
  std::vector<char> codes, scales, zeros;
};

FailureOr<ConstantDequantize> matchConstantDequantize(PatternRewriter &rewriter, Operation *layer,
                                                      Value weight) {
  auto dequantize = weight.getDefiningOp<DequantizeOp>();
  if (!dequantize || !dequantize->hasOneUse())
    return rewriter.notifyMatchFailure(layer, "the weight is not a dequantize");
  NumberFormat format = dequantize.getFormat().getValue();
  if (!format.isInteger() || format.isMicroscaled())
    return rewriter.notifyMatchFailure(layer, "only integer formats");
  ElementsAttr codes = getConstantTensor(dequantize.getCodes());
  ElementsAttr scales = getConstantTensor(dequantize.getScales());
  ElementsAttr zeros = dequantize.getZeros() ? getConstantTensor(dequantize.getZeros()) : ElementsAttr();
  if (!codes || !scales || (dequantize.getZeros() && !zeros))
    return rewriter.notifyMatchFailure(layer, "codes, scales and zero points must be constants");
  std::optional<std::vector<char>> codeBytes = copyConstantBytes(codes);
  std::optional<std::vector<char>> scaleBytes = copyConstantBytes(scales);
  std::optional<std::vector<char>> zeroBytes = zeros ? copyConstantBytes(zeros) : std::nullopt;
  if (!codeBytes || !scaleBytes || (zeros && !zeroBytes))
    return rewriter.notifyMatchFailure(layer, "unreadable constants");
  ConstantDequantize result{dequantize, cast<RankedTensorType>(codes.getType()),
                            cast<RankedTensorType>(scales.getType()), RankedTensorType(),
                            std::move(*codeBytes), std::move(*scaleBytes), {}};
  if (zeros) {
    result.zerosType = cast<RankedTensorType>(zeros.getType());
    result.zeros = std::move(*zeroBytes);
  }
  return result;
}

struct DequantizedMatmulToQLinear : OpRewritePattern<linalg::MatmulOp> {
  DequantizedMatmulToQLinear(MLIRContext *context, llvm::Statistic &counter)
      : OpRewritePattern(context), counter(counter) {}

  LogicalResult matchAndRewrite(linalg::MatmulOp op, PatternRewriter &rewriter) const override {
    bool transposed = linalg::MatmulTransposeBOp::isDefaultIndexingMaps(op.getIndexingMaps());
    if (!op.hasPureTensorSemantics() || !isZeroInitialized(op.getOutputs()[0]) ||
        !(transposed || linalg::MatmulOp::isDefaultIndexingMaps(op.getIndexingMaps())))
      return rewriter.notifyMatchFailure(op, "not a matmul (plain or transposed B) into zeros");
    FailureOr<ConstantDequantize> weight = matchConstantDequantize(rewriter, op, op.getInputs()[1]);
    if (failed(weight))
      return failure();
    RankedTensorType codesType = weight->codesType, scalesType = weight->scalesType;
    if (codesType.getRank() != 2)
      return rewriter.notifyMatchFailure(op, "the weight must be 2-D");
    // B is [K, N], or [N, K] under transposed-B maps (Gemm transB).
    int64_t k = codesType.getDimSize(transposed ? 1 : 0), n = codesType.getDimSize(transposed ? 0 : 1);
    int64_t sK = scalesType.getDimSize(transposed ? 1 : 0), sN = scalesType.getDimSize(transposed ? 0 : 1);
    if ((sN != 1 && sN != n) || k % sK != 0)
      return rewriter.notifyMatchFailure(op, "scales are not per tensor, channel or K-block");
    NumberFormat format = weight->op.getFormat().getValue();
    ArrayRef<char> codeBytes = weight->codes;

    // Codes as [N, K], packed.
    std::vector<uint8_t> codesNK(size_t(n * k));
    for (int64_t row = 0; row < n; ++row)
      for (int64_t col = 0; col < k; ++col)
        codesNK[size_t(row * k + col)] =
            uint8_t(codeBytes[size_t(transposed ? row * k + col : col * n + row)]);
    unsigned bits = format.getCodeBits();
    std::vector<uint8_t> packed = packRowMajor(codesNK, n, k, bits);
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    auto packedType = RankedTensorType::get({n, getPackedRowBytes(k, bits)}, rewriter.getI8Type());
    Value packedValue = createConstant(rewriter, loc, packedType,
                                       ArrayRef<char>(reinterpret_cast<const char *>(packed.data()), packed.size()),
                                       "qlinear_codes");
    size_t scaleElementBytes = scalesType.getElementTypeBitWidth() / 8;
    auto groupType = [&](Type element) { return RankedTensorType::get({n, sK}, element); };
    Value scaleValue = createConstant(rewriter, loc, groupType(scalesType.getElementType()),
                                      toRowsOfGroups(weight->scales, sK, sN, n, scaleElementBytes, transposed),
                                      "qlinear_scales");
    Value zeroValue;
    if (RankedTensorType zerosType = weight->zerosType)
      zeroValue = createConstant(rewriter, loc, groupType(zerosType.getElementType()),
                                 toRowsOfGroups(weight->zeros, sK, sN, n, zerosType.getElementTypeBitWidth() / 8,
                                                transposed),
                                 "qlinear_zeros");
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    rewriter.replaceOpWithNewOp<QLinearOp>(
        op, resultType, op.getInputs()[0], packedValue, scaleValue, zeroValue, Value(), Value(),
        Value(), Value(), Value(), weight->op.getFormat(), rewriter.getI64IntegerAttr(k / sK),
        PackedLayoutAttr::get(context, PackedLayout::row_major), ActQuantAttr());
    ++counter;
    return success();
  }

  llvm::Statistic &counter;
};

/// conv2d(x, dequantize(codes [F, C/G, KH, KW], scales [F or 1, 1, 1, 1]))
/// -> qconv2d with the codes as [F, K] rows, one group per row.
struct DequantizedConvToQConv2D : OpRewritePattern<Conv2DOp> {
  DequantizedConvToQConv2D(MLIRContext *context, llvm::Statistic &counter)
      : OpRewritePattern(context), counter(counter) {}

  LogicalResult matchAndRewrite(Conv2DOp op, PatternRewriter &rewriter) const override {
    FailureOr<ConstantDequantize> weight = matchConstantDequantize(rewriter, op, op.getWeight());
    if (failed(weight))
      return failure();
    if (weight->op.getFormat().getValue().getCodeBits() != 8)
      return rewriter.notifyMatchFailure(op, "only 8-bit codes");
    RankedTensorType codesType = weight->codesType, scalesType = weight->scalesType;
    int64_t f = codesType.getDimSize(0), k = codesType.getNumElements() / f;
    int64_t perRow = scalesType.getDimSize(0);
    if ((perRow != 1 && perRow != f) || scalesType.getNumElements() != perRow)
      return rewriter.notifyMatchFailure(op, "scales are not per tensor or per output channel");

    // 8-bit codes [F, K] are their own row_major packing; one scale (and
    // zero point) per row.
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    auto rows = [&](ArrayRef<char> values, Type element, StringRef name) {
      size_t bytes = element.getIntOrFloatBitWidth() / 8;
      return createConstant(rewriter, loc, RankedTensorType::get({f, 1}, element),
                            toRowsOfGroups(values, 1, perRow, f, bytes, /*transposed=*/true), name);
    };
    Value packed = createConstant(rewriter, loc, RankedTensorType::get({f, k}, rewriter.getI8Type()),
                                  weight->codes, "qconv_codes");
    Value scaleValue = rows(weight->scales, scalesType.getElementType(), "qconv_scales");
    Value zeroValue =
        weight->zerosType ? rows(weight->zeros, weight->zerosType.getElementType(), "qconv_zeros") : Value();
    rewriter.replaceOpWithNewOp<QConv2DOp>(
        op, op.getType(), op.getInput(), packed, scaleValue, zeroValue, /*codebook=*/Value(), op.getBias(),
        weight->op.getFormat(),
        rewriter.getI64IntegerAttr(k), PackedLayoutAttr::get(context, PackedLayout::row_major), ActQuantAttr(),
        rewriter.getDenseI64ArrayAttr(codesType.getShape().drop_front(2)), op.getStridesAttr(),
        op.getDilationsAttr(), op.getPadsAttr(), op.getGroupsAttr());
    ++counter;
    return success();
  }

  llvm::Statistic &counter;
};

} // namespace

void qopt::populateDequantizedLinearPatterns(RewritePatternSet &patterns, llvm::Statistic &counter) {
  patterns.add<DequantizedMatmulToQLinear, DequantizedConvToQConv2D>(patterns.getContext(), counter);
}
