//===- MergeGpuModules.cpp - all kernels in one gpu.module ----------------===//
//
// gpu-kernel-outlining puts each kernel in a gpu.module of its own. One
// module for the program means one PTX file, one cubin/fatbin embedded and
// one module load at run time. Kernels take their old module's name (unique
// in the program); helper functions cloned into several modules are kept
// once.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace qopt {
#define GEN_PASS_DEF_MERGEGPUMODULES
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

struct MergeGpuModulesPass : qopt::impl::MergeGpuModulesBase<MergeGpuModulesPass> {
  using MergeGpuModulesBase::MergeGpuModulesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> sources(module.getOps<gpu::GPUModuleOp>());
    if (sources.empty())
      return;
    if (module.lookupSymbol(moduleName)) {
      module.emitError() << "qopt-merge-gpu-modules: the symbol @" << moduleName << " exists already";
      return signalPassFailure();
    }
    OpBuilder b(sources.front());
    auto merged = gpu::GPUModuleOp::create(b, sources.front().getLoc(), moduleName);
    SymbolTable mergedSymbols(merged);
    DenseMap<Attribute, Attribute> renamedKernels; // @module::@kernel -> @merged::@module
    MLIRContext *context = &getContext();
    for (gpu::GPUModuleOp source : sources) {
      for (Operation &op : llvm::make_early_inc_range(source.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(&op);
        if (!symbol)
          continue;
        auto kernel = dyn_cast<gpu::GPUFuncOp>(&op);
        if (kernel && kernel.isKernel()) {
          auto oldRef = SymbolRefAttr::get(source.getNameAttr(), {FlatSymbolRefAttr::get(kernel.getNameAttr())});
          kernel.setName(source.getName());
          op.moveBefore(merged.getBody(), merged.getBody()->end());
          mergedSymbols.insert(&op);
          renamedKernels[oldRef] =
              SymbolRefAttr::get(merged.getNameAttr(), {FlatSymbolRefAttr::get(context, source.getName())});
          continue;
        }
        // A helper: clones of one function carry one name.
        if (!mergedSymbols.lookup(symbol.getNameAttr())) {
          op.moveBefore(merged.getBody(), merged.getBody()->end());
          mergedSymbols.insert(&op);
        }
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      if (Attribute renamed = renamedKernels.lookup(launch.getKernel()))
        launch.setKernelAttr(cast<SymbolRefAttr>(renamed));
    });
    for (gpu::GPUModuleOp source : sources)
      source.erase();
  }
};

} // namespace
