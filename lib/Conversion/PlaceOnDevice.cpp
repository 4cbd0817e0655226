//===- PlaceOnDevice.cpp - a bufferized host program on device memory -----===//
//
// After the kernels are gpu.launch ops, what remains of a host function is
// buffer management and calls. This pass makes every buffer the kernels see
// a device buffer: arguments get device copies, allocations become
// gpu.alloc, constants become device copies uploaded once by the runtime,
// and any memory work left on the host runs as a one-thread kernel.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace qopt {
#define GEN_PASS_DEF_PLACEONDEVICE
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// The runtime function that returns the device copy of a constant
/// (runtime/qopt_cuda.c): uintptr_t qoptGpuConstant(uintptr_t host, uintptr_t bytes).
constexpr StringLiteral kConstantUpload = "qoptGpuConstant";

bool isIdentityStatic(MemRefType type) { return type.getLayout().isIdentity() && type.hasStaticShape(); }

int64_t getByteSize(MemRefType type) {
  return type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
}

Value createDeviceAlloc(OpBuilder &b, Location loc, MemRefType type) {
  return gpu::AllocOp::create(b, loc, type, /*asyncToken=*/Type(), /*asyncDependencies=*/ValueRange(),
                              /*dynamicSizes=*/ValueRange(), /*symbolOperands=*/ValueRange(),
                              /*hostShared=*/false)
      .getMemref();
}

void createCopy(OpBuilder &b, Location loc, Value target, Value source) {
  gpu::MemcpyOp::create(b, loc, /*asyncToken=*/Type(), ValueRange(), target, source);
}

/// Whether `op` may stay on the host: it touches no memory, or it is GPU
/// work, a call, or pointer plumbing.
bool mayStayOnHost(Operation *op) {
  if (isa<gpu::GPUDialect>(op->getDialect()) || isa<LLVM::LLVMDialect>(op->getDialect()))
    return true;
  if (isa<func::CallOp, func::ReturnOp, UnrealizedConversionCastOp, ViewLikeOpInterface,
          memref::ExtractAlignedPointerAsIndexOp, memref::GetGlobalOp>(op))
    return true;
  return isMemoryEffectFree(op);
}

struct PlaceOnDevicePass : qopt::impl::PlaceOnDeviceBase<PlaceOnDevicePass> {
  using PlaceOnDeviceBase::PlaceOnDeviceBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto function : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      if (function.isExternal())
        continue;
      if (function.isPublic() && failed(placeArguments(function)))
        return signalPassFailure();
      if (failed(placeBuffers(function)) || failed(wrapHostMemoryWork(function)))
        return signalPassFailure();
    }
    // Constants (and arithmetic on them) that kernels use are recomputed
    // inside them rather than passed as kernel arguments.
    WalkResult sunk = module.walk([](gpu::LaunchOp launch) {
      return failed(sinkOperationsIntoLaunchOp(launch, isRecomputable)) ? WalkResult::interrupt()
                                                                         : WalkResult::advance();
    });
    if (sunk.wasInterrupted())
      return signalPassFailure();
  }

  static bool isRecomputable(Operation *op) {
    if (op->hasTrait<OpTrait::ConstantLike>())
      return true;
    return isPure(op) && op->getNumRegions() == 0 &&
           isa<arith::ArithDialect, vector::VectorDialect>(op->getDialect());
  }

  /// Device copies of the memref arguments: inputs copied in at entry,
  /// outputs copied out before each return.
  LogicalResult placeArguments(func::FuncOp function) {
    Block &entry = function.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    SmallVector<func::ReturnOp> returns(function.getOps<func::ReturnOp>());
    for (BlockArgument argument : entry.getArguments()) {
      auto type = dyn_cast<MemRefType>(argument.getType());
      if (!type)
        continue;
      if (!isIdentityStatic(type))
        return function.emitOpError("argument #")
               << argument.getArgNumber() << " needs a static shape and identity layout on the GPU";
      Location loc = argument.getLoc();
      Value device = createDeviceAlloc(b, loc, type);
      argument.replaceAllUsesWith(device);
      const bool isInput = inputs < 0 || argument.getArgNumber() < inputs;
      const bool isOutput = inputs < 0 || argument.getArgNumber() >= inputs;
      if (isInput)
        createCopy(b, loc, device, argument);
      for (func::ReturnOp ret : returns) {
        OpBuilder atReturn(ret);
        if (isOutput)
          createCopy(atReturn, loc, argument, device);
        gpu::DeallocOp::create(atReturn, loc, /*asyncToken=*/Type(), ValueRange(), device);
      }
    }
    return success();
  }

  /// memref.alloc/dealloc/copy/get_global outside kernels -> GPU forms.
  LogicalResult placeBuffers(func::FuncOp function) {
    SmallVector<Operation *> ops;
    function.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (isa<memref::AllocOp, memref::DeallocOp, memref::CopyOp, memref::GetGlobalOp>(op))
        ops.push_back(op);
      return WalkResult::advance();
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (!alloc.getDynamicSizes().empty() || !alloc.getType().getLayout().isIdentity())
          return alloc.emitOpError("needs a static shape and identity layout on the GPU");
        alloc.replaceAllUsesWith(createDeviceAlloc(b, loc, alloc.getType()));
        alloc.erase();
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        gpu::DeallocOp::create(b, loc, /*asyncToken=*/Type(), ValueRange(), dealloc.getMemref());
        dealloc.erase();
      } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        auto sourceType = cast<MemRefType>(copy.getSource().getType());
        auto targetType = cast<MemRefType>(copy.getTarget().getType());
        if (!isIdentityStatic(sourceType) || !isIdentityStatic(targetType))
          continue; // strided: copied by a one-thread kernel (wrapHostMemoryWork)
        createCopy(b, loc, copy.getTarget(), copy.getSource());
        copy.erase();
      } else if (auto global = dyn_cast<memref::GetGlobalOp>(op)) {
        if (failed(placeConstant(b, global)))
          return failure();
      }
    }
    return success();
  }

  /// A constant's device copy, as a memref over the pointer the runtime
  /// returns (built in the LLVM dialect: no memref op makes a memref from a
  /// pointer).
  LogicalResult placeConstant(OpBuilder &b, memref::GetGlobalOp global) {
    auto type = global.getType();
    if (!isIdentityStatic(type))
      return global.emitOpError("needs a static shape and identity layout on the GPU");
    Location loc = global.getLoc();
    auto module = getOperation();
    auto i64 = b.getI64Type();
    if (!module.lookupSymbol(kConstantUpload)) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(module.getBody());
      func::FuncOp::create(b, module.getLoc(), kConstantUpload, b.getFunctionType({i64, i64}, {i64}))
          .setPrivate();
    }
    // Uploads first in the function: a call inside the run's GPU work would
    // split its stream (gpu-async-region synchronizes around calls).
    if (Block *block = global->getBlock(); block->isEntryBlock())
      global->moveBefore(block, block->begin());
    b.setInsertionPointAfter(global);
    Value host = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, global);
    Value hostAddress = arith::IndexCastOp::create(b, loc, i64, host);
    Value bytes = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(getByteSize(type)));
    Value device = func::CallOp::create(b, loc, kConstantUpload, TypeRange{i64}, ValueRange{hostAddress, bytes})
                       .getResult(0);
    Value pointer = LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()), device);
    LLVMTypeConverter converter(b.getContext());
    Value descriptor = MemRefDescriptor::fromStaticShape(b, loc, converter, type, pointer);
    Value memref = UnrealizedConversionCastOp::create(b, loc, TypeRange{type}, ValueRange{descriptor})
                       .getResult(0);
    global.getResult().replaceAllUsesExcept(memref, host.getDefiningOp());
    return success();
  }

  /// Host ops that still read or write memory run as one-thread kernels.
  LogicalResult wrapHostMemoryWork(func::FuncOp function) {
    for (Block &block : function.getBody()) {
      for (Operation &op : llvm::make_early_inc_range(block)) {
        if (mayStayOnHost(&op))
          continue;
        if (!op.use_empty())
          return op.emitOpError("reads or writes memory on the host and its results are used there; "
                                "it cannot run as a GPU kernel");
        OpBuilder b(&op);
        Location loc = op.getLoc();
        Value one = arith::ConstantIndexOp::create(b, loc, 1);
        auto launch = gpu::LaunchOp::create(b, loc, one, one, one, one, one, one);
        Block &body = launch.getBody().front();
        OpBuilder inside = OpBuilder::atBlockEnd(&body);
        gpu::TerminatorOp::create(inside, loc);
        op.moveBefore(body.getTerminator());
      }
    }
    return success();
  }
};

} // namespace
