//===- FloatKernelCalls.cpp - float products -> generated GEMM calls ------===//
//
// On tensors, before the reference lowering: the float matrix products the
// generated GEMM covers (FloatGemm.h) become calls of declared kernels:
//
// - qopt.linear with a constant weight: the weight is packed into panel16
//   at compile time; the bias is added per column in the kernel.
// - qopt.conv2d without groups, one of three ways:
//   * output rows that fill 16-wide vectors (at least 3/4), column stride 1
//     or 2, up to 7x7 taps: the direct convolution kernel (DirectConv.h)
//     over the zero-padded input, no im2col;
//   * few output positions and a constant weight (a 7x7 or 1x1 map): the
//     positions as A's rows (im2col transposed, [N, OH OW, C KH KW]) times
//     the filters packed into panel16 at compile time, transposed back;
//   * otherwise im2col (a linalg.generic gathering the padded input into
//     [N, C KH KW, OH OW]; skipped for 1x1, stride 1, no pad) times the
//     [F, C KH KW] weight, bias per row in the kernel.
//   qopt.qconv2d takes the direct kernel or im2col by its dequantized
//   weight (the input fake-quantized first when activations are).
// - linalg matrix products (generic or named) with batch dimensions ((batch..., m, k)
//   x (batch..., k, n) into a zero-initialized (batch..., m, n), either
//   operand broadcast over leading batch dimensions): attention's QK^T and P V and
//   ONNX MatMul over two activations. A B that repeats each of its batches
//   for a group of A's (grouped-query attention's key/value heads, expanded
//   for the query heads) is read unrepeated, the group's rows of A stacked.
//
// - qopt.conv2d with one filter per channel (depthwise): the depthwise
//   kernel (DepthwiseConv.h) over the zero-padded input; a depthwise
//   qopt.qconv2d the same way by its dequantized taps.
//
// An elementwise linalg.generic that is the only reader of a linear's or a
// convolution's result (ReLU, HardSwish, Sigmoid, ...) becomes the
// kernel's epilogue (KernelEpilogue.h).
//
// Anything else (grouped convolutions with several channels per group,
// products of other layouts) is left to the reference lowering.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "DepthwiseConv.h"
#include "DirectConv.h"
#include "DequantizedMatrix.h"
#include "FloatGemm.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/ConstantTensor.h"
#include "qopt/Support/Convolution.h"
#include "qopt/Support/TensorOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qopt {
#define GEN_PASS_DEF_FLOATKERNELCALLS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

bool isStaticF32(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() && tensor.getElementType().isF32();
}

/// out [batch, m, n] = a [batchA, m, k] * b (+ bias) as a kernel call.
Value buildGemmCall(OpBuilder &builder, Location loc, const GemmKernelConfig &config, Value a, Value b,
                    Value bias, ValueRange epilogueOperands = {}) {
  std::string name = "qopt_gemm_" + std::string(config.bLayout == GemmBLayout::Panel16 ? "panel16" : "row_major") +
                     "_" + std::to_string(config.batch) + "x" + std::to_string(config.m) + "x" +
                     std::to_string(config.k) + "x" + std::to_string(config.n);
  SmallVector<Value> operands = {a, b};
  if (bias)
    operands.push_back(bias);
  llvm::append_range(operands, epilogueOperands);
  auto resultType = RankedTensorType::get({config.batch, config.m, config.n}, builder.getF32Type());
  return buildKernelCall(builder, loc, name, kGemmKernelAttrName, config.toAttribute(builder.getContext()),
                         operands, resultType);
}

/// The constant [1, ceil(N / 16), K, 16] panel16 form of the [N, K] `weight`.
Value buildPanel16Constant(OpBuilder &b, Location loc, ArrayRef<float> weight, int64_t n, int64_t k,
                           StringRef name) {
  std::vector<float> packed = packPanel16(weight, n, k);
  auto packedType = RankedTensorType::get({1, (n + 15) / 16, k, 16}, b.getF32Type());
  return createBlobConstant(b, loc, packedType, ArrayRef<float>(packed), name);
}

/// The elementwise reader of `result` that becomes the kernel's epilogue,
/// and that epilogue with its operands; neither when there is none. With a
/// reader, the kernel call is built where the reader is: its other
/// operands may be computed after the product (an upsampled map added to a
/// convolution's).
std::pair<linalg::GenericOp, FusedEpilogue> takeEpilogue(PatternRewriter &rewriter, Value result) {
  linalg::GenericOp reader = getEpilogueReader(result);
  if (!reader)
    return {};
  FusedEpilogue epilogue = declareEpilogue(rewriter, reader, result);
  rewriter.setInsertionPoint(reader);
  return {reader, epilogue};
}

/// The epilogue's operands reshaped to a kernel output of `shape`
/// (the same elements in the same order).
SmallVector<Value> reshapeEpilogueOperands(OpBuilder &b, Location loc, const FusedEpilogue &epilogue,
                                           ArrayRef<int64_t> shape) {
  return llvm::map_to_vector(epilogue.operands,
                             [&](Value operand) { return buildStaticReshape(b, loc, operand, shape); });
}

/// Replaces `op` by `product`, or, when `reader` (its only reader) was
/// folded into the product's epilogue, the reader by `product` and erases
/// `op`.
void replaceWithProduct(PatternRewriter &rewriter, Operation *op, linalg::GenericOp reader, Value product) {
  if (!reader) {
    rewriter.replaceOp(op, product);
    return;
  }
  rewriter.replaceOp(reader, product);
  rewriter.eraseOp(op);
}

struct LinearToGemmCall : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp op, PatternRewriter &rewriter) const override {
    Value bias = op.getBias();
    if (!isStaticF32(op.getInput().getType()) || !isStaticF32(op.getResult().getType()) ||
        !isStaticF32(op.getWeight().getType()) || (bias && !isStaticF32(bias.getType())))
      return rewriter.notifyMatchFailure(op, "static f32 shapes only");
    ElementsAttr weight = getConstantTensor(op.getWeight());
    if (!weight)
      return rewriter.notifyMatchFailure(op, "the weight is not a constant");
    std::optional<std::vector<float>> values = readFloatConstant(weight);
    if (!values)
      return rewriter.notifyMatchFailure(op, "unreadable weight");
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    GemmKernelConfig config;
    config.n = weightType.getDimSize(0);
    config.k = weightType.getDimSize(1);
    config.m = config.k ? op.getInput().getType().getNumElements() / config.k : 0;
    if (!config.m || !config.n || !config.k)
      return rewriter.notifyMatchFailure(op, "empty product");
    config.bLayout = GemmBLayout::Panel16;
    config.bias = bias ? GemmBias::Column : GemmBias::None;
    auto [reader, epilogue] = takeEpilogue(rewriter, op.getResult());
    config.epilogue = epilogue.epilogue;
    Location loc = op.getLoc();
    Value packedWeight = buildPanel16Constant(rewriter, loc, *values, config.n, config.k, "panel16_weight");
    Value rows = buildStaticReshape(rewriter, loc, op.getInput(), {1, config.m, config.k});
    Value product = buildGemmCall(rewriter, loc, config, rows, packedWeight, bias,
                                  reshapeEpilogueOperands(rewriter, loc, epilogue, {1, config.m, config.n}));
    replaceWithProduct(rewriter, op, reader,
                       buildStaticReshape(rewriter, loc, product, op.getResult().getType().getShape()));
    return success();
  }
};

/// The windows of `input`'s output positions over its padded form:
/// [N, C KH KW, OH OW] (column (oh, ow) holds the window of output position
/// (oh, ow), row (c, i, j) its element), or with `positionsAsRows` the
/// transpose [N, OH OW, C KH KW].
/// The first form is one strided slice of the padded input per tap (i, j),
/// [N, C, OH, OW], inserted at [:, :, i, j]: copies of output rows that
/// the CPU pipeline vectorizes where the column stride is 1.
Value buildIm2Col(OpBuilder &b, Location loc, Value input, const ConvolutionGeometry &geometry, int64_t kh,
                  int64_t kw, int64_t oh, int64_t ow, bool positionsAsRows = false) {
  auto inputType = cast<RankedTensorType>(input.getType());
  const int64_t batch = inputType.getDimSize(0), channels = inputType.getDimSize(1);
  Value padded = buildSpatialPad(b, loc, input, geometry.padBegin, geometry.padEnd, b.getF32FloatAttr(0.0f));
  if (!positionsAsRows) {
    Value windows = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{batch, channels, kh, kw, oh, ow},
                                            b.getF32Type());
    auto sliceType = RankedTensorType::get({batch, channels, oh, ow}, b.getF32Type());
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) {
        Value tap = tensor::ExtractSliceOp::create(
            b, loc, sliceType, padded, ValueRange{}, ValueRange{}, ValueRange{},
            ArrayRef<int64_t>{0, 0, i * geometry.dilations[0], j * geometry.dilations[1]},
            ArrayRef<int64_t>{batch, channels, oh, ow},
            ArrayRef<int64_t>{1, 1, geometry.strides[0], geometry.strides[1]});
        windows = tensor::InsertSliceOp::create(b, loc, tap, windows, ValueRange{}, ValueRange{}, ValueRange{},
                                                ArrayRef<int64_t>{0, 0, i, j, 0, 0},
                                                ArrayRef<int64_t>{batch, channels, 1, 1, oh, ow},
                                                ArrayRef<int64_t>{1, 1, 1, 1, 1, 1});
      }
    return buildStaticReshape(b, loc, windows, {batch, channels * kh * kw, oh * ow});
  }
  // Loops (n, y, x, c, i, j), in the order of the result:
  // padded[n, c, y sh + i dh, x sw + j dw].
  MLIRContext *context = b.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, context); };
  const unsigned c = 3, i = 4, j = 5, y = 1, x = 2;
  AffineMap read = AffineMap::get(6, 0,
                                  {d(0), d(c), d(y) * geometry.strides[0] + d(i) * geometry.dilations[0],
                                   d(x) * geometry.strides[1] + d(j) * geometry.dilations[1]},
                                  context);
  AffineMap identity = AffineMap::getMultiDimIdentityMap(6, context);
  auto windowsType = RankedTensorType::get({batch, oh, ow, channels, kh, kw}, b.getF32Type());
  Value init = tensor::EmptyOp::create(b, loc, windowsType.getShape(), b.getF32Type());
  Value windows = linalg::GenericOp::create(b, loc, TypeRange{windowsType}, ValueRange{padded}, ValueRange{init},
                                            ArrayRef<AffineMap>{read, identity},
                                            SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
                                            [](OpBuilder &nb, Location nl, ValueRange args) {
                                              linalg::YieldOp::create(nb, nl, args[0]);
                                            })
                      .getResult(0);
  return buildStaticReshape(b, loc, windows, {batch, oh * ow, channels * kh * kw});
}

/// Whether a convolution with `positions` output positions and `filters`
/// filters fills the GEMM's registers clearly better with the positions as
/// A's rows (tiles of 6) and the filters as B's 16-column vectors than the
/// other way round: few positions (a late CNN layer, 7 x 7; a 1 x 1 map).
bool prefersPositionsAsRows(int64_t positions, int64_t filters) {
  auto fill = [](int64_t count, int64_t tile) { return double(count) / double(tile * ((count + tile - 1) / tile)); };
  const double asColumns = fill(positions, 16) * fill(filters, 6);
  const double asRows = (positions <= 2 ? 1.0 : fill(positions, 6)) * fill(filters, 16);
  return asRows > asColumns + 0.1;
}

/// The convolution of `input` [N, C, H, W] (no groups) by the constant
/// `filters` [F, C KH KW] (+ `bias` [F]) into `resultType` with the output
/// positions as A's rows: the input's windows [N, OH OW, C KH KW] times the
/// filters packed into panel16 at compile time, then transposed to
/// [N, F, OH, OW].
Value buildPositionsAsRowsConv(OpBuilder &b, Location loc, Value input, ArrayRef<float> filters, int64_t kh,
                               int64_t kw, const ConvolutionGeometry &geometry, Value bias, const FusedEpilogue &epilogue,
                               RankedTensorType resultType) {
  auto inputType = cast<RankedTensorType>(input.getType());
  const int64_t batch = inputType.getDimSize(0), channels = inputType.getDimSize(1);
  const int64_t oh = resultType.getDimSize(2), ow = resultType.getDimSize(3);
  GemmKernelConfig config;
  config.batch = config.batchA = batch;
  config.m = oh * ow;
  config.k = channels * kh * kw;
  config.n = resultType.getDimSize(1);
  config.bLayout = GemmBLayout::Panel16;
  config.bias = bias ? GemmBias::Column : GemmBias::None;
  config.epilogue = epilogue.epilogue;
  Value packedFilters = buildPanel16Constant(b, loc, filters, config.n, config.k, "panel16_filters");
  Value windows = buildIm2Col(b, loc, input, geometry, kh, kw, oh, ow, /*positionsAsRows=*/true);
  // The epilogue's operands [N, F, OH, OW] transposed like the product.
  SmallVector<Value> operands;
  for (Value operand : reshapeEpilogueOperands(b, loc, epilogue, {batch, config.n, config.m})) {
    Value operandInit = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{batch, config.m, config.n}, b.getF32Type());
    operands.push_back(
        linalg::TransposeOp::create(b, loc, operand, operandInit, ArrayRef<int64_t>{0, 2, 1}).getResult()[0]);
  }
  Value product = buildGemmCall(b, loc, config, windows, packedFilters, bias, operands); // [N, OH OW, F]
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{batch, config.n, config.m}, b.getF32Type());
  Value transposed =
      linalg::TransposeOp::create(b, loc, product, init, ArrayRef<int64_t>{0, 2, 1}).getResult()[0];
  return buildStaticReshape(b, loc, transposed, resultType.getShape());
}

/// A call of a kernel that slides a window over the zero-padded `input`
/// (the direct or the depthwise convolution, declared under `attrName`):
/// operands padded input, `weight`, [`bias`,] the epilogue's operands;
/// named `prefix` + `dims` ("x"-joined) + "_kKHxKW_sSHxSW".
Value buildWindowKernelCall(OpBuilder &b, Location loc, StringRef attrName, StringRef prefix, ArrayRef<int64_t> dims,
                            Value input, Value weight, int64_t kh, int64_t kw, const ConvolutionGeometry &geometry,
                            Value bias, const FusedEpilogue &epilogue, RankedTensorType resultType) {
  Value padded = buildSpatialPad(b, loc, input, geometry.padBegin, geometry.padEnd, b.getF32FloatAttr(0.0f));
  ConvolutionWindow config;
  config.set(kh, kw, geometry);
  config.epilogue = epilogue.epilogue;
  SmallVector<Value> operands = {padded, weight};
  if (bias)
    operands.push_back(bias);
  llvm::append_range(operands, epilogue.operands);
  std::string name = prefix.str();
  for (auto [i, dim] : llvm::enumerate(dims))
    name += (i ? "x" : "") + std::to_string(dim);
  name += "_k" + std::to_string(kh) + "x" + std::to_string(kw) + "_s" + std::to_string(config.strides[0]) + "x" +
          std::to_string(config.strides[1]);
  return buildKernelCall(b, loc, name, attrName, config.toAttribute(b.getContext()), operands, resultType);
}

/// The convolution of `input` [N, C, H, W] (no groups) by `filters` [F, C KH
/// KW] (+ `bias` [F]) into `resultType` as a call of the direct convolution
/// kernel over the zero-padded input (no im2col).
Value buildDirectConvCall(OpBuilder &b, Location loc, Value input, Value filters, int64_t kh, int64_t kw,
                          const ConvolutionGeometry &geometry, Value bias, const FusedEpilogue &epilogue,
                          RankedTensorType resultType) {
  auto inputType = cast<RankedTensorType>(input.getType());
  return buildWindowKernelCall(b, loc, kDirectConvKernelAttrName, "qopt_conv_",
                               {inputType.getDimSize(0), inputType.getDimSize(1), resultType.getDimSize(1),
                                resultType.getDimSize(2), resultType.getDimSize(3)},
                               input, filters, kh, kw, geometry, bias, epilogue, resultType);
}

/// The convolution of `input` [N, C, H, W] (no groups) by `filters` [F, C KH
/// KW] (+ `bias` [F]) into `resultType` [N, F, OH, OW] as a kernel call, the
/// one place the three ways are chosen: the direct kernel where output rows
/// fill its vectors; the positions as rows where they are few and
/// `constantWeight` (the filters' constant source, or null) is readable;
/// else the filters times the input's im2col (the input itself for 1x1,
/// stride 1, no padding), the bias per row.
Value buildConvolutionGemm(OpBuilder &b, Location loc, Value input, Value filters, Value constantWeight, int64_t kh,
                           int64_t kw, const ConvolutionGeometry &geometry, Value bias, const FusedEpilogue &epilogue,
                           RankedTensorType resultType) {
  auto inputType = cast<RankedTensorType>(input.getType());
  const int64_t batch = inputType.getDimSize(0), channels = inputType.getDimSize(1);
  const int64_t oh = resultType.getDimSize(2), ow = resultType.getDimSize(3);
  GemmKernelConfig config;
  config.batch = batch;
  config.m = resultType.getDimSize(1);
  config.k = channels * kh * kw;
  config.n = oh * ow;
  config.batchA = 1;
  config.batchB = batch;
  config.bias = bias ? GemmBias::Row : GemmBias::None;
  config.epilogue = epilogue.epilogue;
  auto isZero = [](int64_t v) { return v == 0; };
  bool pointwise = kh == 1 && kw == 1 && llvm::all_of(geometry.strides, [](int64_t s) { return s == 1; }) &&
                   llvm::all_of(geometry.padBegin, isZero) && llvm::all_of(geometry.padEnd, isZero);
  const bool direct = isDirectConvProfitable(ow, kh * kw, geometry.strides[1]);
  if (!pointwise && direct)
    return buildDirectConvCall(b, loc, input, filters, kh, kw, geometry, bias, epilogue, resultType);
  if (!direct && constantWeight && prefersPositionsAsRows(oh * ow, config.m))
    if (ElementsAttr constant = getConstantTensor(constantWeight))
      if (std::optional<std::vector<float>> values = readFloatConstant(constant))
        return buildPositionsAsRowsConv(b, loc, input, *values, kh, kw, geometry, bias, epilogue, resultType);
  Value columns = pointwise ? buildStaticReshape(b, loc, input, {batch, config.k, config.n})
                            : buildIm2Col(b, loc, input, geometry, kh, kw, oh, ow);
  Value filtersByK = buildStaticReshape(b, loc, filters, {1, config.m, config.k});
  Value product = buildGemmCall(b, loc, config, filtersByK, columns, bias,
                                reshapeEpilogueOperands(b, loc, epilogue, {batch, config.m, config.n}));
  return buildStaticReshape(b, loc, product, resultType.getShape());
}

/// Whether a convolution of these types has a GEMM: no groups, static f32.
LogicalResult checkConvolutionGemm(PatternRewriter &rewriter, Operation *op, int64_t groups, Value input,
                                   Value bias, RankedTensorType resultType) {
  if (groups != 1)
    return rewriter.notifyMatchFailure(op, "grouped convolutions take the reference lowering");
  if (!isStaticF32(input.getType()) || !isStaticF32(resultType) || (bias && !isStaticF32(bias.getType())))
    return rewriter.notifyMatchFailure(op, "static f32 shapes only");
  if (resultType.getNumElements() == 0 || cast<RankedTensorType>(input.getType()).getNumElements() == 0)
    return rewriter.notifyMatchFailure(op, "empty convolution");
  return success();
}

struct Conv2DToGemmCall : OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Conv2DOp op, PatternRewriter &rewriter) const override {
    RankedTensorType resultType = op.getResult().getType();
    if (failed(checkConvolutionGemm(rewriter, op, op.getGroups(), op.getInput(), op.getBias(), resultType)) ||
        !isStaticF32(op.getWeight().getType()))
      return failure();
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    const int64_t f = weightType.getDimSize(0), kh = weightType.getDimSize(2), kw = weightType.getDimSize(3);
    Value filters = buildStaticReshape(rewriter, op.getLoc(), op.getWeight(), {f, weightType.getNumElements() / f});
    auto [reader, epilogue] = takeEpilogue(rewriter, op.getResult());
    replaceWithProduct(rewriter, op, reader,
                       buildConvolutionGemm(rewriter, op.getLoc(), op.getInput(), filters, op.getWeight(), kh, kw,
                                            getConvolutionGeometry(op), op.getBias(), epilogue, resultType));
    return success();
  }
};

/// The depthwise convolution of `input` [N, C, H, W] by `taps` [C, KH KW]
/// (+ `bias` [C]) into `resultType`: a call of the depthwise kernel over the
/// zero-padded input.
Value buildDepthwiseCall(OpBuilder &b, Location loc, Value input, Value taps, int64_t kh, int64_t kw,
                         const ConvolutionGeometry &geometry, Value bias, const FusedEpilogue &epilogue,
                         RankedTensorType resultType) {
  auto inputType = cast<RankedTensorType>(input.getType());
  return buildWindowKernelCall(b, loc, kDepthwiseKernelAttrName, "qopt_depthwise_",
                               {inputType.getDimSize(0), inputType.getDimSize(1), resultType.getDimSize(2),
                                resultType.getDimSize(3)},
                               input, taps, kh, kw, geometry, bias, epilogue, resultType);
}

/// Whether a convolution of these types is depthwise with a kernel: one
/// filter per channel, static f32.
LogicalResult checkDepthwise(PatternRewriter &rewriter, Operation *op, int64_t groups, int64_t filters,
                             Value input, Value bias, RankedTensorType resultType) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (!isStaticF32(inputType) || !isStaticF32(resultType) || (bias && !isStaticF32(bias.getType())))
    return rewriter.notifyMatchFailure(op, "static f32 shapes only");
  const int64_t channels = inputType.getDimSize(1);
  if (groups != channels || filters != channels || resultType.getNumElements() == 0)
    return rewriter.notifyMatchFailure(op, "not depthwise");
  return success();
}

/// A depthwise convolution (one filter per channel, groups = C = F).
struct DepthwiseConv2DCall : OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Conv2DOp op, PatternRewriter &rewriter) const override {
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    if (!isStaticF32(weightType) || failed(checkDepthwise(rewriter, op, op.getGroups(), weightType.getDimSize(0),
                                                          op.getInput(), op.getBias(), op.getResult().getType())))
      return failure();
    const int64_t channels = weightType.getDimSize(0), kh = weightType.getDimSize(2), kw = weightType.getDimSize(3);
    Value taps = buildStaticReshape(rewriter, op.getLoc(), op.getWeight(), {channels, kh * kw});
    auto [reader, epilogue] = takeEpilogue(rewriter, op.getResult());
    replaceWithProduct(rewriter, op, reader,
                       buildDepthwiseCall(rewriter, op.getLoc(), op.getInput(), taps, kh, kw,
                                          getConvolutionGeometry(op), op.getBias(), epilogue,
                                          op.getResult().getType()));
    return success();
  }
};

/// A quantized depthwise convolution: its [C, KH KW] dequantized weight is
/// the taps; the input fake-quantized first when activations are.
struct QDepthwiseConv2DCall : OpRewritePattern<QConv2DOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QConv2DOp op, PatternRewriter &rewriter) const override {
    if (op.getLayout() != PackedLayout::row_major)
      return rewriter.notifyMatchFailure(op, "row_major codes only");
    if (failed(checkDepthwise(rewriter, op, op.getGroups(), op.getNumOutputs(), op.getInput(), op.getBias(),
                              op.getResult().getType())))
      return failure();
    DequantizedConvolution dequantized = buildDequantizedConvolution(rewriter, op);
    ArrayRef<int64_t> kernel = op.getKernel();
    auto [reader, epilogue] = takeEpilogue(rewriter, op.getResult());
    replaceWithProduct(rewriter, op, reader,
                       buildDepthwiseCall(rewriter, op.getLoc(), dequantized.input, dequantized.filters, kernel[0],
                                          kernel[1], getConvolutionGeometry(op), op.getBias(), epilogue,
                                          op.getResult().getType()));
    return success();
  }
};

/// A quantized convolution: its [F, C KH KW] weight dequantized (once per
/// run: F K operations beside the product's F K OH OW), the input
/// fake-quantized first when activations are quantized, as the reference
/// lowering does; then the float GEMM.
struct QConv2DToGemmCall : OpRewritePattern<QConv2DOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QConv2DOp op, PatternRewriter &rewriter) const override {
    RankedTensorType resultType = op.getResult().getType();
    if (op.getLayout() != PackedLayout::row_major)
      return rewriter.notifyMatchFailure(op, "row_major codes only");
    if (failed(checkConvolutionGemm(rewriter, op, op.getGroups(), op.getInput(), op.getBias(), resultType)))
      return failure();
    DequantizedConvolution dequantized = buildDequantizedConvolution(rewriter, op);
    ArrayRef<int64_t> kernel = op.getKernel();
    auto [reader, epilogue] = takeEpilogue(rewriter, op.getResult());
    replaceWithProduct(rewriter, op, reader,
                       buildConvolutionGemm(rewriter, op.getLoc(), dequantized.input, dequantized.filters,
                                            /*constantWeight=*/Value(), kernel[0], kernel[1],
                                            getConvolutionGeometry(op), op.getBias(), epilogue, resultType));
    return success();
  }
};

/// True if `op`'s body is out + in0 * in1 (in either order).
bool isMultiplyAccumulate(linalg::LinalgOp op) {
  Block &body = *op.getBlock();
  if (body.getOperations().size() != 3)
    return false;
  auto multiply = dyn_cast<arith::MulFOp>(&body.front());
  auto add = dyn_cast<arith::AddFOp>(multiply ? multiply->getNextNode() : nullptr);
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!multiply || !add || !yield || yield.getNumOperands() != 1 || yield.getOperand(0) != add.getResult())
    return false;
  Value in0 = body.getArgument(0), in1 = body.getArgument(1), acc = body.getArgument(2);
  bool operands = (multiply.getLhs() == in0 && multiply.getRhs() == in1) ||
                  (multiply.getLhs() == in1 && multiply.getRhs() == in0);
  bool accumulates = (add.getLhs() == acc && add.getRhs() == multiply.getResult()) ||
                     (add.getRhs() == acc && add.getLhs() == multiply.getResult());
  return operands && accumulates;
}

/// A product operand that repeats a smaller tensor over groups of batches,
/// as grouped-query attention repeats each key/value head for the query
/// heads that share it: (transpose of the last two dims of)
/// collapse_shape(broadcast of x along a unit dim), the collapse merging
/// the heads with their repeats. Returns x (transposed the same way: a copy
/// of the small tensor, not the repeated one) and the repeat count, so the
/// product can read x once per group with the group's rows stacked as M.
std::optional<std::pair<Value, int64_t>> getGroupRepeatedSource(PatternRewriter &rewriter, Value operand) {
  Value value = operand;
  linalg::TransposeOp transpose = value.getDefiningOp<linalg::TransposeOp>();
  if (transpose) {
    ArrayRef<int64_t> perm = transpose.getPermutation();
    const int64_t rank = int64_t(perm.size());
    if (rank < 3 || perm[rank - 2] != rank - 1 || perm[rank - 1] != rank - 2)
      return std::nullopt;
    for (int64_t i = 0; i + 2 < rank; ++i)
      if (perm[i] != i)
        return std::nullopt;
    value = transpose.getInput();
  }
  auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse)
    return std::nullopt;
  SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
  const int64_t resultRank = int64_t(groups.size());
  int64_t merged = -1;
  for (auto [i, group] : llvm::enumerate(groups)) {
    if (group.size() == 1)
      continue;
    if (group.size() != 2 || merged >= 0 || int64_t(i) + 2 >= resultRank)
      return std::nullopt; // one pair of batch dimensions only
    merged = group[1];
  }
  auto broadcast = collapse.getSrc().getDefiningOp<linalg::GenericOp>();
  if (merged < 0 || !broadcast || broadcast.getNumDpsInputs() != 1 || broadcast.getNumDpsInits() != 1 ||
      broadcast.getNumReductionLoops() != 0)
    return std::nullopt;
  auto yield = cast<linalg::YieldOp>(broadcast.getBlock()->getTerminator());
  if (yield.getNumOperands() != 1 || yield.getOperand(0) != broadcast.getBlock()->getArgument(0))
    return std::nullopt;
  SmallVector<AffineMap> maps = broadcast.getIndexingMapsArray();
  if (!maps[1].isIdentity())
    return std::nullopt;
  Value source = broadcast.getDpsInputOperand(0)->get();
  auto sourceType = cast<RankedTensorType>(source.getType());
  const int64_t rank = maps[0].getNumDims();
  if (sourceType.getRank() != rank || sourceType.getDimSize(merged) != 1)
    return std::nullopt;
  for (int64_t i = 0; i < rank; ++i) {
    AffineExpr expected = i == merged ? getAffineConstantExpr(0, rewriter.getContext())
                                      : getAffineDimExpr(unsigned(i), rewriter.getContext());
    if (maps[0].getResult(unsigned(i)) != expected)
      return std::nullopt;
  }
  const int64_t repeats = cast<RankedTensorType>(broadcast.getResult(0).getType()).getDimSize(merged);
  if (transpose) {
    Location loc = transpose.getLoc();
    SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    std::swap(perm[rank - 2], perm[rank - 1]);
    SmallVector<int64_t> shape(sourceType.getShape());
    std::swap(shape[rank - 2], shape[rank - 1]);
    Value init = tensor::EmptyOp::create(rewriter, loc, shape, sourceType.getElementType());
    source = linalg::TransposeOp::create(rewriter, loc, source, init, perm).getResult()[0];
  }
  return std::make_pair(source, repeats);
}

struct BatchMatmulToGemmCall : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op, PatternRewriter &rewriter) const override {
    if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
        op.getNumReductionLoops() != 1 || !isMultiplyAccumulate(op))
      return rewriter.notifyMatchFailure(op, "not a matrix product");
    Value a = op.getDpsInputOperand(0)->get(), b = op.getDpsInputOperand(1)->get();
    Value init = op.getDpsInitOperand(0)->get();
    if (!isStaticF32(a.getType()) || !isStaticF32(b.getType()) || !isStaticF32(init.getType()) ||
        !isZeroInitialized(init))
      return rewriter.notifyMatchFailure(op, "static f32 operands into zeros only");
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    auto dims = [](AffineMap map) -> std::optional<SmallVector<unsigned>> {
      SmallVector<unsigned> result;
      for (AffineExpr expr : map.getResults()) {
        auto dim = dyn_cast<AffineDimExpr>(expr);
        if (!dim)
          return std::nullopt;
        result.push_back(dim.getPosition());
      }
      return result;
    };
    auto aDims = dims(maps[0]), bDims = dims(maps[1]), outDims = dims(maps[2]);
    if (!aDims || !bDims || !outDims || outDims->size() < 2 || aDims->size() < 2 || bDims->size() < 2)
      return rewriter.notifyMatchFailure(op, "indexing is not by loop dimensions");
    // out (batch..., m, n), a (batch... | none, m, k), b (batch... | none, k, n).
    ArrayRef<unsigned> batchDims = ArrayRef<unsigned>(*outDims).drop_back(2);
    unsigned m = (*outDims)[outDims->size() - 2], n = outDims->back();
    unsigned k = (*aDims).back();
    auto outType = cast<RankedTensorType>(init.getType());
    // The operand's batch dimensions: the trailing ones of out's (NumPy
    // broadcasting), flattened to `batches`.
    auto matches = [&](ArrayRef<unsigned> operand, unsigned first, unsigned second, int64_t &batches) {
      if (operand.size() < 2 || operand[operand.size() - 2] != first || operand.back() != second)
        return false;
      ArrayRef<unsigned> lead = operand.drop_back(2);
      if (lead.size() > batchDims.size() || lead != batchDims.take_back(lead.size()))
        return false;
      batches = 1;
      for (size_t i = batchDims.size() - lead.size(); i < batchDims.size(); ++i)
        batches *= outType.getDimSize(i);
      return true;
    };
    GemmKernelConfig config;
    if (op.getNumLoops() != batchDims.size() + 3 || m == n || m == k || n == k ||
        op.getIteratorTypesArray()[k] != utils::IteratorType::reduction ||
        !matches(*aDims, m, k, config.batchA) || !matches(*bDims, k, n, config.batchB))
      return rewriter.notifyMatchFailure(op, "not (batch, m, k) x (batch, k, n) into (batch, m, n)");
    config.m = outType.getDimSize(outType.getRank() - 2);
    config.n = outType.getDimSize(outType.getRank() - 1);
    config.k = cast<RankedTensorType>(a.getType()).getShape().back();
    config.batch = 1;
    for (int64_t size : outType.getShape().drop_back(2))
      config.batch *= size;
    if (!config.m || !config.n || !config.k || !config.batch)
      return rewriter.notifyMatchFailure(op, "empty product");
    Location loc = op.getLoc();
    // B repeated over groups of batches (grouped-query attention): each
    // group's A rows stacked into one product with the unrepeated B.
    if (config.batchA == config.batch && config.batchB == config.batch)
      if (auto grouped = getGroupRepeatedSource(rewriter, b); grouped && config.batch % grouped->second == 0) {
        b = grouped->first;
        config.batch /= grouped->second;
        config.batchA = config.batchB = config.batch;
        config.m *= grouped->second;
      }
    Value aRows = buildStaticReshape(rewriter, loc, a, {config.batchA, config.m, config.k});
    Value bRows = buildStaticReshape(rewriter, loc, b, {config.batchB, config.k, config.n});
    Value product = buildGemmCall(rewriter, loc, config, aRows, bRows, Value());
    rewriter.replaceOp(op, buildStaticReshape(rewriter, loc, product, outType.getShape()));
    return success();
  }
};

struct FloatKernelCallsPass : qopt::impl::FloatKernelCallsBase<FloatKernelCallsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LinearToGemmCall, Conv2DToGemmCall, QConv2DToGemmCall, BatchMatmulToGemmCall, DepthwiseConv2DCall,
                 QDepthwiseConv2DCall>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
