//===- LowerToLinalg.cpp - qopt ops -> linalg on tensors ------------------===//

#include "qopt/Conversion/Passes.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/TensorOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qopt {
#define GEN_PASS_DEF_LOWERTOLINALG
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

struct LowerLinear : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp op, PatternRewriter &rewriter) const override {
    auto inputType = op.getInput().getType();
    auto resultType = op.getResult().getType();
    if (!inputType.hasStaticShape() || !resultType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    Location loc = op.getLoc();
    int64_t k = inputType.getShape().back();
    int64_t n = resultType.getShape().back();
    int64_t rows = k ? inputType.getNumElements() / k : 0;
    Type elementType = resultType.getElementType();

    Value rowsByK = buildStaticReshape(rewriter, loc, op.getInput(), {rows, k});
    auto productType = RankedTensorType::get({rows, n}, elementType);
    Value product = linalg::MatmulTransposeBOp::create(
                        rewriter, loc, TypeRange{productType}, ValueRange{rowsByK, op.getWeight()},
                        ValueRange{buildZeroFilled(rewriter, loc, productType)})
                        .getResult(0);
    if (Value bias = op.getBias()) {
      MLIRContext *context = rewriter.getContext();
      AffineMap identity = AffineMap::getMultiDimIdentityMap(2, context);
      AffineMap column = AffineMap::get(2, 0, {rewriter.getAffineDimExpr(1)}, context);
      Value init = tensor::EmptyOp::create(rewriter, loc, productType.getShape(), elementType);
      product = linalg::GenericOp::create(
                    rewriter, loc, TypeRange{productType}, ValueRange{product, bias}, ValueRange{init},
                    ArrayRef<AffineMap>{identity, column, identity},
                    ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                                  utils::IteratorType::parallel},
                    [](OpBuilder &b, Location l, ValueRange args) {
                      linalg::YieldOp::create(b, l, ValueRange{arith::AddFOp::create(b, l, args[0], args[1])});
                    })
                    .getResult(0);
    }
    rewriter.replaceOp(op, buildStaticReshape(rewriter, loc, product, resultType.getShape()));
    return success();
  }
};

struct LowerToLinalgPass : qopt::impl::LowerToLinalgBase<LowerToLinalgPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerLinear>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
