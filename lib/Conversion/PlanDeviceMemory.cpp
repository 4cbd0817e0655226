//===- PlanDeviceMemory.cpp - a function's device buffers in one arena ----===//
//
// Offsets are assigned greedily, largest buffer first, each at the lowest
// 256-byte aligned offset that no already placed buffer with an overlapping
// lifetime occupies (the usual heuristic of static memory planners, e.g.
// TFLite's "greedy by size"). Lifetimes are intervals of op positions in
// the function's entry block.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace qopt {
#define GEN_PASS_DEF_PLANDEVICEMEMORY
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

constexpr int64_t kAlignment = 256;

struct PlannedBuffer {
  gpu::AllocOp alloc;
  int64_t bytes = 0;
  int64_t first = 0, last = 0; // positions in the entry block
  int64_t offset = -1;
  SmallVector<gpu::DeallocOp> deallocs;
};

/// The position in `block` of the op of `block` that contains `op`.
int64_t getPosition(Operation *op, Block &block, const DenseMap<Operation *, int64_t> &positions) {
  Operation *ancestor = block.findAncestorOpInBlock(*op);
  return ancestor ? positions.lookup(ancestor) : static_cast<int64_t>(positions.size());
}

/// The last position using `buffer` through any chain of views; deallocs
/// are collected instead of counted.
void collectUses(Value buffer, Block &block, const DenseMap<Operation *, int64_t> &positions,
                 PlannedBuffer &planned) {
  for (Operation *user : buffer.getUsers()) {
    if (auto dealloc = dyn_cast<gpu::DeallocOp>(user)) {
      planned.deallocs.push_back(dealloc);
      continue;
    }
    planned.last = std::max(planned.last, getPosition(user, block, positions));
    if (isa<ViewLikeOpInterface>(user) || isa<UnrealizedConversionCastOp>(user))
      for (Value result : user->getResults())
        collectUses(result, block, positions, planned);
  }
}

/// Offsets for `buffers`; returns the arena's size.
int64_t assignOffsets(MutableArrayRef<PlannedBuffer> buffers) {
  SmallVector<PlannedBuffer *> order;
  for (PlannedBuffer &buffer : buffers)
    order.push_back(&buffer);
  // Largest first; ties in program order, so that plans are deterministic.
  llvm::sort(order, [](PlannedBuffer *a, PlannedBuffer *b) {
    return a->bytes != b->bytes ? a->bytes > b->bytes : a->first < b->first;
  });
  int64_t total = 0;
  SmallVector<PlannedBuffer *> placed;
  for (PlannedBuffer *buffer : order) {
    SmallVector<PlannedBuffer *> live;
    for (PlannedBuffer *other : placed)
      if (other->first <= buffer->last && buffer->first <= other->last)
        live.push_back(other);
    llvm::sort(live, [](PlannedBuffer *a, PlannedBuffer *b) { return a->offset < b->offset; });
    int64_t offset = 0;
    for (PlannedBuffer *other : live) {
      if (offset + buffer->bytes <= other->offset)
        break;
      offset = std::max<int64_t>(offset, llvm::alignTo(other->offset + other->bytes, kAlignment));
    }
    buffer->offset = offset;
    total = std::max(total, offset + buffer->bytes);
    placed.push_back(buffer);
  }
  return static_cast<int64_t>(llvm::alignTo(total, kAlignment));
}

struct PlanDeviceMemoryPass : qopt::impl::PlanDeviceMemoryBase<PlanDeviceMemoryPass> {
  void runOnOperation() override {
    for (auto function : getOperation().getOps<func::FuncOp>())
      if (!function.isExternal() && function.getBody().hasOneBlock())
        plan(function);
  }

  void plan(func::FuncOp function) {
    Block &entry = function.getBody().front();
    DenseMap<Operation *, int64_t> positions;
    for (Operation &op : entry)
      positions[&op] = static_cast<int64_t>(positions.size());
    SmallVector<PlannedBuffer> buffers;
    for (auto alloc : entry.getOps<gpu::AllocOp>()) {
      MemRefType type = alloc.getType();
      if (alloc.getAsyncToken() || !alloc.getAsyncDependencies().empty() || alloc.getHostShared() ||
          !type.hasStaticShape() || !type.getLayout().isIdentity() || !type.getElementType().isIntOrFloat())
        continue;
      PlannedBuffer buffer;
      buffer.alloc = alloc;
      buffer.bytes = std::max<int64_t>(1, type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8));
      buffer.first = buffer.last = positions.lookup(alloc);
      collectUses(alloc.getMemref(), entry, positions, buffer);
      buffers.push_back(std::move(buffer));
    }
    if (buffers.empty())
      return;
    const int64_t total = assignOffsets(buffers);

    // The arena comes where the first buffer did, after any host work (the
    // constant uploads) before it.
    gpu::AllocOp earliest = buffers.front().alloc;
    for (PlannedBuffer &buffer : buffers)
      if (buffer.first < positions.lookup(earliest))
        earliest = buffer.alloc;
    OpBuilder b(earliest);
    Location loc = function.getLoc();
    auto arenaType = MemRefType::get({total}, b.getI8Type());
    Value arena = gpu::AllocOp::create(b, loc, arenaType, Type(), ValueRange(), ValueRange(), ValueRange(),
                                       /*hostShared=*/false)
                      .getMemref();
    for (PlannedBuffer &buffer : buffers) {
      for (gpu::DeallocOp dealloc : buffer.deallocs)
        dealloc.erase();
      OpBuilder at(buffer.alloc);
      Value offset = arith::ConstantIndexOp::create(at, buffer.alloc.getLoc(), buffer.offset);
      Value view = memref::ViewOp::create(at, buffer.alloc.getLoc(), buffer.alloc.getType(), arena, offset,
                                          ValueRange());
      buffer.alloc.getMemref().replaceAllUsesWith(view);
      buffer.alloc.erase();
    }
    for (auto ret : llvm::to_vector(entry.getOps<func::ReturnOp>())) {
      OpBuilder atReturn(ret);
      gpu::DeallocOp::create(atReturn, loc, Type(), ValueRange(), arena);
    }
    function->setAttr("qopt.device_arena_bytes", b.getI64IntegerAttr(total));
  }
};

} // namespace
