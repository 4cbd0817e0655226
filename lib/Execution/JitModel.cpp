//===- JitModel.cpp - A model compiled in-process -------------------------===//

#include "qopt/Execution/JitModel.h"

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

using namespace qopt;

// From qopt's runtime (runtime/qopt_runtime.c), linked through QoptTarget:
// the generated code calls it for strided copies.
extern "C" void memrefCopy(int64_t elementSize, void *source, void *destination);

namespace {

constexpr const char *kOpenMPRuntime = "libomp.so.5";

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

} // namespace

JitModel::~JitModel() = default;

llvm::Expected<std::unique_ptr<JitModel>> JitModel::compile(mlir::ModuleOp module,
                                                            llvm::StringRef entryName) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto function = module.lookupSymbol<mlir::func::FuncOp>(entryName);
  if (!function)
    return makeError("no function @" + entryName + " to run");
  std::unique_ptr<JitModel> model(new JitModel());
  llvm::Expected<ModelSignature> signature = getModelSignature(function);
  if (!signature)
    return signature.takeError();
  model->signature = std::move(*signature);

  mlir::OwningOpRef<mlir::ModuleOp> lowered = module.clone();
  // The signature is read; boundary attributes mean nothing to LLVM.
  auto loweredEntry = lowered->lookupSymbol<mlir::func::FuncOp>(entryName);
  loweredEntry.setAllArgAttrs(llvm::ArrayRef<mlir::DictionaryAttr>{});
  loweredEntry.setAllResultAttrs(llvm::ArrayRef<mlir::DictionaryAttr>{});
  mlir::MLIRContext *context = module.getContext();
  context->loadDialect<mlir::LLVM::LLVMDialect>();
  CpuTargetOptions target;
  target.cpu = "native";
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machine = createCpuTargetMachine(target);
  if (!machine)
    return machine.takeError();
  mlir::PassManager pm(context);
  CpuPipelineOptions pipeline;
  pipeline.isa = getKernelIsa(**machine);
  buildCpuLoweringPipeline(pm, pipeline);
  if (mlir::failed(pm.run(*lowered)))
    return makeError("lowering the model for the JIT failed");
  auto llvmContext = std::make_unique<llvm::LLVMContext>();
  llvm::Expected<std::unique_ptr<llvm::Module>> llvmModule = translateToModelModule(
      *lowered, entryName, model->signature, *llvmContext, **machine, target.optLevel);
  if (!llvmModule)
    return llvmModule.takeError();

  llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>> jit = llvm::orc::LLJITBuilder().create();
  if (!jit)
    return jit.takeError();
  // libm and libc (expf, erff, memcpy...) from this process.
  const llvm::DataLayout &layout = (*jit)->getDataLayout();
  llvm::Expected<std::unique_ptr<llvm::orc::DynamicLibrarySearchGenerator>> process =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(layout.getGlobalPrefix());
  if (!process)
    return process.takeError();
  // The kernels' parallel loops call the OpenMP runtime (libomp-22-dev).
  std::string ompError;
  if (llvm::sys::DynamicLibrary::LoadLibraryPermanently(kOpenMPRuntime, &ompError))
    return makeError(llvm::Twine("cannot load the OpenMP runtime ") + kOpenMPRuntime + ": " + ompError);
  llvm::orc::JITDylib &library = (*jit)->getMainJITDylib();
  library.addGenerator(std::move(*process));
  llvm::orc::SymbolMap runtime;
  runtime[(*jit)->mangleAndIntern("memrefCopy")] = llvm::orc::ExecutorSymbolDef(
      llvm::orc::ExecutorAddr::fromPtr(&memrefCopy), llvm::JITSymbolFlags::Exported);
  if (llvm::Error error = library.define(llvm::orc::absoluteSymbols(std::move(runtime))))
    return std::move(error);
  (*llvmModule)->setDataLayout(layout);
  if (llvm::Error error = (*jit)->addIRModule(
          llvm::orc::ThreadSafeModule(std::move(*llvmModule), std::move(llvmContext))))
    return std::move(error);
  llvm::Expected<llvm::orc::ExecutorAddr> run = (*jit)->lookup("qopt_model_run");
  if (!run)
    return run.takeError();
  model->entry = run->toPtr<void (*)(void **)>();
  model->jit = std::move(*jit);
  return std::move(model);
}

void JitModel::run(llvm::ArrayRef<const void *> inputs, llvm::ArrayRef<void *> outputs) const {
  std::vector<void *> buffers;
  for (const void *input : inputs)
    buffers.push_back(const_cast<void *>(input));
  buffers.insert(buffers.end(), outputs.begin(), outputs.end());
  entry(buffers.data());
}

std::vector<std::vector<char>> JitModel::allocateOutputs() const {
  std::vector<std::vector<char>> outputs;
  for (const BoundaryTensor &tensor : signature.outputs)
    outputs.emplace_back(tensor.getByteSize());
  return outputs;
}
