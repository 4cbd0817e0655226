//===- StridedCopiesToLoops.cpp - memref.copy of strided views -> loops ---===//
//
// A memref.copy between contiguous buffers lowers to memcpy; any other one
// (the interior of a padded tensor, a slice of a concatenation, a strided
// view) lowers to a call of the runtime's generic memrefCopy, which walks
// the elements one at a time through their descriptors: in a CNN that was
// most of the run time. Such copies become linalg.copy here, which the
// pipeline lowers to loops the compiler vectorizes along the innermost
// dimension.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace qopt {
#define GEN_PASS_DEF_STRIDEDCOPIESTOLOOPS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

bool isContiguous(Value buffer) {
  auto type = dyn_cast<MemRefType>(buffer.getType());
  return type && memref::isStaticShapeAndContiguousRowMajor(type);
}

struct StridedCopiesToLoopsPass : qopt::impl::StridedCopiesToLoopsBase<StridedCopiesToLoopsPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) {
      auto type = dyn_cast<MemRefType>(copy.getSource().getType());
      if (type && type.hasStaticShape() && (!isContiguous(copy.getSource()) || !isContiguous(copy.getTarget())))
        copies.push_back(copy);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(), copy.getTarget());
    }
  }
};

} // namespace
