//===- HadamardToLinalg.cpp - qopt.hadamard -> butterfly stages ----------===//
//
// x · (H_m ⊗ H_2^k) / sqrt(size) per block of the last dimension, in the
// index convention of qopt/Support/Hadamard.h (element a·2^k + b): the row
// is viewed as [rows, blocks, m, 2^k]; each of the k Walsh-Hadamard stages
// is one elementwise generic over [..., pairs, 2, half] that reads both
// halves of a pair (u + v into slot 0, u - v into slot 1); for m > 1 one
// contraction with the constant H_m / sqrt(size) follows, otherwise the
// last stage scales. O(size · (k + m)) work per block, no matrix of size².
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/QoptToLinalg.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/ConstantTensor.h"
#include "qopt/Support/Hadamard.h"
#include "qopt/Support/TensorOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace qopt;

namespace {

/// One butterfly stage over `x` viewed as [rows, blocks, m, pairs, 2, half].
Value buildButterflyStage(OpBuilder &builder, Location loc, Value x, ArrayRef<int64_t> view, double scale) {
  MLIRContext *context = builder.getContext();
  auto type = RankedTensorType::get(view, builder.getF32Type());
  Value viewed = buildStaticReshape(builder, loc, x, view);
  auto d = [&](unsigned i) { return getAffineDimExpr(i, context); };
  auto half = [&](int64_t slot) {
    return AffineMap::get(6, 0, {d(0), d(1), d(2), d(3), getAffineConstantExpr(slot, context), d(5)}, context);
  };
  SmallVector<AffineMap> maps = {half(0), half(1), AffineMap::getMultiDimIdentityMap(6, context)};
  SmallVector<utils::IteratorType> parallel(6, utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(builder, loc, view, builder.getF32Type());
  auto stage = linalg::GenericOp::create(
      builder, loc, type, ValueRange{viewed, viewed}, init, maps, parallel,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value slot = linalg::IndexOp::create(b, l, 4);
        Value first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, slot,
                                            arith::ConstantIndexOp::create(b, l, 0));
        Value sum = arith::AddFOp::create(b, l, args[0], args[1]);
        Value difference = arith::SubFOp::create(b, l, args[0], args[1]);
        Value result = arith::SelectOp::create(b, l, first, sum, difference);
        if (scale != 1.0)
          result = arith::MulFOp::create(b, l, result, buildScalar(b, l, b.getF32Type(), scale));
        linalg::YieldOp::create(b, l, result);
      });
  return stage.getResult(0);
}

struct LowerHadamard : OpRewritePattern<HadamardOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(HadamardOp op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getInput().getType());
    if (!type.hasStaticShape() || !type.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "needs a static f32 tensor");
    std::optional<HadamardFactors> factors = factorHadamard(op.getSize());
    if (!factors)
      return rewriter.notifyMatchFailure(op, "size has no Hadamard matrix");
    Location loc = op.getLoc();
    const int64_t size = op.getSize(), p = factors->powerOfTwo, m = factors->order;
    const int64_t blocks = type.getShape().back() / size;
    const int64_t rows = type.getNumElements() / type.getShape().back();
    const double scale = 1.0 / std::sqrt(double(size));

    Value x = op.getInput();
    for (int64_t half = 1; half < p; half *= 2) {
      bool last = 2 * half == p;
      x = buildButterflyStage(rewriter, loc, x, {rows, blocks, m, p / (2 * half), 2, half},
                              last && m == 1 ? scale : 1.0);
    }
    if (m > 1) {
      // out[r, c, a', t] = Σ_a x[r, c, a, t] · H_m[a, a'] / sqrt(size).
      std::vector<int8_t> core = buildHadamardMatrix(m);
      std::vector<float> scaled(core.size());
      for (size_t i = 0; i < core.size(); ++i)
        scaled[i] = float(core[i] * scale);
      Value matrix = createBlobConstant(rewriter, loc, RankedTensorType::get({m, m}, rewriter.getF32Type()),
                                        ArrayRef<float>(scaled), "hadamard_core");
      MLIRContext *context = getContext();
      auto d = [&](unsigned i) { return getAffineDimExpr(i, context); };
      SmallVector<AffineMap> maps = {AffineMap::get(5, 0, {d(0), d(1), d(4), d(3)}, context),
                                     AffineMap::get(5, 0, {d(4), d(2)}, context),
                                     AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, context)};
      SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
      iterators.push_back(utils::IteratorType::reduction);
      x = buildMultiplyAccumulate(rewriter, loc, {buildStaticReshape(rewriter, loc, x, {rows, blocks, m, p}), matrix},
                                  maps, iterators,
                                  RankedTensorType::get({rows, blocks, m, p}, rewriter.getF32Type()));
    }
    rewriter.replaceOp(op, buildStaticReshape(rewriter, loc, x, type.getShape()));
    return success();
  }
};

} // namespace

void qopt::populateHadamardToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerHadamard>(patterns.getContext());
}
