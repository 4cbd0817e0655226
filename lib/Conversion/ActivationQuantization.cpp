//===- ActivationQuantization.cpp - Reference activation quantization -----===//

#include "ActivationQuantization.h"

#include "qopt/Quant/NumberFormat.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace qopt;

namespace {

Value f32Constant(OpBuilder &b, Location l, double v) {
  return arith::ConstantOp::create(b, l, b.getF32FloatAttr(float(v)));
}

Value i32Constant(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantIntOp::create(b, l, b.getI32Type(), v);
}

/// max |x| over the last axis (per token: rank - 1 dims kept) or over all
/// of `input` (a rank-0 tensor), as f32.
Value buildAbsMax(OpBuilder &b, Location l, Value input, bool perToken) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  MLIRContext *context = b.getContext();
  SmallVector<int64_t> kept;
  SmallVector<AffineExpr> keptExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    bool keep = perToken && d < rank - 1;
    iterators.push_back(keep ? utils::IteratorType::parallel : utils::IteratorType::reduction);
    if (keep) {
      kept.push_back(type.getDimSize(d));
      keptExprs.push_back(getAffineDimExpr(d, context));
    }
  }
  auto resultType = RankedTensorType::get(kept, b.getF32Type());
  Value empty = tensor::EmptyOp::create(b, l, kept, b.getF32Type());
  Value init = linalg::FillOp::create(b, l, f32Constant(b, l, 0.0), empty).getResult(0);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, context),
                                 AffineMap::get(rank, 0, keptExprs, context)};
  return linalg::GenericOp::create(
             b, l, TypeRange{resultType}, ValueRange{input}, ValueRange{init}, maps, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value x = args[0];
               if (x.getType() != nb.getF32Type())
                 x = arith::ExtFOp::create(nb, nl, nb.getF32Type(), x);
               Value magnitude = math::AbsFOp::create(nb, nl, x);
               linalg::YieldOp::create(nb, nl, ValueRange{arith::MaximumFOp::create(nb, nl, args[1], magnitude)});
             })
      .getResult(0);
}

/// The nearest fp8_e4m3 value of `t` (f32), half to even, saturated at 448:
/// the quantum is 2^(e - 3) for t's binade e, never below 2^-9 (subnormals).
Value roundToFp8E4M3(OpBuilder &b, Location l, Value t) {
  Value magnitude = math::AbsFOp::create(b, l, t);
  Value bits = arith::BitcastOp::create(b, l, b.getI32Type(), magnitude);
  Value exponent = arith::SubIOp::create(b, l, arith::ShRUIOp::create(b, l, bits, i32Constant(b, l, 23)),
                                         i32Constant(b, l, 127));
  exponent = arith::MaxSIOp::create(b, l, exponent, i32Constant(b, l, -6));
  Value quantumBits = arith::ShLIOp::create(
      b, l, arith::AddIOp::create(b, l, exponent, i32Constant(b, l, 127 - 3)), i32Constant(b, l, 23));
  Value quantum = arith::BitcastOp::create(b, l, b.getF32Type(), quantumBits);
  Value rounded = arith::MulFOp::create(
      b, l, math::RoundEvenOp::create(b, l, arith::DivFOp::create(b, l, magnitude, quantum)), quantum);
  rounded = arith::MinimumFOp::create(b, l, rounded, f32Constant(b, l, 448.0));
  return math::CopySignOp::create(b, l, rounded, t);
}

/// The code value of `t` on the activation format's grid.
Value roundToGrid(OpBuilder &b, Location l, Value t, const NumberFormat &format) {
  if (format.getKind() == FormatKind::Float8E4M3)
    return roundToFp8E4M3(b, l, t);
  int64_t bits = format.getCodeBits();
  Value rounded = math::RoundEvenOp::create(b, l, t);
  rounded = arith::MaximumFOp::create(b, l, rounded, f32Constant(b, l, -double(int64_t(1) << (bits - 1))));
  return arith::MinimumFOp::create(b, l, rounded, f32Constant(b, l, double((int64_t(1) << (bits - 1)) - 1)));
}

} // namespace

Value qopt::buildFakeQuantizedActivation(OpBuilder &b, Location l, Value input, ActQuantAttr scheme) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  MLIRContext *context = b.getContext();
  NumberFormat format = scheme.getFormat();
  const double maxMagnitude = format.getMaxMagnitude();
  bool perToken = scheme.getGranularity() == Granularity::per_token;

  SmallVector<Value> inputs = {input};
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, context)};
  Value staticScale;
  if (FloatAttr scale = scheme.getStaticScale()) {
    staticScale = f32Constant(b, l, scale.getValueAsDouble());
  } else {
    inputs.push_back(buildAbsMax(b, l, input, perToken));
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; perToken && d < rank - 1; ++d)
      exprs.push_back(getAffineDimExpr(d, context));
    maps.push_back(AffineMap::get(rank, 0, exprs, context));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
  Value init = tensor::EmptyOp::create(b, l, type.getShape(), type.getElementType());
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, l, TypeRange{type}, inputs, ValueRange{init}, maps, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value x = args[0];
               Type elementType = x.getType();
               if (elementType != nb.getF32Type())
                 x = arith::ExtFOp::create(nb, nl, nb.getF32Type(), x);
               Value scale = staticScale;
               if (!scale) {
                 // absmax / max magnitude; an all-zero row keeps scale 1.
                 Value absMax = args[1];
                 Value isZero = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, absMax,
                                                      f32Constant(nb, nl, 0.0));
                 scale = arith::SelectOp::create(
                     nb, nl, isZero, f32Constant(nb, nl, 1.0),
                     arith::DivFOp::create(nb, nl, absMax, f32Constant(nb, nl, maxMagnitude)));
               }
               Value code = roundToGrid(nb, nl, arith::DivFOp::create(nb, nl, x, scale), format);
               Value result = arith::MulFOp::create(nb, nl, code, scale);
               if (elementType != nb.getF32Type())
                 result = arith::TruncFOp::create(nb, nl, elementType, result);
               linalg::YieldOp::create(nb, nl, ValueRange{result});
             })
      .getResult(0);
}
