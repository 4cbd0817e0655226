//===- CompileCommand.cpp - qopt compile ----------------------------------===//
//
// qopt compile model.onnx -o out [--emit exe|lib|obj|llvm|mlir]
//                                  [--stop-after=import|graph|codegen]
//
// Phases, in order: import (ONNX -> linalg/tensor/arith/math on tensors),
// graph (qopt-fuse-linear, canonicalization), codegen (the CPU pipeline to
// the LLVM dialect), emit (LLVM IR, object, then a link with qopt's runtime
// into an executable or a shared library). Outputs are written under
// temporary names and renamed at the end: a failure leaves nothing behind.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "qopt/Conversion/Passes.h"
#include "qopt/Import/OnnxImporter.h"
#include "qopt/Import/OnnxModelFile.h"
#include "qopt/Pipelines/Recipes.h"
#include "qopt/Registration/Registration.h"
#include "qopt/Target/CpuObject.h"
#include "qopt/Transforms/Passes.h"

#include "onnx/onnx-ml.pb.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

cl::SubCommand qopt::compileCommand("compile",
                                    "Compile an ONNX model into an executable, library or object");

namespace {

enum class EmitKind { Mlir, Llvm, Object, Library, Executable };
enum class Phase { Import, Graph, Quantize, Codegen };

cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model.onnx | tensor-level model.mlir>"),
                               cl::sub(qopt::compileCommand), cl::cat(qopt::getDriverCategory()));
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' for stdout with --emit mlir)"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::sub(qopt::compileCommand), cl::cat(qopt::getDriverCategory()));
cl::opt<EmitKind> emitKind(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Executable),
    cl::values(clEnumValN(EmitKind::Mlir, "mlir", "MLIR after --stop-after's phase"),
               clEnumValN(EmitKind::Llvm, "llvm", "optimized LLVM IR"),
               clEnumValN(EmitKind::Object, "obj", "an object file implementing qopt_runtime.h's ABI"),
               clEnumValN(EmitKind::Library, "lib", "a shared library (.so) and its C header (.h)"),
               clEnumValN(EmitKind::Executable, "exe", "a standalone executable")),
    cl::sub(qopt::compileCommand), cl::cat(qopt::getDriverCategory()));
cl::opt<Phase> stopAfter(
    "stop-after", cl::desc("With --emit mlir: the last phase to run"), cl::init(Phase::Codegen),
    cl::values(clEnumValN(Phase::Import, "import", "ONNX -> tensor-level MLIR"),
               clEnumValN(Phase::Graph, "graph", "linear layers recognized (qopt.linear)"),
               clEnumValN(Phase::Quantize, "quantize", "the recipe applied (qopt.qlinear)"),
               clEnumValN(Phase::Codegen, "codegen", "lowered to the LLVM dialect")),
    cl::sub(qopt::compileCommand), cl::cat(qopt::getDriverCategory()));
cl::opt<std::string> recipeName("recipe",
                                cl::desc("Quantization recipe (see --list-recipes); default: float"),
                                cl::init("float"), cl::sub(qopt::compileCommand),
                                cl::cat(qopt::getDriverCategory()));
cl::opt<bool> listRecipes("list-recipes", cl::desc("List the quantization recipes and exit"),
                          cl::sub(qopt::compileCommand), cl::cat(qopt::getDriverCategory()));
cl::opt<std::string> targetCpu("mcpu",
                               cl::desc("Target CPU: an LLVM CPU name, or 'native' for this one"),
                               cl::init("x86-64-v3"), cl::sub(qopt::compileCommand),
                               cl::cat(qopt::getDriverCategory()));
cl::list<std::string> boundInputs(
    "bind", cl::desc("Fix an input's value at compile time, from a serialized ONNX TensorProto"),
    cl::value_desc("name=tensor.pb"), cl::sub(qopt::compileCommand),
    cl::cat(qopt::getDriverCategory()));
cl::list<std::string> shapes("shape",
                             cl::desc("Static shape of an input with symbolic dimensions"),
                             cl::value_desc("name=1x128"), cl::sub(qopt::compileCommand),
                             cl::cat(qopt::getDriverCategory()));

/// "model.onnx: " for diagnostics located in the model file.
std::string describeLocation(mlir::Location loc) {
  if (auto file = loc->findInstanceOf<mlir::FileLineColLoc>())
    return file.getFilename().str() + ": ";
  return "";
}

/// Removes the files and directories it was given unless released.
class TemporaryFiles {
public:
  ~TemporaryFiles() {
    for (auto it = paths.rbegin(); it != paths.rend(); ++it)
      sys::fs::remove(*it);
  }
  void add(StringRef path) { paths.push_back(path.str()); }

private:
  std::vector<std::string> paths;
};

/// Where the runtime libraries and header are: build/lib beside build/bin,
/// or lib/ beside bin/ in an installed tree.
std::string getRuntimeDirectory() {
  static int anchor;
  std::string executable = sys::fs::getMainExecutable("qopt", &anchor);
  SmallString<256> dir(sys::path::parent_path(sys::path::parent_path(executable)));
  sys::path::append(dir, "lib");
  return dir.str().str();
}

int fail(const Twine &message) {
  WithColor::error(errs(), "qopt compile") << message << "\n";
  return 1;
}

/// Links `object` with the runtime into `output` (an executable, or a shared
/// library when `shared`), using the C compiler driver qopt was built with.
int link(StringRef object, StringRef output, bool shared) {
  std::string runtime = getRuntimeDirectory();
  ErrorOr<std::string> driver = sys::findProgramByName(QOPT_LINK_DRIVER);
  if (!driver)
    return fail(Twine("cannot find the linker driver '") + QOPT_LINK_DRIVER + "'");
  std::vector<std::string> args = {*driver, "-o", output.str(), object.str()};
  if (shared)
    args.push_back("-shared");
  else
    args.push_back(runtime + "/libqopt_main.a");
  args.push_back(runtime + "/libqopt_runtime.a");
  args.push_back("-lm");
  for (const std::string &library : {runtime + "/libqopt_runtime.a"})
    if (!sys::fs::exists(library))
      return fail("the runtime library " + library + " is missing");
  std::vector<StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int status = sys::ExecuteAndWait(*driver, argRefs, std::nullopt, {}, 0, 0, &message);
  if (status != 0)
    return fail("linking " + output + " failed" + (message.empty() ? "" : ": " + message));
  return 0;
}

} // namespace

int qopt::runCompile() {
  if (listRecipes) {
    for (const Recipe &recipe : getRecipes())
      outs() << formatv("  {0,-16} {1}\n", recipe.name, recipe.description)
             << (recipe.pipeline.empty() ? "" : formatv("  {0,-16}   {1}\n", "", recipe.pipeline).str());
    return 0;
  }
  const Recipe *recipe = findRecipe(recipeName);
  if (!recipe)
    return fail("unknown recipe '" + recipeName + "' (see --list-recipes)");
  if (emitKind != EmitKind::Mlir && outputPath == "-")
    return fail("-o is required for --emit llvm, obj, lib and exe");
  OnnxImportOptions options;
  for (const std::string &spec : shapes) {
    auto [name, dims] = StringRef(spec).split('=');
    SmallVector<int64_t> shape;
    if (name.empty() || !parseShapeSpec(dims, shape))
      return fail("--shape '" + spec + "' is not of the form name=1x128");
    options.inputShapes[name] = shape;
  }
  std::vector<std::unique_ptr<onnx::TensorProto>> boundTensors;
  for (const std::string &spec : boundInputs) {
    auto [name, path] = StringRef(spec).split('=');
    if (name.empty() || path.empty())
      return fail("--bind '" + spec + "' is not of the form name=tensor.pb");
    ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(path);
    auto tensor = std::make_unique<onnx::TensorProto>();
    if (!buffer || !tensor->ParseFromArray((*buffer)->getBufferStart(), int((*buffer)->getBufferSize())))
      return fail(path + ": not a readable ONNX TensorProto");
    options.boundInputs[name] = tensor.get();
    boundTensors.push_back(std::move(tensor));
  }
  // Fail early on a bad --mcpu, before any work.
  CpuTargetOptions targetOptions;
  targetOptions.cpu = targetCpu;
  Expected<std::unique_ptr<TargetMachine>> machine = createCpuTargetMachine(targetOptions);
  if (!machine)
    return fail(toString(machine.takeError()));

  registerAllQoptPasses(); // recipes name passes in textual pipelines
  mlir::DialectRegistry registry;
  registerQoptDialects(registry);
  registerOnnxImportDialects(registry);
  mlir::MLIRContext context(registry);
  mlir::ScopedDiagnosticHandler handler(&context, [](mlir::Diagnostic &diag) {
    raw_ostream &os = diag.getSeverity() == mlir::DiagnosticSeverity::Error
                          ? WithColor::error(errs(), "qopt compile")
                          : WithColor::note(errs(), "qopt compile");
    os << describeLocation(diag.getLocation()) << diag.str() << "\n";
    return mlir::success();
  });

  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (StringRef(modelPath).ends_with(".mlir")) {
    // Tensor-level IR (a func.func @main) enters at the graph phase.
    module = mlir::parseSourceFile<mlir::ModuleOp>(modelPath, &context);
    if (!module)
      return 1;
  } else {
    Expected<std::unique_ptr<onnx::ModelProto>> model = readOnnxModel(modelPath);
    if (!model)
      return fail(toString(model.takeError()));
    module = importOnnxModel(context, **model, modelPath, options);
    if (!module)
      return 1;
  }
  const Phase lastPhase = emitKind == EmitKind::Mlir ? stopAfter.getValue() : Phase::Codegen;

  auto function = module->lookupSymbol<mlir::func::FuncOp>(options.functionName);
  if (!function)
    return fail(modelPath + ": no function @" + options.functionName + " to compile");
  Expected<ModelSignature> signature = getModelSignature(function);
  if (!signature)
    return fail(toString(signature.takeError()));

  if (lastPhase >= Phase::Graph) {
    mlir::PassManager pm(&context);
    pm.addPass(createFuseLinear());
    pm.addPass(mlir::createCanonicalizerPass());
    if (failed(pm.run(*module)))
      return 1;
  }
  if (lastPhase >= Phase::Quantize && !recipe->pipeline.empty()) {
    mlir::PassManager pm(&context);
    if (failed(mlir::parsePassPipeline(recipe->pipeline, pm, errs())))
      return fail("recipe '" + recipeName + "' has an invalid pipeline");
    if (failed(pm.run(*module)))
      return 1;
  }
  if (lastPhase >= Phase::Codegen) {
    context.loadDialect<mlir::LLVM::LLVMDialect>();
    mlir::PassManager pm(&context);
    buildCpuLoweringPipeline(pm);
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

  llvm::LLVMContext llvmContext;
  Expected<std::unique_ptr<llvm::Module>> llvmModule = translateToModelModule(
      *module, options.functionName, *signature, llvmContext, **machine, targetOptions.optLevel);
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
  if (int status = link(objectPath, linked, shared))
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
