//===- GenerateCpuKernels.cpp - bodies of the declared CPU kernels --------===//

#include "qopt/Conversion/Passes.h"

#include "CpuKernels.h"

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
    for (auto kernel : llvm::make_early_inc_range(getOperation().getOps<func::FuncOp>())) {
      if (!kernel->hasAttr(kKernelConfigAttrName) || !kernel.isExternal())
        continue;
      if (failed(generate(kernel, *parsed)))
        return signalPassFailure();
    }
  }

  LogicalResult generate(func::FuncOp kernel, const CpuIsa &isa) {
    FailureOr<QLinearKernelConfig> config = readKernelConfig(kernel);
    if (failed(config))
      return failure();
    if (config->layout != PackedLayout::panel16 && config->layout != PackedLayout::panel16_dot)
      return kernel.emitOpError("declares a ")
             << stringifyPackedLayout(config->layout)
             << " kernel, which only the GPU has (qopt-generate-gpu-kernels)";
    Block *entry = kernel.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockEnd(entry);
    Location loc = kernel.getLoc();
    QLinearKernelArgs args = getKernelArgs(*config, entry->getArguments());
    if (config->layout == PackedLayout::panel16_dot)
      buildPanelDotKernel(b, loc, *config, args, isa);
    else
      buildPanelFloatKernel(b, loc, *config, args, isa);
    func::ReturnOp::create(b, loc);
    kernel->removeAttr(kKernelConfigAttrName);
    return success();
  }
};

} // namespace
