//===- ReassociateReductions.cpp - fastmath reassoc in linalg reductions --===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace qopt {
#define GEN_PASS_DEF_REASSOCIATEREDUCTIONS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

struct ReassociateReductionsPass
    : qopt::impl::ReassociateReductionsBase<ReassociateReductionsPass> {
  void runOnOperation() override {
    getOperation()->walk([](linalg::LinalgOp op) {
      if (op.getNumReductionLoops() == 0)
        return;
      op->walk([](arith::ArithFastMathInterface arithOp) {
        auto flags = arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
        arithOp->setAttr(arithOp.getFastMathAttrName(),
                         arith::FastMathFlagsAttr::get(arithOp->getContext(),
                                                       arithOp.getFastMathFlagsAttr().getValue() | flags));
      });
    });
  }
};

} // namespace
