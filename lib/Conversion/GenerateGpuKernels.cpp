//===- GenerateGpuKernels.cpp - bodies of the declared GPU kernels --------===//

#include "qopt/Conversion/Passes.h"

#include "GpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace qopt {
#define GEN_PASS_DEF_GENERATEGPUKERNELS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

struct GenerateGpuKernelsPass : qopt::impl::GenerateGpuKernelsBase<GenerateGpuKernelsPass> {
  void runOnOperation() override {
    for (auto kernel : llvm::make_early_inc_range(getOperation().getOps<func::FuncOp>())) {
      if (!kernel->hasAttr(kKernelConfigAttrName) || !kernel.isExternal())
        continue;
      if (failed(generate(kernel)))
        return signalPassFailure();
    }
  }

  LogicalResult generate(func::FuncOp kernel) {
    FailureOr<QLinearKernelConfig> config = readKernelConfig(kernel);
    if (failed(config))
      return failure();
    if (config->layout != PackedLayout::row_major && config->layout != PackedLayout::mma_sm80)
      return kernel.emitOpError("declares a ")
             << stringifyPackedLayout(config->layout)
             << " kernel, which only the CPU has (qopt-generate-cpu-kernels)";
    Block *entry = kernel.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockEnd(entry);
    QLinearKernelArgs args = getKernelArgs(*config, entry->getArguments());
    if (config->layout == PackedLayout::mma_sm80)
      buildGpuMmaKernel(b, kernel.getLoc(), kernel.getName(), *config, args);
    else
      buildGpuQLinearKernel(b, kernel.getLoc(), kernel.getName(), *config, args);
    func::ReturnOp::create(b, kernel.getLoc());
    kernel->removeAttr(kKernelConfigAttrName);
    return success();
  }
};

} // namespace
