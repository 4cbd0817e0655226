//===- GpuBinary.h - GPU code of a lowered module ---------------*- C++ -*-===//
//
// The CUDA pipeline leaves the kernels in gpu.binary ops (#gpu.object
// attributes holding PTX, a cubin or a fatbin); the host module embeds them
// when translated to LLVM IR.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TARGET_GPUBINARY_H
#define QOPT_TARGET_GPUBINARY_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace qopt {

/// The GPU architectures qopt compiles for: "sm_80" (Ampere) and "sm_90"
/// (Hopper).
bool isSupportedGpuChip(llvm::StringRef chip);

/// The PTX of every gpu.binary in `module` (compiled with format "isa"),
/// each kernel module headed by a comment naming it.
llvm::Expected<std::string> getKernelAssembly(mlir::ModuleOp module);

} // namespace qopt

#endif // QOPT_TARGET_GPUBINARY_H
