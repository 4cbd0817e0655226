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
    auto build = [](OpBuilder &b, func::FuncOp kernel, const QLinearKernelConfig &config,
                    const QLinearKernelArgs &args) {
      if (config.layout == PackedLayout::mma_sm80)
        buildGpuMmaKernel(b, kernel.getLoc(), kernel.getName(), config, args);
      else
        buildGpuQLinearKernel(b, kernel.getLoc(), kernel.getName(), config, args);
      return success();
    };
    if (failed(defineDeclaredKernels(getOperation(), {PackedLayout::row_major, PackedLayout::mma_sm80},
                                     "the CPU has (qopt-generate-cpu-kernels)", build)))
      return signalPassFailure();
  }
};

} // namespace
