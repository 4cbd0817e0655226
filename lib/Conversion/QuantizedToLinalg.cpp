//===- QuantizedToLinalg.cpp - reference lowering of quantized ops --------===//
//
// The reference semantics of qopt's quantized ops as linalg on tensors:
// qopt.qlinear and qopt.qconv2d unpack and dequantize their weight into a
// float [N, K] tensor and multiply or convolve by it (the input first
// quantized and dequantized when they have an activation scheme); qopt.dequantize is elementwise. Every format of
// #qopt.format decodes here: integers exactly, mini-floats and NF4 through
// their code tables, lut<N> through the codebook operand, e8m0 scales as
// powers of two. The fast kernels (no float weights in memory) replace this
// lowering for the formats they cover; this one defines what they compute.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/QoptToLinalg.h"

#include "DequantizedMatrix.h"

#include "ActivationQuantization.h"
#include "LinearProduct.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Quant/NumberFormat.h"
#include "qopt/Support/Convolution.h"
#include "qopt/Support/TensorOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace qopt;

namespace {

Value indexConstant(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantIndexOp::create(b, l, v);
}

Value i32Constant(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantIntOp::create(b, l, b.getI32Type(), v);
}

/// Code `k` of row `n` of a row_major packed weight: the `bits`-wide field at
/// bit k * bits of the row read as a little-endian bit string. Reads two
/// bytes so that fields crossing a byte boundary (3-, 5-, 6-, 7-bit codes)
/// come out whole; the second read is clamped to the row.
Value extractPackedCode(OpBuilder &b, Location l, Value packed, Value n, Value k, unsigned bits,
                        int64_t rowBytes) {
  if (bits == 8) {
    Value byte = tensor::ExtractOp::create(b, l, packed, ValueRange{n, k});
    return arith::ExtUIOp::create(b, l, b.getI32Type(), byte);
  }
  Value bitOffset = arith::MulIOp::create(b, l, k, indexConstant(b, l, bits));
  Value byteIndex = arith::DivUIOp::create(b, l, bitOffset, indexConstant(b, l, 8));
  Value shift = arith::RemUIOp::create(b, l, bitOffset, indexConstant(b, l, 8));
  Value nextIndex = arith::MinUIOp::create(b, l, arith::AddIOp::create(b, l, byteIndex, indexConstant(b, l, 1)),
                                           indexConstant(b, l, rowBytes - 1));
  auto load = [&](Value index) -> Value {
    Value byte = tensor::ExtractOp::create(b, l, packed, ValueRange{n, index});
    return arith::ExtUIOp::create(b, l, b.getI32Type(), byte);
  };
  Value word = arith::OrIOp::create(b, l, load(byteIndex),
                                    arith::ShLIOp::create(b, l, load(nextIndex), i32Constant(b, l, 8)));
  Value shift32 = arith::IndexCastOp::create(b, l, b.getI32Type(), shift);
  Value field = arith::ShRUIOp::create(b, l, word, shift32);
  return arith::AndIOp::create(b, l, field, i32Constant(b, l, (1 << bits) - 1));
}

/// A constant table of the values of every code of a table format.
Value buildCodeTable(OpBuilder &b, Location loc, NumberFormat format) {
  ArrayRef<float> table = format.getDecodeTable();
  auto type = RankedTensorType::get({int64_t(table.size())}, b.getF32Type());
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, table));
}

Value convertFloat(OpBuilder &b, Location l, Value value, Type to) {
  auto from = cast<FloatType>(value.getType());
  if (from == to)
    return value;
  if (from.getWidth() < cast<FloatType>(to).getWidth())
    return arith::ExtFOp::create(b, l, to, value);
  return arith::TruncFOp::create(b, l, to, value);
}

/// The value of an i32 `code` of an integer or table format, as `floatType`.
/// `table` is the code table of table formats (null for integers).
Value decodeCode(OpBuilder &b, Location l, NumberFormat format, Value code, Value table,
                 Type floatType) {
  if (format.getKind() == FormatKind::SignedInt) {
    // Sign-extend the bits-wide field.
    Value shift = i32Constant(b, l, 32 - format.getCodeBits());
    Value extended = arith::ShRSIOp::create(b, l, arith::ShLIOp::create(b, l, code, shift), shift);
    return arith::SIToFPOp::create(b, l, floatType, extended);
  }
  if (format.getKind() == FormatKind::UnsignedInt)
    return arith::UIToFPOp::create(b, l, floatType, code);
  Value index = arith::IndexCastUIOp::create(b, l, b.getIndexType(), code);
  return convertFloat(b, l, tensor::ExtractOp::create(b, l, table, index), floatType);
}

/// A zero point in the code domain: integers are read with the format's
/// signedness (a uint8 zero point of 200 is 200), floats as they are.
Value decodeZero(OpBuilder &b, Location l, NumberFormat format, Value zero, Type floatType) {
  if (isa<FloatType>(zero.getType()))
    return convertFloat(b, l, zero, floatType);
  if (format.getKind() == FormatKind::UnsignedInt)
    return arith::UIToFPOp::create(b, l, floatType, zero);
  return arith::SIToFPOp::create(b, l, floatType, zero);
}

/// A scale as `floatType`; e8m0 scales are 2^(e - 127) (e = 255 is NaN).
Value decodeScale(OpBuilder &b, Location l, Value scale, Type floatType) {
  if (!isa<Float8E8M0FNUType>(scale.getType()))
    return convertFloat(b, l, scale, floatType);
  Value bits = arith::ExtUIOp::create(b, l, b.getI32Type(),
                                      arith::BitcastOp::create(b, l, b.getI8Type(), scale));
  // Exponent e in an f32: bits e << 23, except e = 0 (2^-127, a subnormal)
  // and e = 255 (NaN).
  Value normal = arith::ShLIOp::create(b, l, bits, i32Constant(b, l, 23));
  Value isZero = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, bits, i32Constant(b, l, 0));
  Value isNaN = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, bits, i32Constant(b, l, 255));
  Value pattern = arith::SelectOp::create(b, l, isZero, i32Constant(b, l, 0x00400000), normal);
  pattern = arith::SelectOp::create(b, l, isNaN, i32Constant(b, l, 0x7FC00000), pattern);
  return convertFloat(b, l, arith::BitcastOp::create(b, l, b.getF32Type(), pattern), floatType);
}

} // namespace

Value qopt::buildDequantizedMatrix(OpBuilder &rewriter, Location loc, NumberFormat format, Value packed,
                             Value scales, Value zeros, Value codebook, int64_t n, int64_t k,
                             int64_t group, Type floatType) {
  int64_t rowBytes = cast<RankedTensorType>(packed.getType()).getDimSize(1);
  unsigned bits = format.getCodeBits();
  MLIRContext *context = rewriter.getContext();
  Value table = format.getDecodeTable().empty() ? Value() : buildCodeTable(rewriter, loc, format);
  AffineMap groupMap = AffineMap::get(
      2, 0, {rewriter.getAffineDimExpr(0), rewriter.getAffineDimExpr(1).floorDiv(group)}, context);
  SmallVector<Value> inputs = {scales};
  SmallVector<AffineMap> maps = {groupMap};
  if (zeros) {
    inputs.push_back(zeros);
    maps.push_back(groupMap);
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(2, context));
  bool hasZeros = bool(zeros);
  auto weightType = RankedTensorType::get({n, k}, floatType);
  Value init = tensor::EmptyOp::create(rewriter, loc, weightType.getShape(), floatType);
  return linalg::GenericOp::create(
             rewriter, loc, TypeRange{weightType}, inputs, ValueRange{init}, maps,
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::parallel},
             [&](OpBuilder &b, Location l, ValueRange args) {
               Value row = linalg::IndexOp::create(b, l, 0), column = linalg::IndexOp::create(b, l, 1);
               Value code = extractPackedCode(b, l, packed, row, column, bits, rowBytes);
               Value value;
               if (format.needsCodebook()) {
                 Value index = arith::IndexCastUIOp::create(b, l, b.getIndexType(), code);
                 auto codebookType = cast<RankedTensorType>(codebook.getType());
                 SmallVector<Value> coordinates;
                 if (codebookType.getRank() >= 2)
                   coordinates.push_back(row);
                 if (codebookType.getRank() == 3)
                   coordinates.push_back(arith::DivUIOp::create(b, l, column, indexConstant(b, l, group)));
                 coordinates.push_back(index);
                 value = convertFloat(b, l, tensor::ExtractOp::create(b, l, codebook, coordinates), floatType);
               } else {
                 value = decodeCode(b, l, format, code, table, floatType);
               }
               if (hasZeros)
                 value = arith::SubFOp::create(b, l, value, decodeZero(b, l, format, args[1], floatType));
               Value scaled = arith::MulFOp::create(b, l, decodeScale(b, l, args[0], floatType), value);
               linalg::YieldOp::create(b, l, scaled);
             })
      .getResult(0);
}

DequantizedConvolution qopt::buildDequantizedConvolution(OpBuilder &builder, QConv2DOp op) {
  Location loc = op.getLoc();
  Type floatType = op.getResult().getType().getElementType();
  Value filters = buildDequantizedMatrix(builder, loc, op.getFormat().getValue(), op.getPacked(), op.getScales(),
                                         op.getZeros(), op.getCodebook(), op.getNumOutputs(), op.getReductionSize(),
                                         op.getGroup(), floatType);
  Value input = op.getInput();
  if (ActQuantAttr act = op.getActAttr())
    input = buildFakeQuantizedActivation(builder, loc, input, act);
  return {input, filters};
}

namespace {

/// `weight` [N, K] plus the CSR outliers: for each row n and each j in
/// [rowPtr[n], rowPtr[n + 1]), weight[n, cols[j]] += values[j].
Value addOutliers(OpBuilder &b, Location loc, Value weight, Value rowPtr, Value cols, Value values) {
  auto weightType = cast<RankedTensorType>(weight.getType());
  Type floatType = weightType.getElementType();
  auto readIndex = [&](OpBuilder &nb, Location nl, Value tensor, Value i) -> Value {
    return arith::IndexCastOp::create(nb, nl, nb.getIndexType(), tensor::ExtractOp::create(nb, nl, tensor, i));
  };
  auto rows = scf::ForOp::create(
      b, loc, indexConstant(b, loc, 0), indexConstant(b, loc, weightType.getDimSize(0)),
      indexConstant(b, loc, 1), ValueRange{weight},
      [&](OpBuilder &rb, Location rl, Value row, ValueRange rowIters) {
        Value begin = readIndex(rb, rl, rowPtr, row);
        Value end = readIndex(rb, rl, rowPtr, arith::AddIOp::create(rb, rl, row, indexConstant(rb, rl, 1)));
        auto entries = scf::ForOp::create(
            rb, rl, begin, end, indexConstant(rb, rl, 1), rowIters,
            [&](OpBuilder &eb, Location el, Value j, ValueRange iters) {
              Value column = readIndex(eb, el, cols, j);
              Value value = convertFloat(eb, el, tensor::ExtractOp::create(eb, el, values, j), floatType);
              Value old = tensor::ExtractOp::create(eb, el, iters[0], ValueRange{row, column});
              Value sum = arith::AddFOp::create(eb, el, old, value);
              scf::YieldOp::create(eb, el, tensor::InsertOp::create(eb, el, sum, iters[0], ValueRange{row, column})
                                               .getResult());
            });
        scf::YieldOp::create(rb, rl, entries.getResults());
      });
  return rows.getResult(0);
}

/// x W^T + b with W dequantized (plus its outliers), x fake-quantized first
/// when `act` is set.
struct LowerQLinear : OpRewritePattern<QLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QLinearOp op, PatternRewriter &rewriter) const override {
    if (op.getLayout() != PackedLayout::row_major || !op.getInput().getType().hasStaticShape())
      return rewriter.notifyMatchFailure(op, "other layouts and dynamic shapes have no reference lowering yet");
    Location loc = op.getLoc();
    Value weight = buildDequantizedMatrix(rewriter, loc, op.getFormat().getValue(), op.getPacked(),
                                          op.getScales(), op.getZeros(), op.getCodebook(),
                                          op.getNumOutputs(), op.getReductionSize(), op.getGroup(),
                                          op.getResult().getType().getElementType());
    if (op.getOutlierRowPtr())
      weight = addOutliers(rewriter, loc, weight, op.getOutlierRowPtr(), op.getOutlierCols(),
                           op.getOutlierValues());
    Value input = op.getInput();
    if (ActQuantAttr act = op.getActAttr())
      input = buildFakeQuantizedActivation(rewriter, loc, input, act);
    rewriter.replaceOp(op, buildLinearProduct(rewriter, loc, input, weight, op.getBias(),
                                              op.getResult().getType()));
    return success();
  }
};

/// The convolution by the dequantized [F, C / groups, KH, KW] weight.
struct LowerQConv2D : OpRewritePattern<QConv2DOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QConv2DOp op, PatternRewriter &rewriter) const override {
    if (op.getLayout() != PackedLayout::row_major)
      return rewriter.notifyMatchFailure(op, "other layouts have no reference lowering yet");
    Location loc = op.getLoc();
    RankedTensorType resultType = op.getResult().getType();
    DequantizedConvolution dequantized = buildDequantizedConvolution(rewriter, op);
    ArrayRef<int64_t> kernel = op.getKernel();
    int64_t channels = op.getInput().getType().getDimSize(1) / op.getGroups();
    Value weight =
        buildStaticReshape(rewriter, loc, dequantized.filters, {op.getNumOutputs(), channels, kernel[0], kernel[1]});
    Value result =
        buildConvolution(rewriter, loc, dequantized.input, weight, getConvolutionGeometry(op), resultType);
    if (Value bias = op.getBias())
      result = buildChannelBiasAdd(rewriter, loc, result, bias);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The map reading a scale (or zero point) for each code: per dimension,
/// 0 for a size-1 dimension, d for an equal one, d / block for blocks.
AffineMap getBroadcastMap(MLIRContext *context, ArrayRef<int64_t> codes, ArrayRef<int64_t> scales) {
  SmallVector<AffineExpr> exprs;
  for (auto [d, pair] : llvm::enumerate(llvm::zip_equal(codes, scales))) {
    auto [codeDim, scaleDim] = pair;
    AffineExpr dim = getAffineDimExpr(d, context);
    exprs.push_back(scaleDim == 1 && codeDim != 1 ? getAffineConstantExpr(0, context)
                    : scaleDim == codeDim         ? dim
                                                  : dim.floorDiv(codeDim / scaleDim));
  }
  return AffineMap::get(codes.size(), 0, exprs, context);
}

/// result = scale * (value(code) - zero), scales and zeros broadcast.
struct LowerDequantize : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DequantizeOp op, PatternRewriter &rewriter) const override {
    auto codesType = cast<RankedTensorType>(op.getCodes().getType());
    if (!codesType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    NumberFormat format = op.getFormat().getValue();
    Type floatType = op.getResult().getType().getElementType();
    Value table = format.getDecodeTable().empty() ? Value() : buildCodeTable(rewriter, loc, format);
    const int64_t rank = codesType.getRank();
    AffineMap scaleMap = getBroadcastMap(context, codesType.getShape(), op.getScales().getType().getShape());
    SmallVector<Value> inputs = {op.getCodes(), op.getScales()};
    SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, context), scaleMap};
    if (Value zeros = op.getZeros()) {
      inputs.push_back(zeros);
      maps.push_back(scaleMap);
    }
    maps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
    bool hasZeros = bool(op.getZeros());
    bool fp8Codes = isa<Float8E4M3FNType>(codesType.getElementType());
    Value init = tensor::EmptyOp::create(rewriter, loc, codesType.getShape(), floatType);
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{op.getResult().getType()}, inputs, ValueRange{init}, maps, iterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value code = args[0];
              // fp8 codes arrive as f8E4M3FN: decode their bits through the table.
              if (fp8Codes)
                code = arith::BitcastOp::create(b, l, b.getI8Type(), code);
              Value code32 = format.getKind() == FormatKind::SignedInt
                                 ? arith::ExtSIOp::create(b, l, b.getI32Type(), code).getResult()
                                 : arith::ExtUIOp::create(b, l, b.getI32Type(), code).getResult();
              // Table formats index with the field's own bits.
              if (!format.isInteger())
                code32 = arith::AndIOp::create(b, l, code32,
                                               i32Constant(b, l, (1 << format.getCodeBits()) - 1));
              Value value = decodeCode(b, l, format, code32, table, floatType);
              if (hasZeros)
                value = arith::SubFOp::create(b, l, value, decodeZero(b, l, format, args[2], floatType));
              linalg::YieldOp::create(
                  b, l, ValueRange{arith::MulFOp::create(b, l, decodeScale(b, l, args[1], floatType), value)});
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void qopt::populateQuantizedToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerQLinear, LowerQConv2D, LowerDequantize>(patterns.getContext());
}
