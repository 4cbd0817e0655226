//===- LowerToLinalg.cpp - qopt ops -> linalg on tensors ------------------===//

#include "qopt/Conversion/Passes.h"
#include "qopt/Conversion/QoptToLinalg.h"

#include "LinearProduct.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/Convolution.h"
#include "qopt/Support/TensorOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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
    if (!op.getInput().getType().hasStaticShape() || !op.getResult().getType().hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    rewriter.replaceOp(op, buildLinearProduct(rewriter, op.getLoc(), op.getInput(), op.getWeight(),
                                              op.getBias(), op.getResult().getType()));
    return success();
  }
};

struct LowerConv2D : OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Conv2DOp op, PatternRewriter &rewriter) const override {
    Value result = buildConvolution(rewriter, op.getLoc(), op.getInput(), op.getWeight(),
                                    getConvolutionGeometry(op), op.getResult().getType());
    if (Value bias = op.getBias())
      result = buildChannelBiasAdd(rewriter, op.getLoc(), result, bias);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerToLinalgPass : qopt::impl::LowerToLinalgBase<LowerToLinalgPass> {
  using LowerToLinalgBase::LowerToLinalgBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLinearToLinalgPatterns(patterns);
    populateNormToLinalgPatterns(patterns);
    populateHadamardToLinalgPatterns(patterns);
    populateQuantizedToLinalgPatterns(patterns);
    populateQLinearToKernelCallPatterns(patterns, gpuKernels);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // What is left has no lowering: say so at the op rather than fail later
    // in bufferization with a less helpful message.
    WalkResult unlowered = getOperation()->walk([](Operation *op) {
      if (!isa<LinearOp, QLinearOp, Conv2DOp, QConv2DOp, DequantizeOp, QuantizeOp, NormOp, HadamardOp, ObserveOp>(op))
        return WalkResult::advance();
      op->emitOpError("has no lowering to linalg yet (quantized activations, outliers, "
                      "non-row_major layouts, dynamic shapes and probes come with their passes)");
      return WalkResult::interrupt();
    });
    if (unlowered.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

void qopt::populateLinearToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerLinear, LowerConv2D>(patterns.getContext());
}
