//===- GpuWarpReduce.cpp - combining a value across a warp ----------------===//

#include "GpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

using namespace mlir;

Value qopt::buildWarpAllReduce(OpBuilder &b, Location loc, Value value,
                               llvm::function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  constexpr int32_t kWarpSize = 32;
  Value width = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(kWarpSize));
  for (int32_t offset = kWarpSize / 2; offset >= 1; offset /= 2) {
    Value distance = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(offset));
    auto shuffle = gpu::ShuffleOp::create(b, loc, value, distance, width, gpu::ShuffleMode::XOR);
    value = combine(b, loc, value, shuffle.getShuffleResult());
  }
  return value;
}
