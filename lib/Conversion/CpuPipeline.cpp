//===- CpuPipeline.cpp - tensor-level IR -> LLVM dialect for the CPU ------===//
//
// The CPU pipeline: quantized linears over packed weights and float
// matrix products (linear, convolution, batched matmul) run generated
// vector kernels (qopt-generate-cpu-kernels); everything else is lowered
// from linalg to loops.
// Upstream passes throughout; only the qopt -> linalg step is qopt's own.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "PipelineStages.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToFuncs/MathToFuncs.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void qopt::buildCpuLoweringPipeline(OpPassManager &pm, const CpuPipelineOptions &options) {
  // Quantized weights into the kernels' layouts; the packed layers become
  // kernel calls, the rest linalg.
  // Float products to the generated GEMM.
  // Elementwise chains over one shape fused first, so that an activation
  // after a product is one op its kernel's epilogue can take.
  if (options.generatedKernels) {
    pm.addPass(createPackWeights());
    FuseElementwiseOptions chains;
    chains.sameShapeChainsOnly = true;
    pm.addPass(createFuseElementwise(chains));
    pm.addPass(createFloatKernelCalls());
  }
  addLinalgOnBuffersPasses(pm, /*gpuKernels=*/false);
  pm.addPass(createFillPadBorders());
  pm.addPass(createStridedCopiesToLoops());
  pm.addPass(createParallelizeLinalg());

  // Kernels on buffers; their scf.parallel loops run on OpenMP threads.
  GenerateCpuKernelsOptions kernels;
  kernels.isa = options.isa;
  pm.addPass(createGenerateCpuKernels(kernels));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createConvertSCFToOpenMPPass());
  pm.addPass(createInlineAllocaScopes());

  // Loops (transcendental functions as polynomials, so that they
  // vectorize; elementwise rows as 16-lane vectors), then LLVM.
  pm.addPass(createApproximateMath());
  pm.addPass(createVectorizeLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createConvertMathToFuncs()); // math.ipowi -> a helper function (scf)
  addHostToLLVMPasses(pm, /*openmp=*/true);
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void qopt::addLinalgOnBuffersPasses(OpPassManager &pm, bool gpuKernels) {
  // Fuse elementwise chains (and the broadcasts feeding them) so they run as
  // one loop nest.
  LowerToLinalgOptions lowering;
  lowering.gpuKernels = gpuKernels;
  pm.addPass(createLowerToLinalg(lowering));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createReassociateReductions());

  // Buffers: one-shot bufferization across the function boundary with
  // identity layouts, results turned into caller-provided out-parameters.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.modifyPublicFunctions = true;
  outParams.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createCanonicalizerPass());
}

void qopt::addLoopsToControlFlowPasses(OpPassManager &pm) {
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
}

void qopt::addHostToLLVMPasses(OpPassManager &pm, bool openmp) {
  addLoopsToControlFlowPasses(pm);
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // Floating-point vector reductions in any order (a tree, not 16 adds in
  // sequence), as the reductions they come from are (qopt-reassociate-reductions).
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true; // static shapes: the entry takes plain pointers
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  if (openmp)
    pm.addPass(createConvertOpenMPToLLVMPass());
}
