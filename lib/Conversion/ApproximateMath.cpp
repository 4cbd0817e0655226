//===- ApproximateMath.cpp - f32 transcendental functions as polynomials --===//
//
// math.exp, math.erf, math.tanh, math.log and friends on f32 would each
// become a call of the scalar libm function in every element's loop
// iteration, which no loop vectorizer can widen: in a transformer, GELU's
// erf and softmax's exp took a quarter of the run time. Upstream MLIR's
// polynomial approximations (Cephes-style range reduction plus minimax
// polynomials, within a few ulp of libm) replace them with arithmetic, so
// the loops vectorize.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qopt {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

struct ApproximateMathPass : qopt::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    auto approximated = [](StringRef name) {
      return llvm::is_contained({math::ExpOp::getOperationName(), math::ExpM1Op::getOperationName(),
                                 math::ErfOp::getOperationName(), math::TanhOp::getOperationName(),
                                 math::LogOp::getOperationName(), math::Log1pOp::getOperationName(),
                                 math::Log2Op::getOperationName()},
                                name);
    };
    populateMathPolynomialApproximationPatterns(patterns, approximated);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
