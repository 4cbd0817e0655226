//===- GenerateCpuKernels.cpp - bodies of the declared CPU kernels --------===//

#include "qopt/Conversion/Passes.h"

#include "CpuKernels.h"
#include "DepthwiseConv.h"
#include "DirectConv.h"
#include "FloatGemm.h"
#include "KernelEpilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace qopt {
#define GEN_PASS_DEF_GENERATECPUKERNELS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

struct GenerateCpuKernelsPass : qopt::impl::GenerateCpuKernelsBase<GenerateCpuKernelsPass> {
  using GenerateCpuKernelsBase::GenerateCpuKernelsBase;

  void runOnOperation() override {
    std::optional<CpuIsa> parsed = CpuIsa::parse(isa);
    if (!parsed) {
      getOperation()->emitError() << "qopt-generate-cpu-kernels: unknown isa '" << isa
                                  << "' (available: avx2, avx512, avx512-vnni)";
      return signalPassFailure();
    }
    auto build = [&](OpBuilder &b, func::FuncOp kernel, const QLinearKernelConfig &config,
                     const QLinearKernelArgs &args) {
      if (config.layout == PackedLayout::panel16_dot)
        buildPanelDotKernel(b, kernel.getLoc(), config, args, *parsed);
      else
        buildPanelFloatKernel(b, kernel.getLoc(), config, args, *parsed);
      return success();
    };
    if (failed(defineDeclaredKernels(getOperation(), {PackedLayout::panel16, PackedLayout::panel16_dot},
                                     "the GPU has (qopt-generate-gpu-kernels)", build)) ||
        failed(defineGemmKernels(getOperation(), *parsed)) ||
        failed(defineDepthwiseKernels(getOperation())) ||
        failed(defineDirectConvKernels(getOperation(), *parsed)))
      return signalPassFailure();
    // Every epilogue now lives in the kernels that apply it.
    eraseEpilogueFunctions(getOperation());
  }
};

} // namespace
