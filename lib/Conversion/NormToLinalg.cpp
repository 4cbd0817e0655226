//===- NormToLinalg.cpp - qopt.norm -> reductions and elementwise generics ===//
//
// The forms ONNX Runtime computes: RMSNorm y = x * rsqrt(Σx²/n + eps) * γ
// (+ β); LayerNorm centers first and takes the variance of x - mean. The
// per-row factor is a [..., 1] value, so rsqrt runs once per row.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/QoptToLinalg.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/TensorOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace qopt;

namespace {

/// The maps of a rank-`rank` iteration over x: x itself, a [..., 1] row
/// value, a channel vector.
struct NormMaps {
  AffineMap full, row, channel;

  NormMaps(MLIRContext *context, unsigned rank) {
    full = AffineMap::getMultiDimIdentityMap(rank, context);
    SmallVector<AffineExpr> rowResults;
    for (unsigned d = 0; d + 1 < rank; ++d)
      rowResults.push_back(getAffineDimExpr(d, context));
    rowResults.push_back(getAffineConstantExpr(0, context));
    row = AffineMap::get(rank, 0, rowResults, context);
    channel = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, context));
  }
};

using BodyBuilder = function_ref<Value(OpBuilder &, Location, ValueRange)>;

Value buildGeneric(OpBuilder &builder, Location loc, ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                   Value init, AffineMap initMap, ArrayRef<utils::IteratorType> iterators, BodyBuilder body) {
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(initMap);
  auto op = linalg::GenericOp::create(
      builder, loc, init.getType(), inputs, init, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(nested, nestedLoc, body(nested, nestedLoc, args));
      });
  return op.getResult(0);
}

struct LowerNorm : OpRewritePattern<NormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(NormOp op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getInput().getType());
    if (!type.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shape");
    Location loc = op.getLoc();
    unsigned rank = unsigned(type.getRank());
    NormMaps maps(getContext(), rank);
    Type elementType = type.getElementType();
    SmallVector<int64_t> rowShape(type.getShape());
    rowShape.back() = 1;
    auto rowType = RankedTensorType::get(rowShape, elementType);
    SmallVector<utils::IteratorType> parallel(rank, utils::IteratorType::parallel);
    SmallVector<utils::IteratorType> reduceLast(parallel);
    reduceLast.back() = utils::IteratorType::reduction;
    Value inverseCount = buildScalar(rewriter, loc, elementType, 1.0 / double(type.getShape().back()));
    Value epsilon = buildScalar(rewriter, loc, elementType, op.getEpsilon().convertToDouble());

    // Σ f(x) over the last dimension, times 1/n.
    auto rowMean = [&](Value x, bool square) {
      Value sum = buildGeneric(rewriter, loc, x, maps.full, buildZeroFilled(rewriter, loc, rowType), maps.row,
                               reduceLast, [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                                 Value term = square ? arith::MulFOp::create(b, l, args[0], args[0]) : args[0];
                                 return arith::AddFOp::create(b, l, args[1], term);
                               });
      return sum;
    };
    Value x = op.getInput();
    if (op.getKind() == NormKind::layer) {
      Value sum = rowMean(x, false);
      x = buildGeneric(rewriter, loc, {x, sum}, {maps.full, maps.row},
                       tensor::EmptyOp::create(rewriter, loc, type.getShape(), elementType), maps.full, parallel,
                       [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                         return arith::SubFOp::create(b, l, args[0],
                                                      arith::MulFOp::create(b, l, args[1], inverseCount));
                       });
    }
    Value squares = rowMean(x, true);
    Value factor = buildGeneric(rewriter, loc, squares, maps.full, tensor::EmptyOp::create(rewriter, loc, rowShape, elementType),
                                maps.full, parallel, [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                                  Value mean = arith::MulFOp::create(b, l, args[0], inverseCount);
                                  return math::RsqrtOp::create(b, l, arith::AddFOp::create(b, l, mean, epsilon));
                                });
    SmallVector<Value> inputs = {x, factor, op.getGamma()};
    SmallVector<AffineMap> inputMaps = {maps.full, maps.row, maps.channel};
    if (Value beta = op.getBeta()) {
      inputs.push_back(beta);
      inputMaps.push_back(maps.channel);
    }
    Value result = buildGeneric(rewriter, loc, inputs, inputMaps,
                                tensor::EmptyOp::create(rewriter, loc, type.getShape(), elementType), maps.full,
                                parallel, [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                                  Value normalized = arith::MulFOp::create(b, l, args[0], args[1]);
                                  Value scaled = arith::MulFOp::create(b, l, normalized, args[2]);
                                  return args.size() > 4 ? arith::AddFOp::create(b, l, scaled, args[3]) : scaled;
                                });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void qopt::populateNormToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerNorm>(patterns.getContext());
}
