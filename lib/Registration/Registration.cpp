//===- Registration.cpp - What qopt's tools register ----------------------===//

#include "qopt/Registration/Registration.h"

#include "qopt/Conversion/Passes.h"
#include "qopt/Dialect/QoptDialect.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"

namespace {

struct CpuPipelineCommandLine : mlir::PassPipelineOptions<CpuPipelineCommandLine> {
  Option<std::string> isa{*this, "isa",
                          llvm::cl::desc("Kernel instruction set: avx2, avx512 or avx512-vnni"),
                          llvm::cl::init("avx2")};
  Option<bool> generatedKernels{*this, "generated-kernels",
                                llvm::cl::desc("Pack quantized weights for the generated kernels "
                                               "(false: reference lowering)"),
                                llvm::cl::init(true)};
};

struct CudaPipelineCommandLine : mlir::PassPipelineOptions<CudaPipelineCommandLine> {
  Option<std::string> chip{*this, "chip", llvm::cl::desc("GPU architecture: sm_80 or sm_90"),
                           llvm::cl::init("sm_80")};
  Option<std::string> format{*this, "format",
                             llvm::cl::desc("Kernel binary: fatbin, bin (cubin) or isa (PTX)"),
                             llvm::cl::init("isa")};
  Option<int64_t> inputs{*this, "inputs",
                         llvm::cl::desc("Leading entry arguments that are inputs (-1: all both ways)"),
                         llvm::cl::init(-1)};
  Option<bool> generatedKernels{*this, "generated-kernels",
                                llvm::cl::desc("Quantized linears through the generated GPU kernels"),
                                llvm::cl::init(true)};
};
} // namespace

void qopt::registerQoptDialects(mlir::DialectRegistry &registry) {
  registry.insert<QoptDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::tensor::TensorDialect,
                  mlir::tosa::TosaDialect, mlir::linalg::LinalgDialect,
                  // Code generation.
                  mlir::bufferization::BufferizationDialect, mlir::memref::MemRefDialect,
                  mlir::scf::SCFDialect, mlir::cf::ControlFlowDialect,
                  mlir::affine::AffineDialect, mlir::vector::VectorDialect,
                  mlir::ub::UBDialect, mlir::omp::OpenMPDialect, mlir::LLVM::LLVMDialect,
                  mlir::gpu::GPUDialect, mlir::nvgpu::NVGPUDialect, mlir::NVVM::NVVMDialect>();
  // The conversions to LLVM that convert-gpu-to-nvvm finds through
  // interfaces, and what gpu-module-to-binary needs to compile kernels.
  mlir::registerAllExtensions(registry);
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerNVVMDialectTranslation(registry);
  mlir::registerGPUDialectTranslation(registry);
  mlir::gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry); // #gpu.select_object
  // What one-shot bufferization and buffer deallocation need of these ops.
  mlir::arith::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
  mlir::bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::cf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  mlir::linalg::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::memref::registerAllocationOpInterfaceExternalModels(registry);
  mlir::scf::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  mlir::tensor::registerBufferizableOpInterfaceExternalModels(registry);
}

void qopt::registerAllQoptPasses() {
  registerQoptPasses();
  registerQoptConversionPasses();
  static bool pipelinesRegistered = [] {
    mlir::PassPipelineRegistration<CpuPipelineCommandLine>(
        "qopt-cpu-pipeline", "The whole CPU lowering of qopt compile, to the LLVM dialect",
        [](mlir::OpPassManager &pm, const CpuPipelineCommandLine &options) {
          qopt::CpuPipelineOptions cpu;
          cpu.isa = options.isa;
          cpu.generatedKernels = options.generatedKernels;
          qopt::buildCpuLoweringPipeline(pm, cpu);
        });
    return true;
  }();
  static bool cudaPipelineRegistered = [] {
    mlir::PassPipelineRegistration<CudaPipelineCommandLine>(
        "qopt-cuda-pipeline", "The whole CUDA lowering of qopt compile --target cuda, to the LLVM dialect",
        [](mlir::OpPassManager &pm, const CudaPipelineCommandLine &options) {
          qopt::CudaPipelineOptions cuda;
          cuda.chip = options.chip;
          cuda.format = options.format;
          cuda.inputs = options.inputs;
          cuda.generatedKernels = options.generatedKernels;
          qopt::buildCudaLoweringPipeline(pm, cuda);
        });
    return true;
  }();
  (void)pipelinesRegistered;
  (void)cudaPipelineRegistered;
  // Upstream passes, so that any step of qopt's pipelines can be rerun alone.
  mlir::registerAllPasses();
}
