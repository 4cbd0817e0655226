//===- CompileCommand.cpp - qopt compile ----------------------------------===//
//
// qopt compile model.onnx -o out [--emit exe|lib|obj|llvm|ptx|mlir] [--recipe r]
//     [--target cpu|cuda] [--gpu sm_80|sm_90]
//     [--calib samples] [--stop-after=import|graph|calibrate|quantize|codegen]
//
// Phases, in order: import (ONNX -> linalg/tensor/arith/math on tensors),
// graph (qopt-fuse-linear, canonicalization), calibrate (with --calib),
// quantize (the recipe's passes), codegen (the CPU pipeline to the LLVM
// dialect), emit (LLVM IR, object, then a link with qopt's runtime into an
// executable or a shared library). The first four live in ModelFrontend. Outputs are written under
// temporary names and renamed at the end: a failure leaves nothing behind.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "GenerateCompile.h"
#include "ModelFrontend.h"
#include "RuntimeLink.h"

#include "qopt/Conversion/Passes.h"
#include "qopt/Target/CpuObject.h"
#include "qopt/Target/GpuBinary.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"

using namespace llvm;

cl::SubCommand &qopt::getCompileCommand() {
  static cl::SubCommand command("compile", "Compile an ONNX model into an executable, library or object");
  return command;
}

namespace {

enum class EmitKind { Mlir, Llvm, Ptx, Object, Library, Executable };
enum class TargetKind { Cpu, Cuda };
enum class Phase { Import, Graph, Calibrate, Quantize, Codegen };

cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' for stdout with --emit mlir)"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::sub(qopt::getCompileCommand()), cl::cat(qopt::getDriverCategory()));
cl::opt<EmitKind> emitKind(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Executable),
    cl::values(clEnumValN(EmitKind::Mlir, "mlir", "MLIR after --stop-after's phase"),
               clEnumValN(EmitKind::Llvm, "llvm", "optimized LLVM IR (of the host code for --target cuda)"),
               clEnumValN(EmitKind::Ptx, "ptx", "the GPU kernels as PTX (--target cuda)"),
               clEnumValN(EmitKind::Object, "obj", "an object file implementing qopt_runtime.h's ABI"),
               clEnumValN(EmitKind::Library, "lib", "a shared library (.so) and its C header (.h)"),
               clEnumValN(EmitKind::Executable, "exe", "a standalone executable")),
    cl::sub(qopt::getCompileCommand()), cl::cat(qopt::getDriverCategory()));
cl::opt<Phase> stopAfter(
    "stop-after", cl::desc("With --emit mlir: the last phase to run"), cl::init(Phase::Codegen),
    cl::values(clEnumValN(Phase::Import, "import", "ONNX -> tensor-level MLIR"),
               clEnumValN(Phase::Graph, "graph", "linear layers recognized (qopt.linear)"),
               clEnumValN(Phase::Calibrate, "calibrate", "layers annotated with calibration statistics"),
               clEnumValN(Phase::Quantize, "quantize", "the recipe applied (qopt.qlinear)"),
               clEnumValN(Phase::Codegen, "codegen", "lowered to the LLVM dialect")),
    cl::sub(qopt::getCompileCommand()), cl::cat(qopt::getDriverCategory()));
cl::opt<TargetKind> targetKind(
    "target", cl::desc("Where the model runs"), cl::init(TargetKind::Cpu),
    cl::values(clEnumValN(TargetKind::Cpu, "cpu", "x86-64 CPU (vector kernels, OpenMP threads)"),
               clEnumValN(TargetKind::Cuda, "cuda", "NVIDIA GPU (NVVM kernels in a fatbin; the host code "
                                                    "runs on the CPU)")),
    cl::sub(qopt::getCompileCommand()), cl::cat(qopt::getDriverCategory()));
cl::opt<std::string> gpuChip("gpu", cl::desc("With --target cuda: the GPU architecture, sm_80 or sm_90"),
                             cl::init("sm_80"), cl::sub(qopt::getCompileCommand()),
                             cl::cat(qopt::getDriverCategory()));
cl::opt<std::string> cudaToolkit("cuda-toolkit",
                                 cl::desc("With --target cuda: the CUDA toolkit (ptxas, fatbinary, libdevice)"),
                                 cl::init("/usr/local/cuda"), cl::sub(qopt::getCompileCommand()),
                                 cl::cat(qopt::getDriverCategory()));
cl::opt<std::string> targetCpu("mcpu",
                               cl::desc("Target CPU: an LLVM CPU name, or 'native' for this one"),
                               cl::init("x86-64-v3"), cl::sub(qopt::getCompileCommand()),
                               cl::cat(qopt::getDriverCategory()));
cl::opt<bool> referenceKernels(
    "reference-kernels",
    cl::desc("Run quantized layers through the reference lowering (dequantize, then matmul) "
             "instead of the generated packed-weight kernels"),
    cl::init(false), cl::sub(qopt::getCompileCommand()), cl::cat(qopt::getDriverCategory()));

int fail(const Twine &message) { return qopt::reportError("qopt compile", message); }

} // namespace

int qopt::runCompile() {
  const StringRef tool = "qopt compile";
  if (listRecipesIfAsked())
    return 0;
  const Recipe *recipe = getSelectedRecipe(tool);
  if (!recipe)
    return 1;
  const bool cuda = targetKind == TargetKind::Cuda;
  if (emitKind != EmitKind::Mlir && emitKind != EmitKind::Ptx && outputPath == "-")
    return fail("-o is required for --emit llvm, obj, lib and exe");
  if (emitKind == EmitKind::Ptx && !cuda)
    return fail("--emit ptx needs --target cuda");
  if (cuda && !isSupportedGpuChip(gpuChip))
    return fail("--gpu " + gpuChip + " is not supported (sm_80 or sm_90)");
  // Fail early on a bad --mcpu, before any work.
  CpuTargetOptions targetOptions;
  targetOptions.cpu = targetCpu;
  Expected<std::unique_ptr<TargetMachine>> machine = createCpuTargetMachine(targetOptions);
  if (!machine)
    return fail(toString(machine.takeError()));
  if (isGenerateRequested()) {
    if (cuda)
      return fail("--generate builds CPU generators only");
    GenerateBuild build;
    switch (emitKind) {
    case EmitKind::Llvm:
      build.output = GenerateBuild::Output::Llvm;
      break;
    case EmitKind::Object:
      build.output = GenerateBuild::Output::Object;
      break;
    case EmitKind::Library:
      build.output = GenerateBuild::Output::Library;
      break;
    case EmitKind::Executable:
      build.output = GenerateBuild::Output::Executable;
      break;
    default:
      return fail("--generate emits exe, lib, obj or llvm");
    }
    build.outputPath = outputPath;
    build.recipe = recipe;
    build.machine = machine->get();
    build.optLevel = targetOptions.optLevel;
    build.generatedKernels = !referenceKernels;
    return runGenerateCompile(build, getGenerateOptions());
  }

  std::unique_ptr<mlir::MLIRContext> context = createDriverContext(tool);
  mlir::OwningOpRef<mlir::ModuleOp> module = importModel(*context, tool);
  if (!module)
    return 1;
  const Phase lastPhase = emitKind == EmitKind::Mlir ? stopAfter.getValue() : Phase::Codegen;
  StringRef entryName = getEntryName();
  auto function = module->lookupSymbol<mlir::func::FuncOp>(entryName);
  if (!function)
    return fail(getModelPath() + ": no function @" + entryName + " to compile");
  Expected<ModelSignature> signature = getModelSignature(function);
  if (!signature)
    return fail(toString(signature.takeError()));

  if (lastPhase >= Phase::Graph)
    if (int status = runGraphPhase(*module))
      return status;
  if (lastPhase >= Phase::Calibrate)
    if (int status = runCalibrationPhase(*module, *recipe, tool))
      return status;
  if (lastPhase >= Phase::Quantize)
    if (int status = runQuantizePhase(*module, *recipe, tool))
      return status;
  if (lastPhase >= Phase::Codegen) {
    context->loadDialect<mlir::LLVM::LLVMDialect>();
    mlir::PassManager pm(context.get());
    if (cuda) {
      CudaPipelineOptions pipeline;
      pipeline.chip = gpuChip;
      pipeline.toolkitPath = cudaToolkit;
      pipeline.format = emitKind == EmitKind::Ptx ? "isa" : "fatbin";
      pipeline.inputs = static_cast<int64_t>(signature->inputs.size());
      pipeline.generatedKernels = !referenceKernels;
      buildCudaLoweringPipeline(pm, pipeline);
    } else {
      CpuPipelineOptions pipeline;
      pipeline.isa = getKernelIsa(**machine);
      pipeline.generatedKernels = !referenceKernels;
      buildCpuLoweringPipeline(pm, pipeline);
    }
    if (failed(pm.run(*module)))
      return 1;
  }

  std::error_code error;
  if (emitKind == EmitKind::Mlir) {
    ToolOutputFile output(outputPath, error, sys::fs::OF_None);
    if (error)
      return fail(outputPath + ": " + error.message());
    module->print(output.os());
    output.keep();
    return 0;
  }

  if (emitKind == EmitKind::Ptx) {
    Expected<std::string> ptx = getKernelAssembly(*module);
    if (!ptx)
      return fail(toString(ptx.takeError()));
    ToolOutputFile output(outputPath, error, sys::fs::OF_None);
    if (error)
      return fail(outputPath + ": " + error.message());
    output.os() << *ptx;
    output.keep();
    return 0;
  }

  llvm::LLVMContext llvmContext;
  Expected<std::unique_ptr<llvm::Module>> llvmModule = translateToModelModule(
      *module, entryName, *signature, llvmContext, **machine, targetOptions.optLevel);
  if (!llvmModule)
    return fail(toString(llvmModule.takeError()));
  if (emitKind == EmitKind::Llvm) {
    ToolOutputFile output(outputPath, error, sys::fs::OF_None);
    if (error)
      return fail(outputPath + ": " + error.message());
    (*llvmModule)->print(output.os(), nullptr);
    output.keep();
    return 0;
  }

  TemporaryFiles temporaries;
  SmallString<256> objectPath;
  if (emitKind == EmitKind::Object) {
    objectPath = outputPath;
  } else {
    if (std::error_code ec = sys::fs::createTemporaryFile("qopt-model", "o", objectPath))
      return fail("cannot create a temporary object file: " + ec.message());
    temporaries.add(objectPath);
  }
  {
    // ToolOutputFile deletes the file unless kept: no partial object.
    ToolOutputFile object(objectPath, error, sys::fs::OF_None);
    if (error)
      return fail(objectPath + ": " + error.message());
    if (Error emitError = emitObjectFile(**llvmModule, **machine, object.os()))
      return fail(toString(std::move(emitError)));
    object.keep();
  }
  if (emitKind == EmitKind::Object)
    return 0;

  // Link under a temporary name beside the output, then rename.
  SmallString<256> linked(outputPath);
  linked += ".partial";
  temporaries.add(linked);
  bool shared = emitKind == EmitKind::Library;
  RuntimeLinkOptions linkOptions;
  linkOptions.shared = shared;
  linkOptions.cuda = cuda;
  if (int status = linkWithRuntime(objectPath, linked, linkOptions, tool))
    return status;
  if (shared) {
    SmallString<256> headerPath(outputPath);
    sys::path::replace_extension(headerPath, "h");
    ToolOutputFile header(headerPath, error, sys::fs::OF_None);
    if (error)
      return fail(headerPath + ": " + error.message());
    header.os() << generateModelHeader(*signature, sys::path::stem(outputPath));
    SmallString<256> runtimeHeader(sys::path::parent_path(outputPath));
    sys::path::append(runtimeHeader, "qopt_runtime.h");
    if (std::error_code ec =
            sys::fs::copy_file(getRuntimeDirectory() + "/qopt_runtime.h", runtimeHeader))
      return fail("cannot copy qopt_runtime.h next to the library: " + ec.message());
    header.keep();
  }
  if (std::error_code ec = sys::fs::rename(linked, outputPath))
    return fail("cannot write " + outputPath + ": " + ec.message());
  return 0;
}
