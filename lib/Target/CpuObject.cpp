//===- CpuObject.cpp - LLVM dialect -> object file for the CPU ------------===//

#include "qopt/Target/CpuObject.h"

#include "qopt_runtime.h" // qopt_element_size

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Transforms/IPO/ConstantMerge.h"
#include "llvm/Transforms/IPO/GlobalDCE.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace qopt;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// ONNX TensorProto.DataType numbers of the element types the runtime knows.
static int getRuntimeElementType(mlir::Type type) {
  if (type.isF32())
    return 1;
  if (type.isF64())
    return 11;
  if (type.isF16())
    return 10;
  if (type.isBF16())
    return 16;
  if (type.isInteger(64))
    return 7;
  if (type.isInteger(32))
    return 6;
  if (type.isInteger(16))
    return 5;
  if (type.isInteger(8))
    return 3;
  if (type.isInteger(1))
    return 9;
  return 0;
}

int64_t BoundaryTensor::getNumElements() const {
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  return count;
}

size_t BoundaryTensor::getByteSize() const {
  return size_t(getNumElements()) * qopt_element_size(elementType);
}

llvm::Expected<ModelSignature> qopt::getModelSignature(mlir::func::FuncOp function) {
  ModelSignature signature;
  auto describe = [&](mlir::Type type, mlir::StringAttr name, mlir::IntegerAttr onnxType,
                      std::string fallback, llvm::SmallVector<BoundaryTensor> &list) -> llvm::Error {
    auto tensor = mlir::dyn_cast<mlir::RankedTensorType>(type);
    if (!tensor || !tensor.hasStaticShape())
      return makeError("'" + fallback + "' of @" + function.getName() +
                       " is not a statically shaped tensor");
    // The importer records the ONNX type, which knows signedness.
    int elementType = onnxType ? int(onnxType.getInt()) : getRuntimeElementType(tensor.getElementType());
    if (!elementType)
      return makeError("'" + fallback + "' has element type the runtime does not support");
    list.push_back({name ? name.str() : fallback, elementType,
                    llvm::SmallVector<int64_t>(tensor.getShape())});
    return llvm::Error::success();
  };
  for (unsigned i = 0; i < function.getNumArguments(); ++i)
    if (llvm::Error error =
            describe(function.getArgumentTypes()[i],
                     function.getArgAttrOfType<mlir::StringAttr>(i, "onnx.name"),
                     function.getArgAttrOfType<mlir::IntegerAttr>(i, "onnx.element_type"),
                     "in" + std::to_string(i), signature.inputs))
      return std::move(error);
  for (unsigned i = 0; i < function.getNumResults(); ++i)
    if (llvm::Error error =
            describe(function.getResultTypes()[i],
                     function.getResultAttrOfType<mlir::StringAttr>(i, "onnx.name"),
                     function.getResultAttrOfType<mlir::IntegerAttr>(i, "onnx.element_type"),
                     "out" + std::to_string(i), signature.outputs))
      return std::move(error);
  return signature;
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
qopt::createCpuTargetMachine(const CpuTargetOptions &options) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple("x86_64-unknown-linux-gnu");
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError("no x86-64 target in this LLVM: " + error);
  std::string cpu = options.cpu, features = options.features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures hostFeatures;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      hostFeatures.AddFeature(feature.first(), feature.second);
    features = hostFeatures.getString() + (features.empty() ? "" : "," + features);
  }
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      options.optLevel >= 3 ? llvm::CodeGenOptLevel::Aggressive : llvm::CodeGenOptLevel::Default));
  if (!machine)
    return makeError("cannot create a target machine for CPU '" + cpu + "'");
  if (!machine->getMCSubtargetInfo()->isCPUStringValid(cpu))
    return makeError("unknown CPU '" + cpu + "' (try x86-64-v3, x86-64-v4, znver4 or native)");
  return std::move(machine);
}

std::string qopt::getKernelIsa(const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  if (!subtarget->checkFeatures("+avx512f,+avx512bw,+avx512dq,+avx512vl"))
    return "avx2";
  return subtarget->checkFeatures("+avx512vnni") ? "avx512-vnni" : "avx512";
}

/// A private constant global holding `value`.
static llvm::GlobalVariable *addConstantGlobal(llvm::Module &module, llvm::Constant *value,
                                               const llvm::Twine &name) {
  return new llvm::GlobalVariable(module, value->getType(), /*isConstant=*/true,
                                  llvm::GlobalValue::PrivateLinkage, value, name);
}

/// `const qopt_tensor_info[]` for `tensors` (see runtime/qopt_runtime.h).
static llvm::Constant *buildTensorInfos(llvm::Module &module, llvm::StructType *infoType,
                                        llvm::ArrayRef<BoundaryTensor> tensors,
                                        llvm::StringRef prefix) {
  llvm::LLVMContext &context = module.getContext();
  llvm::IRBuilder<> builder(context);
  std::vector<llvm::Constant *> infos;
  for (auto [i, tensor] : llvm::enumerate(tensors)) {
    llvm::Constant *name = builder.CreateGlobalString(tensor.name, prefix + ".name" + llvm::Twine(i),
                                                      0, &module);
    std::vector<uint64_t> dims(tensor.shape.begin(), tensor.shape.end());
    llvm::Constant *shape =
        addConstantGlobal(module, llvm::ConstantDataArray::get(context, llvm::ArrayRef<uint64_t>(dims)),
                          prefix + ".shape" + llvm::Twine(i));
    infos.push_back(llvm::ConstantStruct::get(
        infoType, {name, builder.getInt32(tensor.elementType),
                   builder.getInt32(int32_t(tensor.shape.size())), shape}));
  }
  auto *arrayType = llvm::ArrayType::get(infoType, infos.size());
  return addConstantGlobal(module, llvm::ConstantArray::get(arrayType, infos), prefix);
}

static void addRuntimeInterface(llvm::Module &module, llvm::Function *entry,
                                const ModelSignature &signature) {
  llvm::LLVMContext &context = module.getContext();
  llvm::IRBuilder<> builder(context);
  llvm::PointerType *ptr = builder.getPtrTy();

  // void qopt_model_run(void **buffers): inputs, then outputs.
  auto *runType = llvm::FunctionType::get(builder.getVoidTy(), {ptr}, false);
  auto *run = llvm::Function::Create(runType, llvm::GlobalValue::ExternalLinkage,
                                     "qopt_model_run", module);
  builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", run));
  std::vector<llvm::Value *> arguments;
  for (unsigned i = 0; i < entry->arg_size(); ++i)
    arguments.push_back(builder.CreateLoad(
        ptr, builder.CreateConstInBoundsGEP1_64(ptr, run->getArg(0), i), "buffer" + llvm::Twine(i)));
  builder.CreateCall(entry, arguments);
  builder.CreateRetVoid();

  // const qopt_model_info qopt_model.
  auto *infoType = llvm::StructType::create(context, {ptr, builder.getInt32Ty(), builder.getInt32Ty(), ptr},
                                            "qopt_tensor_info");
  auto *modelType = llvm::StructType::create(
      context, {builder.getInt32Ty(), builder.getInt32Ty(), ptr, ptr}, "qopt_model_info");
  llvm::Constant *model = llvm::ConstantStruct::get(
      modelType, {builder.getInt32(int32_t(signature.inputs.size())),
                  builder.getInt32(int32_t(signature.outputs.size())),
                  buildTensorInfos(module, infoType, signature.inputs, "qopt_model.inputs"),
                  buildTensorInfos(module, infoType, signature.outputs, "qopt_model.outputs")});
  new llvm::GlobalVariable(module, modelType, /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, model, "qopt_model");
}

static void optimize(llvm::Module &module, llvm::TargetMachine &machine, unsigned optLevel) {
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(&machine);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  llvm::OptimizationLevel level = optLevel >= 3   ? llvm::OptimizationLevel::O3
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                                  : llvm::OptimizationLevel::O0;
  llvm::ModulePassManager passes = level == llvm::OptimizationLevel::O0
                                       ? builder.buildO0DefaultPipeline(level)
                                       : builder.buildPerModuleDefaultPipeline(level);
  passes.run(module, modules);
}

llvm::Expected<std::unique_ptr<llvm::Module>>
qopt::translateToModelModule(mlir::ModuleOp module, llvm::StringRef entryName,
                             const ModelSignature &signature, llvm::LLVMContext &context,
                             llvm::TargetMachine &machine, unsigned optLevel) {
  mlir::registerBuiltinDialectTranslation(*module->getContext());
  mlir::registerLLVMDialectTranslation(*module->getContext());
  mlir::registerOpenMPDialectTranslation(*module->getContext());
  mlir::registerGPUDialectTranslation(*module->getContext()); // gpu.binary: embedded kernels
  std::unique_ptr<llvm::Module> llvmModule = mlir::translateModuleToLLVMIR(module, context, "qopt_model");
  if (!llvmModule)
    return makeError("translation to LLVM IR failed");
  llvmModule->setTargetTriple(machine.getTargetTriple());
  llvmModule->setDataLayout(machine.createDataLayout());

  llvm::Function *entry = llvmModule->getFunction(entryName);
  if (!entry)
    return makeError("the lowered module has no entry function '" + entryName + "'");
  size_t expected = signature.inputs.size() + signature.outputs.size();
  if (entry->arg_size() != expected ||
      llvm::any_of(entry->args(), [](llvm::Argument &a) { return !a.getType()->isPointerTy(); }))
    return makeError("entry '" + entryName + "' does not take " + llvm::Twine(expected) +
                     " buffer pointers (inputs, then outputs)");
  // The entry's own name would clash with C's main(); only the wrapper is public.
  entry->setName("qopt_model_forward");
  entry->setLinkage(llvm::GlobalValue::InternalLinkage);
  addRuntimeInterface(*llvmModule, entry, signature);

  std::string message;
  llvm::raw_string_ostream os(message);
  if (llvm::verifyModule(*llvmModule, &os))
    return makeError("internal error: invalid LLVM IR: " + message);
  optimize(*llvmModule, machine, optLevel);
  return std::move(llvmModule);
}

/// Renames qopt_model[_run] to qopt_<name>_model[_run] and internalizes
/// every other definition.
static void renameModelInterface(llvm::Module &module, llvm::StringRef name) {
  for (llvm::GlobalValue &value : module.global_values()) {
    if (value.isDeclaration() || value.hasLocalLinkage())
      continue;
    if (value.getName() == "qopt_model" || value.getName() == "qopt_model_run")
      value.setName("qopt_" + name + value.getName().drop_front(4));
    else
      value.setLinkage(llvm::GlobalValue::InternalLinkage);
  }
  // Constant data whose address nothing compares: mergeable across modules.
  for (llvm::GlobalVariable &global : module.globals())
    if (global.isConstant() && global.hasLocalLinkage() && global.hasInitializer())
      global.setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
}

llvm::Expected<std::unique_ptr<llvm::Module>> qopt::linkModelModules(std::vector<NamedModelModule> modules) {
  if (modules.empty())
    return makeError("no modules to link");
  for (NamedModelModule &named : modules)
    renameModelInterface(*named.module, named.name);
  std::unique_ptr<llvm::Module> linked = std::move(modules.front().module);
  llvm::Linker linker(*linked);
  for (size_t i = 1; i < modules.size(); ++i)
    if (linker.linkInModule(std::move(modules[i].module)))
      return makeError("linking the " + modules[i].name + " step into the model failed");
  llvm::ModuleAnalysisManager analyses;
  llvm::PassBuilder builder;
  builder.registerModuleAnalyses(analyses);
  llvm::ModulePassManager passes;
  passes.addPass(llvm::ConstantMergePass());
  passes.addPass(llvm::GlobalDCEPass());
  passes.run(*linked, analyses);
  std::string message;
  llvm::raw_string_ostream os(message);
  if (llvm::verifyModule(*linked, &os))
    return makeError("internal error: invalid linked LLVM IR: " + message);
  return std::move(linked);
}

llvm::Error qopt::emitObjectFile(llvm::Module &module, llvm::TargetMachine &machine,
                                 llvm::raw_pwrite_stream &os) {
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, os, nullptr, llvm::CodeGenFileType::ObjectFile))
    return makeError("the target cannot emit object files");
  passes.run(module);
  return llvm::Error::success();
}

std::string qopt::generateModelHeader(const ModelSignature &signature, llvm::StringRef modelName) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string guard = "QOPT_MODEL_" + llvm::StringRef(modelName).upper() + "_H";
  for (char &c : guard)
    if (!llvm::isAlnum(c))
      c = '_';
  os << "/* Generated by qopt for model '" << modelName << "'.\n *\n"
     << " * qopt_model_run(buffers): buffers[0.." << signature.inputs.size()
     << ") are the inputs, then the outputs,\n"
     << " * dense row-major arrays of these shapes (element types as ONNX numbers them):\n";
  auto list = [&](llvm::StringRef title, llvm::ArrayRef<BoundaryTensor> tensors, size_t base) {
    for (auto [i, tensor] : llvm::enumerate(tensors)) {
      os << " *   buffers[" << base + i << "] " << title << " '" << tensor.name
         << "' element_type=" << tensor.elementType << " shape=[";
      llvm::interleaveComma(tensor.shape, os);
      os << "]\n";
    }
  };
  list("input", signature.inputs, 0);
  list("output", signature.outputs, signature.inputs.size());
  os << " */\n#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include \"qopt_runtime.h\" /* qopt_model, qopt_model_run */\n\n#endif\n";
  return text;
}
