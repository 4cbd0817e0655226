//===- PipelineStages.h - Stages shared by the CPU and CUDA pipelines -----===//

#ifndef QOPT_LIB_CONVERSION_PIPELINESTAGES_H
#define QOPT_LIB_CONVERSION_PIPELINESTAGES_H

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace qopt {

/// qopt -> linalg (quantized linears the kernels cover -> kernel calls; GPU
/// kernels with `gpuKernels`), elementwise fusion, then one-shot
/// bufferization with results as out-parameters and buffer deallocation.
void addLinalgOnBuffersPasses(mlir::OpPassManager &pm, bool gpuKernels);

/// Affine, scf and strided memref metadata -> arith/cf/memref: what the
/// conversions to LLVM (host) and NVVM (kernels) start from.
void addLoopsToControlFlowPasses(mlir::OpPassManager &pm);

/// Host code (scf, memref, arith, math, vector, func, [omp]) -> the LLVM
/// dialect; functions take bare pointers. Unrealized casts are left for the
/// caller to reconcile.
void addHostToLLVMPasses(mlir::OpPassManager &pm, bool openmp);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_PIPELINESTAGES_H
