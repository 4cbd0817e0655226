//===- MapReductionsToWarps.cpp - row reductions -> a warp per row --------===//
//
// What `convert-linalg-to-parallel-loops` makes of a reduction over the
// innermost dimension (the sums of a norm, the max and sum of a softmax) is
// a thread per output running the whole reduction alone: at M = 1 one
// thread sums a 4096-wide row. Here such a linalg.generic becomes its own
// gpu.launch with a warp per output: lane l computes the op's body for
// elements l, l + 32, ... of the row (the body cloned, the output's block
// argument carrying the lane's partial value from the combiner's identity),
// then the lanes' partials are combined by xor shuffles and lane 0 combines
// the result with the output's initial value and stores it. Coalesced: the
// lanes of a warp read consecutive elements.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "GpuKernels.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

#include <limits>

namespace qopt {
#define GEN_PASS_DEF_MAPREDUCTIONSTOWARPS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using qopt::buildWarpAllReduce;
using qopt::indexConstant;

namespace {

constexpr int64_t kWarpSize = 32;
constexpr int64_t kWarpsPerBlock = 4;

/// The combining op of a reduction body (`yield combine(f(inputs), out)`),
/// if it is one whose identity we know, else null.
Operation *getCombiner(linalg::GenericOp op) {
  Block *body = op.getBody();
  BlockArgument out = body->getArgument(op.getNumDpsInputs());
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  Operation *combiner = yield.getValues()[0].getDefiningOp();
  if (!combiner || combiner->getBlock() != body || !out.hasOneUse() || out.use_begin()->getOwner() != combiner ||
      !isa<arith::AddFOp, arith::MaximumFOp, arith::MaxNumFOp, arith::MinimumFOp, arith::MinNumFOp>(combiner))
    return nullptr;
  return combiner;
}

/// The combiner's identity: 0 for sums, -inf for maxima, +inf for minima.
Value getIdentity(OpBuilder &b, Location loc, Operation *combiner, FloatType type) {
  double value = 0.0;
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner))
    value = -std::numeric_limits<double>::infinity();
  else if (isa<arith::MinimumFOp, arith::MinNumFOp>(combiner))
    value = std::numeric_limits<double>::infinity();
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

/// Whether `op` is a reduction this pass maps: static memref operands, one
/// f32 output, every loop parallel but the last, a reduction of at least
/// `minSize` elements that the output does not index, and a known combiner.
bool isWarpReduction(linalg::GenericOp op, int64_t minSize) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1)
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.empty() || iterators.back() != utils::IteratorType::reduction ||
      llvm::count(iterators, utils::IteratorType::reduction) != 1)
    return false;
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || !type.hasStaticShape())
      return false;
  }
  auto outType = cast<MemRefType>(op.getDpsInitOperand(0)->get().getType());
  if (!outType.getElementType().isF32())
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ranges.empty() || ShapedType::isDynamic(ranges.back()) || ranges.back() < minSize)
    return false;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outMap.isFunctionOfDim(iterators.size() - 1))
    return false;
  return getCombiner(op) != nullptr;
}

/// The indices of `map` at the loop indices `ivs`.
SmallVector<Value> applyMap(OpBuilder &b, Location loc, AffineMap map, ValueRange ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults())
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), map.getNumSymbols(), expr), ivs));
  return indices;
}

void mapToWarps(linalg::GenericOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  const int64_t reduction = ranges.back();
  int64_t outputs = 1;
  for (int64_t range : ArrayRef<int64_t>(ranges).drop_back())
    outputs *= range;
  Operation *combiner = getCombiner(op);
  Value outBuffer = op.getDpsInitOperand(0)->get();
  auto elementType = cast<FloatType>(cast<MemRefType>(outBuffer.getType()).getElementType());

  Value one = indexConstant(b, loc, 1);
  Value grid = indexConstant(b, loc, (outputs + kWarpsPerBlock - 1) / kWarpsPerBlock);
  Value threads = indexConstant(b, loc, kWarpSize * kWarpsPerBlock);
  auto launch = gpu::LaunchOp::create(b, loc, grid, one, one, threads, one, one);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value thread = launch.getThreadIds().x;
  Value lane = arith::RemUIOp::create(b, loc, thread, indexConstant(b, loc, kWarpSize));
  Value warp = arith::DivUIOp::create(b, loc, thread, indexConstant(b, loc, kWarpSize));
  Value output = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, launch.getBlockIds().x, indexConstant(b, loc, kWarpsPerBlock)), warp);
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, output, indexConstant(b, loc, outputs));
  auto guard = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
  b.setInsertionPointToStart(&guard.getThenRegion().front());

  // The parallel loop indices of this warp's output, innermost fastest.
  SmallVector<Value> ivs(ranges.size());
  Value rest = output;
  for (int64_t dim = int64_t(ranges.size()) - 2; dim >= 0; --dim) {
    Value size = indexConstant(b, loc, ranges[dim]);
    ivs[dim] = dim ? arith::RemUIOp::create(b, loc, rest, size).getResult() : rest;
    if (dim)
      rest = arith::DivUIOp::create(b, loc, rest, size);
  }

  // The lane's partial value over elements lane, lane + 32, ...
  auto loop = scf::ForOp::create(b, loc, lane, indexConstant(b, loc, reduction), indexConstant(b, loc, kWarpSize),
                                 ValueRange{getIdentity(b, loc, combiner, elementType)});
  {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(loop.getBody());
    ivs.back() = loop.getInductionVar();
    Block *body = op.getBody();
    IRMapping mapping;
    for (OpOperand *input : op.getDpsInputOperands()) {
      Value argument = body->getArgument(input->getOperandNumber());
      AffineMap map = op.getMatchingIndexingMap(input);
      mapping.map(argument, memref::LoadOp::create(b, loc, input->get(), applyMap(b, loc, map, ivs)));
    }
    mapping.map(body->getArgument(op.getNumDpsInputs()), loop.getRegionIterArgs()[0]);
    for (Operation &inner : body->without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
        mapping.map(index.getResult(), ivs[index.getDim()]);
        continue;
      }
      b.clone(inner, mapping);
    }
    auto yield = cast<linalg::YieldOp>(body->getTerminator());
    scf::YieldOp::create(b, loc, mapping.lookup(yield.getValues()[0]));
  }
  ivs.back() = Value(); // the output does not index the reduction

  auto combine = [&](OpBuilder &b, Location loc, Value x, Value y) -> Value {
    OperationState state(loc, combiner->getName(), ValueRange{x, y}, TypeRange{x.getType()},
                         combiner->getAttrs());
    return b.create(state)->getResult(0);
  };
  Value total = buildWarpAllReduce(b, loc, loop.getResult(0), combine);
  Value isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, indexConstant(b, loc, 0));
  auto store = scf::IfOp::create(b, loc, isFirst, /*withElseRegion=*/false);
  b.setInsertionPointToStart(&store.getThenRegion().front());
  SmallVector<Value> parallelIvs(ivs.begin(), ivs.end() - 1);
  parallelIvs.push_back(indexConstant(b, loc, 0)); // unused by the output's map
  SmallVector<Value> outIndices =
      applyMap(b, loc, op.getMatchingIndexingMap(op.getDpsInitOperand(0)), parallelIvs);
  Value initial = memref::LoadOp::create(b, loc, outBuffer, outIndices);
  memref::StoreOp::create(b, loc, combine(b, loc, total, initial), outBuffer, outIndices);

  b.setInsertionPointToEnd(&launch.getBody().front());
  gpu::TerminatorOp::create(b, loc);
  op.erase();
}

struct MapReductionsToWarpsPass : qopt::impl::MapReductionsToWarpsBase<MapReductionsToWarpsPass> {
  using MapReductionsToWarpsBase::MapReductionsToWarpsBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> reductions;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>() && isWarpReduction(op, minSize))
        reductions.push_back(op);
    });
    for (linalg::GenericOp op : reductions)
      mapToWarps(op);
  }
};

} // namespace
