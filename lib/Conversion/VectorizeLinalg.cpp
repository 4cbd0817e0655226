//===- VectorizeLinalg.cpp - elementwise linalg ops on 16-lane vectors ----===//
//
// What the CPU pipeline lowers from linalg outside the generated kernels
// (elementwise chains the kernels' epilogues did not take, the copies into
// padded buffers, broadcasts, residual adds) became scalar loops that LLVM
// did not vectorize: nests of short static rows (14, 28, 56 wide) get
// fully unrolled into scalar loads and stores before the loop vectorizer
// sees them, and a reduction over rows (a global average pool) carried its
// sum through memory. Here each linalg op over buffers whose operands
// run along its innermost loop contiguously (or not at all: broadcasts, a
// reduction's result) is
// tiled by upstream linalg tiling into rows of 16 (every other dimension
// 1), and each tile vectorized by upstream linalg vectorization with
// vector sizes [1, ..., 1, 16], the last tile of a row masked (a
// reduction's tile adds its 16 values horizontally into the result). The
// vectors' unit dimensions are then cast away and the masks folded into
// the transfers, so that what reaches the LLVM lowering is one-dimensional
// (masked) loads, stores, arithmetic and reductions on vector<16xf32>.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace qopt {
#define GEN_PASS_DEF_VECTORIZELINALG
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

constexpr int64_t kLanes = 16;
/// Rows shorter than this stay scalar: a vector would be mostly masked.
constexpr int64_t kMinRow = 8;

/// Whether `type`'s innermost dimension is contiguous (stride 1).
bool hasUnitInnerStride(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || memref.getRank() == 0)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(memref.getStridesAndOffset(strides, offset)) && strides.back() == 1;
}

/// An op over buffers with a static innermost row of at least kMinRow
/// (parallel, or a reduction: a global average pool's sum) whose every
/// operand reads or writes along that row contiguously or does not depend
/// on it (a broadcast; a reduction's result), and that upstream
/// vectorization takes.
bool isRowVectorizable(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0 || !isa<linalg::GenericOp, linalg::CopyOp>(op))
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  const unsigned inner = op.getNumLoops() - 1;
  if (ShapedType::isDynamic(ranges[inner]) || ranges[inner] < kMinRow)
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    // Whole bytes only: an i1 buffer holds a byte per element, which a
    // vector<16xi1> transfer would read as 16 packed bits.
    Type element = getElementTypeOrSelf(operand.get().getType());
    if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isFunctionOfDim(inner))
      continue;
    auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!last || last.getPosition() != inner || !hasUnitInnerStride(operand.get().getType()))
      return false;
    for (AffineExpr result : map.getResults().drop_back())
      if (result.isFunctionOfDim(inner))
        return false;
  }
  if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
    if (!generic.getBody()->getOps<linalg::IndexOp>().empty())
      return false;
  // The whole op would vectorize (its body and maps); its tiles, with
  // vector sizes, are checked again when they are vectorized.
  return succeeded(linalg::vectorizeOpPrecondition(op));
}

/// A transfer_read of a single element (a reduction's running result; a
/// scalar broadcast along the row, its map all constants): a load and a
/// broadcast, whatever its permutation map.
struct SingleElementReadToLoad : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransferReadOp read, PatternRewriter &rewriter) const override {
    VectorType type = read.getVectorType();
    bool oneElement = type.getNumElements() == 1 || read.getPermutationMap().isConstant();
    if (!oneElement || read.getMask() || !isa<MemRefType>(read.getBase().getType()))
      return failure();
    Value element = memref::LoadOp::create(rewriter, read.getLoc(), read.getBase(), read.getIndices());
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(read, type, element);
    return success();
  }
};

/// A transfer_write of a single element: an extract and a store.
struct SingleElementWriteToStore : OpRewritePattern<vector::TransferWriteOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransferWriteOp write, PatternRewriter &rewriter) const override {
    VectorType type = write.getVectorType();
    if (type.getNumElements() != 1 || write.getMask() || !isa<MemRefType>(write.getBase().getType()))
      return failure();
    SmallVector<int64_t> origin(type.getRank(), 0);
    Value element = vector::ExtractOp::create(rewriter, write.getLoc(), write.getVector(), origin);
    rewriter.replaceOpWithNewOp<memref::StoreOp>(write, element, write.getBase(), write.getIndices());
    return success();
  }
};

/// The value that leaves a reduction of `kind` over f32 unchanged, or null.
Value getNeutralElement(OpBuilder &b, Location loc, vector::CombiningKind kind, VectorType type) {
  const float infinity = std::numeric_limits<float>::infinity();
  std::optional<float> neutral;
  switch (kind) {
  case vector::CombiningKind::ADD:
    neutral = 0.0f;
    break;
  case vector::CombiningKind::MUL:
    neutral = 1.0f;
    break;
  case vector::CombiningKind::MAXIMUMF:
  case vector::CombiningKind::MAXNUMF:
    neutral = -infinity;
    break;
  case vector::CombiningKind::MINIMUMF:
  case vector::CombiningKind::MINNUMF:
    neutral = infinity;
    break;
  default:
    return Value();
  }
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, b.getF32FloatAttr(*neutral)));
}

/// A masked reduction of f32 (a row's last, partial tile): the masked-off
/// lanes replaced by the reduction's neutral element, then a plain
/// reduction, which the LLVM lowering reassociates into a tree (a masked
/// one it lowers to 16 additions in sequence).
struct MaskedReductionToSelect : OpRewritePattern<vector::MaskOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::MaskOp mask, PatternRewriter &rewriter) const override {
    auto reduction = dyn_cast_or_null<vector::ReductionOp>(mask.getMaskableOp());
    if (!reduction || mask.hasPassthru() || !reduction.getSourceVectorType().getElementType().isF32())
      return failure();
    Location loc = reduction.getLoc();
    Value neutral = getNeutralElement(rewriter, loc, reduction.getKind(), reduction.getSourceVectorType());
    if (!neutral)
      return failure();
    Value lanes = arith::SelectOp::create(rewriter, loc, mask.getMask(), reduction.getVector(), neutral);
    rewriter.replaceOpWithNewOp<vector::ReductionOp>(mask, reduction.getKind(), lanes, reduction.getAcc(),
                                                     reduction.getFastmath());
    return success();
  }
};

struct VectorizeLinalgPass : qopt::impl::VectorizeLinalgBase<VectorizeLinalgPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> candidates;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (isRowVectorizable(op))
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates) {
      const unsigned loops = op.getNumLoops();
      SmallVector<int64_t> tileSizes(loops, 1);
      tileSizes.back() = kLanes;
      linalg::LinalgTilingOptions tiling;
      tiling.setTileSizes(tileSizes);
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::TiledLinalgOp> tiled = linalg::tileLinalgOp(rewriter, op, tiling);
      if (failed(tiled))
        continue;
      rewriter.eraseOp(op);
      rewriter.setInsertionPoint(tiled->op);
      SmallVector<int64_t> vectorSizes(loops, 1);
      vectorSizes.back() = kLanes;
      SmallVector<bool> scalable(loops, false); // upstream indexes it by loop
      if (succeeded(linalg::vectorize(rewriter, tiled->op, vectorSizes, scalable)))
        rewriter.eraseOp(tiled->op);
    }

    // One-dimensional vectors and masked transfers for the LLVM lowering;
    // single elements (a reduction's result, a broadcast scalar) as scalar
    // loads and stores; masked reductions as selects and plain reductions.
    RewritePatternSet patterns(&getContext());
    patterns.add<SingleElementReadToLoad, SingleElementWriteToStore, MaskedReductionToSelect>(&getContext());
    vector::populateVectorMaskLoweringPatternsForSideEffectingOps(patterns);
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    vector::populateVectorMultiReductionLoweringPatterns(patterns, vector::VectorMultiReductionLowering::InnerReduction);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, &getContext());
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
