//===- CudaPipeline.cpp - tensor-level IR -> host LLVM + GPU binary -------===//
//
// The CUDA pipeline: the same linalg-on-buffers program as the CPU's, with
// quantized linears as generated GPU kernels (qopt-generate-gpu-kernels)
// and the other linalg ops as parallel loops mapped to blocks of threads.
// Buffers move to the device (qopt-place-on-device) and into one arena
// (qopt-plan-device-memory); kernels are outlined into a gpu.module,
// lowered to NVVM and compiled by the NVPTX backend in-process, then by the
// toolkit's ptxas/fatbinary into the gpu.binary that the host module embeds
// and loads through the runtime's mgpu* functions (runtime/qopt_cuda.c).
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "PipelineStages.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/MathToFuncs/MathToFuncs.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void qopt::buildCudaLoweringPipeline(OpPassManager &pm, const CudaPipelineOptions &options) {
  // Weights of linears with many rows into the tensor-core kernel's tiles;
  // the others stay row_major for the GEMV kernel.
  if (options.generatedKernels) {
    PackWeightsOptions packing;
    packing.target = options.chip;
    pm.addPass(createPackWeights(packing));
  }
  addLinalgOnBuffersPasses(pm, /*gpuKernels=*/options.generatedKernels);
  pm.addPass(createGenerateGpuKernels());
  // Kernel functions inline into their callers: a call would end the run's
  // stream (gpu-async-region synchronizes around calls).
  pm.addPass(createInlinerPass());
  pm.addPass(createCanonicalizerPass());

  // Row reductions with a warp per output; the rest of the program:
  // parallel loops, tiled into blocks of threads.
  pm.addPass(createMapReductionsToWarps());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createMapParallelLoopsToGpu());
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToFuncs()); // math.ipowi -> a helper the kernels call
  pm.addPass(createCanonicalizerPass());

  // Device buffers in one arena per run; kernels into a gpu.module.
  PlaceOnDeviceOptions placement;
  placement.inputs = options.inputs;
  pm.addPass(createPlaceOnDevice(placement));
  pm.addPass(createPlanDeviceMemory());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createMergeGpuModules());

  // Kernels: NVVM, then PTX (in-process) and cubin/fatbin (the toolkit).
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  addLoopsToControlFlowPasses(device);
  device.addPass(createConvertNVGPUToNVVMPass());
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.useBarePtrCallConv = true;
  device.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  device.addPass(createReconcileUnrealizedCastsPass());
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = options.toolkitPath;
  binary.compilationTarget = options.format;
  pm.addPass(createGpuModuleToBinaryPass(binary));

  // Host: one stream per run, then LLVM.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  addHostToLLVMPasses(pm, /*openmp=*/false);
  GpuToLLVMConversionPassOptions host;
  host.hostBarePtrCallConv = true;
  host.kernelBarePtrCallConv = true;
  pm.addPass(createGpuToLLVMConversionPass(host));
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}
