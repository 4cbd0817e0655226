//===- FuseElementwise.cpp - elementwise fusion without recomputation -----===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qopt {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// Fuse only what is computed once per producer element.
bool fusesWithoutRecomputation(OpOperand *fusedOperand) {
  Operation *producer = fusedOperand->get().getDefiningOp();
  auto consumer = dyn_cast<linalg::LinalgOp>(fusedOperand->getOwner());
  if (!producer || !producer->hasOneUse() || !consumer)
    return false;
  return consumer.getMatchingIndexingMap(fusedOperand).isPermutation();
}

/// An all-parallel linalg op whose every operand is indexed by the identity.
bool isSameShapeElementwise(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumLoops() == linalgOp.getNumParallelLoops() &&
         llvm::all_of(linalgOp.getIndexingMapsArray(), [](AffineMap map) { return map.isIdentity(); });
}

/// Fuse only chains of elementwise ops over one shape.
bool fusesSameShapeChain(OpOperand *fusedOperand) {
  return fusesWithoutRecomputation(fusedOperand) && isSameShapeElementwise(fusedOperand->getOwner()) &&
         isSameShapeElementwise(fusedOperand->get().getDefiningOp());
}

struct FuseElementwisePass : qopt::impl::FuseElementwiseBase<FuseElementwisePass> {
  using FuseElementwiseBase::FuseElementwiseBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, sameShapeChainsOnly ? linalg::ControlFusionFn(fusesSameShapeChain) : fusesWithoutRecomputation);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::EmptyOp::getCanonicalizationPatterns(patterns, context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
