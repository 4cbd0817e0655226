//===- ParallelizeLinalg.cpp - large linalg ops in parallel tiles ---------===//
//
// The generated kernels run on OpenMP threads; everything else the CPU
// pipeline lowers from linalg (norms, softmax, elementwise chains, im2col,
// pools, resizes, copies) would run on the calling thread alone. Each such
// op over buffers with at least 2^16 iteration points is tiled here along
// its outermost parallel dimension of extent > 1 into at most 16 tiles
// (upstream linalg tiling into an scf.parallel, OpenMP after scf-to-openmp);
// the tiles lower to sequential loops whose innermost dimension vectorizes
// as before. Smaller ops stay on the calling thread: starting the team would
// cost more than their work.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace qopt {
#define GEN_PASS_DEF_PARALLELIZELINALG
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

constexpr int64_t kMinParallelPoints = int64_t(1) << 16;
constexpr int64_t kMaxTiles = 16;

/// The tile sizes splitting `op` along its outermost parallel dimension of
/// extent > 1, or std::nullopt when `op` is small, dynamic, or starts with a
/// reduction.
std::optional<SmallVector<int64_t>> chooseTileSizes(linalg::LinalgOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t points = 1;
  for (int64_t range : ranges) {
    if (ShapedType::isDynamic(range))
      return std::nullopt;
    points *= range;
  }
  if (points < kMinParallelPoints)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (size_t d = 0; d < ranges.size(); ++d) {
    if (ranges[d] == 1)
      continue;
    if (iterators[d] != utils::IteratorType::parallel)
      return std::nullopt;
    // As many tiles as fit in kMaxTiles, of equal size where a divisor allows.
    int64_t tiles = std::min(ranges[d], kMaxTiles);
    for (int64_t t = tiles; t >= 2; --t)
      if (ranges[d] % t == 0) {
        tiles = t;
        break;
      }
    SmallVector<int64_t> sizes(ranges.size(), 0);
    sizes[d] = (ranges[d] + tiles - 1) / tiles;
    return sizes;
  }
  return std::nullopt;
}

struct ParallelizeLinalgPass : qopt::impl::ParallelizeLinalgBase<ParallelizeLinalgPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::LinalgOp, SmallVector<int64_t>>> candidates;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (!op.hasPureBufferSemantics() || op->getParentOfType<scf::ParallelOp>() ||
          op->getParentOfType<omp::ParallelOp>())
        return;
      if (std::optional<SmallVector<int64_t>> sizes = chooseTileSizes(op))
        candidates.push_back({op, *sizes});
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, sizes] : candidates) {
      rewriter.setInsertionPoint(op);
      linalg::LinalgTilingOptions options;
      options.setTileSizes(sizes).setLoopType(linalg::LinalgTilingLoopType::ParallelLoops);
      FailureOr<linalg::TiledLinalgOp> tiled = linalg::tileLinalgOp(rewriter, op, options);
      if (failed(tiled))
        continue; // not tileable: it runs as it is
      rewriter.eraseOp(op);
    }
  }
};

} // namespace
