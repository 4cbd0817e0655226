//===- MapParallelLoopsToGpu.cpp - scf.parallel -> blocks of threads ------===//
//
// What `convert-linalg-to-parallel-loops` makes of a linalg op is one
// scf.parallel over its parallel dimensions (reductions are scf.for loops
// inside). Upstream's `gpu-map-parallel-loops` maps a loop's dimensions to
// grid dimensions and nested loops to threads, which for an untiled loop
// means one thread per block. Here each outermost loop becomes one linear
// dimension (innermost fastest: consecutive threads touch consecutive
// elements), tiled by the block size with upstream's tileParallelLoop, so
// that `gpu-map-parallel-loops` then maps the tile loop to blocks and the
// intra-tile loop to threads. Copies between strided buffers (what
// bufferization leaves of slices) become such loops first.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

namespace qopt {
#define GEN_PASS_DEF_MAPPARALLELLOOPSTOGPU
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// The loop's dimensions as one, [0, product of trip counts); null when a
/// bound is not constant (the loop is then tiled as it is).
scf::ParallelOp linearize(OpBuilder &b, scf::ParallelOp loop) {
  SmallVector<int64_t> lower, trips, steps;
  for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    APInt l, u, s;
    if (!matchPattern(lb, m_ConstantInt(&l)) || !matchPattern(ub, m_ConstantInt(&u)) ||
        !matchPattern(step, m_ConstantInt(&s)) || s.getSExtValue() <= 0)
      return nullptr;
    lower.push_back(l.getSExtValue());
    steps.push_back(s.getSExtValue());
    trips.push_back(std::max<int64_t>(0, (u.getSExtValue() - l.getSExtValue() + steps.back() - 1) / steps.back()));
  }
  int64_t total = 1;
  for (int64_t trip : trips)
    total *= trip;
  Location loc = loop.getLoc();
  b.setInsertionPoint(loop);
  auto linear = scf::ParallelOp::create(b, loc, ValueRange{arith::ConstantIndexOp::create(b, loc, 0)},
                                        ValueRange{arith::ConstantIndexOp::create(b, loc, total)},
                                        ValueRange{arith::ConstantIndexOp::create(b, loc, 1)});
  b.setInsertionPointToStart(linear.getBody());
  IRMapping mapping;
  Value rest = linear.getInductionVars()[0];
  for (int64_t d = static_cast<int64_t>(trips.size()) - 1; d >= 0; --d) {
    Value position = rest;
    if (d > 0) {
      Value trip = arith::ConstantIndexOp::create(b, loc, trips[d]);
      position = arith::RemUIOp::create(b, loc, rest, trip);
      rest = arith::DivUIOp::create(b, loc, rest, trip);
    }
    Value iv = position;
    if (steps[d] != 1)
      iv = arith::MulIOp::create(b, loc, iv, arith::ConstantIndexOp::create(b, loc, steps[d]));
    if (lower[d] != 0)
      iv = arith::AddIOp::create(b, loc, iv, arith::ConstantIndexOp::create(b, loc, lower[d]));
    mapping.map(loop.getInductionVars()[d], iv);
  }
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, mapping);
  loop.erase();
  return linear;
}

/// A copy between buffers of which one is strided, as a parallel loop of
/// loads and stores (dense copies stay: they become gpu.memcpy).
void copyAsParallelLoop(OpBuilder &b, memref::CopyOp copy) {
  auto sourceType = cast<MemRefType>(copy.getSource().getType());
  auto targetType = cast<MemRefType>(copy.getTarget().getType());
  if ((sourceType.getLayout().isIdentity() && targetType.getLayout().isIdentity()) ||
      !sourceType.hasStaticShape())
    return;
  Location loc = copy.getLoc();
  b.setInsertionPoint(copy);
  SmallVector<Value> lower, upper, steps;
  for (int64_t size : sourceType.getShape()) {
    lower.push_back(arith::ConstantIndexOp::create(b, loc, 0));
    upper.push_back(arith::ConstantIndexOp::create(b, loc, size));
    steps.push_back(arith::ConstantIndexOp::create(b, loc, 1));
  }
  Value source = copy.getSource(), target = copy.getTarget();
  scf::ParallelOp::create(b, loc, lower, upper, steps, [&](OpBuilder &nb, Location nl, ValueRange ivs) {
    Value value = memref::LoadOp::create(nb, nl, source, ivs);
    memref::StoreOp::create(nb, nl, value, target, ivs);
  });
  copy.erase();
}

struct MapParallelLoopsToGpuPass : qopt::impl::MapParallelLoopsToGpuBase<MapParallelLoopsToGpuPass> {
  using MapParallelLoopsToGpuBase::MapParallelLoopsToGpuBase;

  void runOnOperation() override {
    if (blockSize <= 0 || blockSize > 1024 || blockSize % 32) {
      getOperation()->emitError() << "qopt-map-parallel-loops-to-gpu: block-size must be a multiple "
                                     "of 32 in [32, 1024], not "
                                  << static_cast<int64_t>(blockSize);
      return signalPassFailure();
    }
    OpBuilder b(&getContext());
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) {
      if (!copy->getParentOfType<gpu::LaunchOp>() && !copy->getParentOfType<gpu::GPUModuleOp>())
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies)
      copyAsParallelLoop(b, copy);

    SmallVector<scf::ParallelOp> outermost;
    getOperation()->walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() && !loop->getParentOfType<gpu::LaunchOp>() &&
          !loop->getParentOfType<gpu::GPUModuleOp>() && loop.getNumResults() == 0)
        outermost.push_back(loop);
    });
    for (scf::ParallelOp loop : outermost) {
      int64_t tile = blockSize;
      if (scf::ParallelOp linear = linearize(b, loop)) {
        loop = linear;
        APInt total;
        if (matchPattern(loop.getUpperBound()[0], m_ConstantInt(&total)))
          tile = std::min<int64_t>(tile, std::max<int64_t>(32, llvm::alignTo(total.getSExtValue(), 32)));
      }
      // The innermost dimension is tiled; the others map to grid dimensions.
      SmallVector<int64_t> tiles(loop.getNumLoops(), 1);
      tiles.back() = tile;
      scf::tileParallelLoop(loop, tiles, /*noMinMaxBounds=*/true);
    }
  }
};

} // namespace
