//===- QuantizedOps.cpp - pre-quantized ONNX: MatMulNBits, Q/DQ -----------===//
//
// com.microsoft MatMulNBits becomes qopt.qlinear as it is: its B
// [N, K/block, block*bits/8] is already the row_major packing of uint<bits>
// codes (low bits first), its scales are [N, K/block], and its zero points
// (packed like B, default 2^(bits-1)) are unpacked at import time.
//
// QuantizeLinear and DequantizeLinear (per tensor, per axis, blocked) are
// elementwise generics whose scale and zero point are read through maps
// (0 for per-tensor, the axis for per-axis, axis floordiv block for blocks).
//
//===----------------------------------------------------------------------===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"
#include "../TensorBuilders.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "onnx/onnx-ml.pb.h"

#include <cmath>

using namespace mlir;
using namespace qopt;

namespace {

LogicalResult importMatMulNBits(NodeImporter &node) {
  Value a = node.getInput(0), b = node.getInput(1), scales = node.getInput(2);
  if (!a || !b || !scales)
    return node.emitError() << "needs A, B and scales";
  if (node.hasInput(4))
    return node.emitError() << "g_idx (act-order) is not supported";
  auto aType = cast<RankedTensorType>(a.getType());
  Type floatType = aType.getElementType();
  if (!isa<FloatType>(floatType) || aType.getRank() < 1)
    return node.emitError() << "A must be a float tensor";
  int64_t k = node.getInt("K", 0), n = node.getInt("N", 0), bits = node.getInt("bits", 4),
          block = node.getInt("block_size", 0);
  if (aType.getShape().back() != k || n <= 0 || block <= 0)
    return node.emitError() << "K, N and block_size must be positive and K must be A's last dimension";
  if (bits != 2 && bits != 4 && bits != 8)
    return node.emitError() << bits << "-bit MatMulNBits is not supported";
  if (k % block)
    return node.emitError() << "K = " << k << " must be a multiple of block_size = " << block;
  int64_t blocks = k / block, rowBytes = k * bits / 8;
  OpBuilder &builder = node.getBuilder();
  Location loc = node.getLoc();
  auto bType = cast<RankedTensorType>(b.getType());
  if (bType.getNumElements() != n * rowBytes || !bType.getElementType().isInteger(8))
    return node.emitError() << "B must hold N * K * bits / 8 = " << n * rowBytes << " bytes";
  Value packed = buildStaticReshape(builder, loc, b, {n, rowBytes});
  auto scalesType = cast<RankedTensorType>(scales.getType());
  if (scalesType.getNumElements() != n * blocks)
    return node.emitError() << "scales must hold N * K / block_size = " << n * blocks << " values";
  Value scaleGrid = buildStaticReshape(builder, loc, scales, {n, blocks});

  // Zero points: packed like B (bits per value, low bits first, each row
  // padded to whole bytes), or 2^(bits-1) when absent.
  SmallVector<int8_t> zeros(n * blocks, int8_t(1 << (bits - 1)));
  if (node.hasInput(3)) {
    auto zeroType = cast<RankedTensorType>(node.getInput(3).getType());
    auto dense = dyn_cast_or_null<DenseIntElementsAttr>(node.getConstantAttr(3));
    std::optional<ArrayRef<char>> bytes;
    SmallVector<char> denseBytes;
    if (!zeroType.getElementType().isInteger(8))
      return node.emitError() << "float zero points are not supported";
    if (dense) {
      for (const APInt &v : dense.getValues<APInt>())
        denseBytes.push_back(char(v.getZExtValue()));
      bytes = ArrayRef<char>(denseBytes);
    } else if (ElementsAttr attr = node.getConstantAttr(3)) {
      bytes = getConstantBytes(attr);
    }
    int64_t perRow = (blocks * bits + 7) / 8;
    if (!bytes || int64_t(bytes->size()) != n * perRow)
      return node.emitError() << "zero points must be a constant of N * ceil(blocks * bits / 8) = "
                              << n * perRow << " bytes";
    for (int64_t row = 0; row < n; ++row)
      for (int64_t g = 0; g < blocks; ++g) {
        uint8_t byte = uint8_t((*bytes)[row * perRow + g * bits / 8]);
        zeros[row * blocks + g] = int8_t((byte >> ((g * bits) % 8)) & ((1 << bits) - 1));
      }
  }
  auto zeroGridType = RankedTensorType::get({n, blocks}, builder.getI8Type());
  Value zeroGrid = arith::ConstantOp::create(
      builder, loc, DenseElementsAttr::get(zeroGridType, ArrayRef<int8_t>(zeros)));
  Value bias = node.getInput(5);

  std::optional<NumberFormat> format = NumberFormat::get(FormatKind::UnsignedInt, unsigned(bits), 0);
  SmallVector<int64_t> resultShape(aType.getShape());
  resultShape.back() = n;
  auto resultType = RankedTensorType::get(resultShape, floatType);
  auto op = QLinearOp::create(builder, loc, resultType, a, packed, scaleGrid, zeroGrid,
                              /*codebook=*/Value(), bias, Value(), Value(), Value(),
                              FormatAttr::get(builder.getContext(), *format),
                              builder.getI64IntegerAttr(block),
                              PackedLayoutAttr::get(builder.getContext(), PackedLayout::row_major),
                              /*act=*/nullptr);
  node.setOutput(0, op.getResult());
  return success();
}

/// How a Q/DQ scale (and zero point) maps onto the elements of x.
struct QuantizationAxis {
  SmallVector<int64_t> scaleShape; // as the scale is reshaped (rank of x)
  AffineMap map;                   // element of x -> element of the scale
};

FailureOr<QuantizationAxis> getQuantizationAxis(NodeImporter &node, RankedTensorType x,
                                                RankedTensorType scale) {
  const int64_t rank = x.getRank();
  MLIRContext *context = node.getContext();
  QuantizationAxis result;
  if (scale.getNumElements() == 1) {
    result.scaleShape.assign(rank, 1);
    result.map = AffineMap::get(rank, 0, SmallVector<AffineExpr>(rank, getAffineConstantExpr(0, context)),
                                context);
    return result;
  }
  int64_t axis = node.getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return node.emitError() << "axis is out of range";
  int64_t block = node.getInt("block_size", 0);
  SmallVector<AffineExpr> exprs(rank, getAffineConstantExpr(0, context));
  if (block > 0) {
    int64_t blocks = (x.getDimSize(axis) + block - 1) / block;
    if (scale.getRank() != rank || scale.getDimSize(axis) != blocks)
      return node.emitError() << "blocked scales must have x's rank and ceil(" << x.getDimSize(axis)
                              << " / " << block << ") = " << blocks << " along axis " << axis;
    for (int64_t d = 0; d < rank; ++d) {
      if (d != axis && scale.getDimSize(d) != x.getDimSize(d))
        return node.emitError() << "blocked scales must match x outside the axis";
      exprs[d] = d == axis ? getAffineDimExpr(d, context).floorDiv(block) : getAffineDimExpr(d, context);
    }
    result.scaleShape.assign(scale.getShape().begin(), scale.getShape().end());
  } else {
    if (scale.getRank() != 1 || scale.getDimSize(0) != x.getDimSize(axis))
      return node.emitError() << "per-axis scales must hold one value per element of axis " << axis;
    result.scaleShape.assign(rank, 1);
    result.scaleShape[axis] = x.getDimSize(axis);
    exprs[axis] = getAffineDimExpr(axis, context);
  }
  result.map = AffineMap::get(rank, 0, exprs, context);
  return result;
}

/// x with its scale and optional zero point, each read through `map`.
Value buildQuantizationGeneric(NodeImporter &node, Value x, Value scale, Value zero,
                               const QuantizationAxis &axis, Type resultElementType,
                               function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  auto xType = cast<RankedTensorType>(x.getType());
  const int64_t rank = xType.getRank();
  SmallVector<Value> inputs = {x, buildStaticReshape(b, loc, scale, axis.scaleShape)};
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank), axis.map};
  if (zero) {
    inputs.push_back(buildStaticReshape(b, loc, zero, axis.scaleShape));
    maps.push_back(axis.map);
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = tensor::EmptyOp::create(b, loc, xType.getShape(), resultElementType);
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
                                   iterators,
                                   [&](OpBuilder &nb, Location l, ValueRange args) {
                                     linalg::YieldOp::create(nb, l, body(nb, l, args.drop_back()));
                                   })
      .getResult(0);
}

Value integerToFloat(OpBuilder &b, Location l, Value value, Type floatType, bool isUnsigned) {
  return isUnsigned ? arith::UIToFPOp::create(b, l, floatType, value).getResult()
                    : arith::SIToFPOp::create(b, l, floatType, value).getResult();
}

/// y = (x - zero_point) * scale
LogicalResult importDequantizeLinear(NodeImporter &node) {
  Value x = node.getInput(0), scale = node.getInput(1), zero = node.getInput(2);
  if (!x || !scale)
    return node.emitError() << "needs x and x_scale";
  auto xType = cast<RankedTensorType>(x.getType());
  auto scaleType = cast<RankedTensorType>(scale.getType());
  Type floatType = scaleType.getElementType();
  if (!isa<IntegerType>(xType.getElementType()) || !isa<FloatType>(floatType))
    return node.emitError() << "integer x and float scales are supported";
  if (zero && cast<RankedTensorType>(zero.getType()).getElementType() != xType.getElementType())
    return node.emitError() << "x_zero_point must have x's type";
  FailureOr<QuantizationAxis> axis = getQuantizationAxis(node, xType, scaleType);
  if (failed(axis))
    return failure();
  bool isUnsigned = node.isUnsigned(0);
  // Quantized weights (constant 8-bit codes whose scales cover whole
  // blocks) become qopt.dequantize, which qopt-fuse-linear turns into
  // qopt.qlinear with the matmul that consumes it.
  bool wholeBlocks = llvm::all_of(llvm::zip_equal(xType.getShape(), axis->scaleShape), [](auto dims) {
    auto [dim, scaleDim] = dims;
    return scaleDim == 1 || dim % scaleDim == 0;
  });
  if (node.getConstantAttr(0) && xType.getElementType().isInteger(8) && wholeBlocks) {
    OpBuilder &b = node.getBuilder();
    Location loc = node.getLoc();
    NumberFormat format = *NumberFormat::get(
        isUnsigned ? FormatKind::UnsignedInt : FormatKind::SignedInt, 8, 0);
    Value scales = buildStaticReshape(b, loc, scale, axis->scaleShape);
    Value zeros = zero ? buildStaticReshape(b, loc, zero, axis->scaleShape) : Value();
    auto result = DequantizeOp::create(b, loc, RankedTensorType::get(xType.getShape(), floatType), x,
                                       scales, zeros, FormatAttr::get(b.getContext(), format));
    node.setOutput(0, result.getResult());
    return success();
  }
  node.setOutput(0, buildQuantizationGeneric(
                        node, x, scale, zero, *axis, floatType,
                        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                          Value value = integerToFloat(b, l, args[0], floatType, isUnsigned);
                          if (args.size() > 2)
                            value = arith::SubFOp::create(b, l, value,
                                                          integerToFloat(b, l, args[2], floatType, isUnsigned));
                          return arith::MulFOp::create(b, l, value, args[1]);
                        }));
  return success();
}

/// y = saturate(round_half_to_even(x / scale) + zero_point)
LogicalResult importQuantizeLinear(NodeImporter &node) {
  Value x = node.getInput(0), scale = node.getInput(1), zero = node.getInput(2);
  if (!x || !scale)
    return node.emitError() << "needs x and y_scale";
  auto xType = cast<RankedTensorType>(x.getType());
  Type floatType = xType.getElementType();
  if (!isa<FloatType>(floatType))
    return node.emitError() << "needs a float x";
  // The output type: the zero point's, else output_dtype, else uint8.
  int dataType = onnx::TensorProto::UINT8;
  if (zero)
    dataType = -1;
  else if (int64_t requested = node.getInt("output_dtype", 0))
    dataType = int(requested);
  Type outType;
  bool isUnsigned;
  if (zero) {
    outType = cast<RankedTensorType>(zero.getType()).getElementType();
    isUnsigned = node.isUnsigned(2);
  } else {
    outType = convertOnnxElementType(dataType, node.getContext());
    isUnsigned = isUnsignedOnnxType(dataType);
  }
  auto intType = dyn_cast_or_null<IntegerType>(outType);
  if (!intType || intType.getWidth() < 2)
    return node.emitError() << "only integer outputs are supported";
  unsigned width = intType.getWidth();
  double low = isUnsigned ? 0.0 : -std::ldexp(1.0, int(width) - 1);
  double high = isUnsigned ? std::ldexp(1.0, int(width)) - 1 : std::ldexp(1.0, int(width) - 1) - 1;
  FailureOr<QuantizationAxis> axis =
      getQuantizationAxis(node, xType, cast<RankedTensorType>(scale.getType()));
  if (failed(axis))
    return failure();
  // Quantization is computed in f32 (or the input type if wider).
  Type computeType = cast<FloatType>(floatType).getWidth() < 32 ? Type(node.getBuilder().getF32Type())
                                                                 : floatType;
  auto toCompute = [&](OpBuilder &b, Location l, Value v) -> Value {
    auto from = cast<FloatType>(v.getType());
    if (from == computeType)
      return v;
    return from.getWidth() < cast<FloatType>(computeType).getWidth()
               ? arith::ExtFOp::create(b, l, computeType, v).getResult()
               : arith::TruncFOp::create(b, l, computeType, v).getResult();
  };
  node.setOutput(0, buildQuantizationGeneric(
                        node, x, scale, zero, *axis, outType,
                        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                          Value scaled = arith::DivFOp::create(b, l, toCompute(b, l, args[0]),
                                                               toCompute(b, l, args[1]));
                          Value rounded = math::RoundEvenOp::create(b, l, scaled);
                          if (args.size() > 2)
                            rounded = arith::AddFOp::create(
                                b, l, rounded, integerToFloat(b, l, args[2], computeType, isUnsigned));
                          Value clamped = arith::MinimumFOp::create(
                              b, l, arith::MaximumFOp::create(b, l, rounded, buildScalar(b, l, computeType, low)),
                              buildScalar(b, l, computeType, high));
                          return isUnsigned ? arith::FPToUIOp::create(b, l, outType, clamped).getResult()
                                            : arith::FPToSIOp::create(b, l, outType, clamped).getResult();
                        }));
  node.setUnsigned(0, isUnsigned);
  return success();
}

} // namespace

void qopt::registerQuantizedOps(OnnxOpRegistry &registry) {
  registry.add("com.microsoft", "MatMulNBits", {1}, importMatMulNBits);
  registry.add("", "DequantizeLinear", {10, 13, 19, 21, 23, 24, 25, 28}, importDequantizeLinear);
  registry.add("", "QuantizeLinear", {10, 13, 19, 21, 23, 24, 25, 28}, importQuantizeLinear);
}
