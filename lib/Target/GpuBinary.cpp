//===- GpuBinary.cpp - GPU code of a lowered module -----------------------===//

#include "qopt/Target/GpuBinary.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

using namespace llvm;
using namespace mlir;

bool qopt::isSupportedGpuChip(StringRef chip) { return chip == "sm_80" || chip == "sm_90"; }

Expected<std::string> qopt::getKernelAssembly(ModuleOp module) {
  std::string ptx;
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    for (mlir::Attribute attribute : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attribute);
      if (!object || object.getFormat() != gpu::CompilationTarget::Assembly)
        return createStringError("gpu.binary @" + binary.getSymName() + " holds no PTX");
      ptx += "// gpu.module @" + binary.getSymName().str() + "\n";
      ptx += object.getObject().getValue().str();
    }
  }
  if (ptx.empty())
    return createStringError("the module has no GPU kernels");
  return ptx;
}
