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

} // namespace

void qopt::registerQoptDialects(mlir::DialectRegistry &registry) {
  registry.insert<QoptDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::tensor::TensorDialect,
                  mlir::tosa::TosaDialect, mlir::linalg::LinalgDialect,
                  // Code generation.
                  mlir::bufferization::BufferizationDialect, mlir::memref::MemRefDialect,
                  mlir::scf::SCFDialect, mlir::cf::ControlFlowDialect,
                  mlir::affine::AffineDialect, mlir::vector::VectorDialect,
                  mlir::ub::UBDialect, mlir::omp::OpenMPDialect, mlir::LLVM::LLVMDialect>();
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
  (void)pipelinesRegistered;
  // Upstream passes, so that any step of qopt's pipelines can be rerun alone.
  mlir::registerAllPasses();
}
