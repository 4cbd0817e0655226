//===- FillPadBorders.cpp - a padded buffer's fill reduced to its border --===//
//
// A tensor.pad bufferizes into a fill of the whole padded buffer followed
// by a copy of the source into its interior: the interior is written
// twice. In a CNN every padded convolution input is such a buffer (the
// memset was 7-10% of MobileNetV3). Here, on buffers, a fill of a whole
// statically shaped buffer that is next written by a copy into a static,
// unit-stride subview of it (nothing reading or writing the buffer in
// between: nothing but ops free of memory effects) is replaced by fills of
// the border slabs only: for each
// dimension with padding, the slab below the interior and the one above
// it (corners are filled by more than one slab).
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace qopt {
#define GEN_PASS_DEF_FILLPADBORDERS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// The value a fill of the whole `buffer` writes: linalg.fill, or the
/// linalg.map a tensor.pad bufferizes into (yielding a value from above).
Value getWholeBufferFillValue(Operation *op, Value buffer) {
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return fill.getDpsInitOperand(0)->get() == buffer ? fill.getDpsInputOperand(0)->get() : Value();
  auto map = dyn_cast<linalg::MapOp>(op);
  if (!map || map.getInputs().size() != 0 || map.getInit() != buffer)
    return Value();
  Block &body = map.getMapper().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (body.getOperations().size() != 1 || yield.getNumOperands() != 1 ||
      yield.getOperand(0).getParentRegion() == &map.getMapper())
    return Value();
  return yield.getOperand(0);
}

struct FillPadBordersPass : qopt::impl::FillPadBordersBase<FillPadBordersPass> {
  void runOnOperation() override {
    SmallVector<std::pair<Operation *, memref::SubViewOp>> fills;
    getOperation()->walk([&](memref::CopyOp copy) {
      auto interior = copy.getTarget().getDefiningOp<memref::SubViewOp>();
      if (!interior || !interior.hasUnitStride() || !interior.getSourceType().hasStaticShape() ||
          ShapedType::isDynamicShape(interior.getStaticOffsets()) ||
          ShapedType::isDynamicShape(interior.getStaticSizes()))
        return;
      Value buffer = interior.getSource();
      if (!buffer.getDefiningOp<memref::AllocOp>() ||
          interior.getSourceType().getRank() != int64_t(interior.getStaticSizes().size()))
        return;
      // The fill: an earlier op of the copy's block, with only ops free of
      // memory effects that do not use the buffer (but the interior view)
      // in between.
      for (Operation *op = copy->getPrevNode(); op; op = op->getPrevNode()) {
        if (getWholeBufferFillValue(op, buffer)) {
          fills.push_back({op, interior});
          return;
        }
        bool usesBuffer = op != interior.getOperation() &&
                          llvm::any_of(op->getOperands(), [&](Value operand) { return operand == buffer; });
        if (usesBuffer || !isMemoryEffectFree(op))
          return;
      }
    });

    IRRewriter rewriter(&getContext());
    for (auto [fill, interior] : fills) {
      Value buffer = interior.getSource();
      Value value = getWholeBufferFillValue(fill, buffer);
      ArrayRef<int64_t> shape = interior.getSourceType().getShape();
      ArrayRef<int64_t> offsets = interior.getStaticOffsets(), sizes = interior.getStaticSizes();
      rewriter.setInsertionPoint(fill);
      auto fillSlab = [&](size_t dim, int64_t start, int64_t extent) {
        if (extent <= 0)
          return;
        SmallVector<int64_t> slabOffsets(shape.size(), 0), slabSizes(shape);
        slabOffsets[dim] = start;
        slabSizes[dim] = extent;
        SmallVector<int64_t> unit(shape.size(), 1);
        Value slab = memref::SubViewOp::create(rewriter, fill->getLoc(), buffer, slabOffsets, slabSizes, unit);
        linalg::FillOp::create(rewriter, fill->getLoc(), value, slab);
      };
      for (size_t d = 0; d < shape.size(); ++d) {
        fillSlab(d, 0, offsets[d]);
        fillSlab(d, offsets[d] + sizes[d], shape[d] - offsets[d] - sizes[d]);
      }
      rewriter.eraseOp(fill);
    }
  }
};

} // namespace
