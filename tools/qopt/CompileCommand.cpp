//===- CompileCommand.cpp - qopt compile ----------------------------------===//
//
// qopt compile model.onnx -o out --emit mlir [--stop-after=import|graph]
//
// Phases, in order: import (ONNX -> linalg/tensor/arith/math on tensors),
// graph (qopt-fuse-linear, canonicalization). Code generation for
// executables, libraries and objects is not built yet.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "qopt/Import/OnnxImporter.h"
#include "qopt/Import/OnnxModelFile.h"
#include "qopt/Registration/Registration.h"
#include "qopt/Transforms/Passes.h"

#include "onnx/onnx-ml.pb.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

cl::SubCommand qopt::compileCommand("compile",
                                    "Compile an ONNX model into an executable, library or object");

namespace {

enum class EmitKind { Mlir, Llvm, Object, Library, Executable };
enum class Phase { Import, Graph };

cl::opt<std::string> modelPath(cl::Positional, cl::Required, cl::desc("<model.onnx>"),
                               cl::sub(qopt::compileCommand), cl::cat(qopt::getDriverCategory()));
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' for stdout with --emit mlir)"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::sub(qopt::compileCommand), cl::cat(qopt::getDriverCategory()));
cl::opt<EmitKind> emitKind(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Executable),
    cl::values(clEnumValN(EmitKind::Mlir, "mlir", "MLIR after --stop-after's phase"),
               clEnumValN(EmitKind::Llvm, "llvm", "LLVM IR (not built yet)"),
               clEnumValN(EmitKind::Object, "obj", "an object file (not built yet)"),
               clEnumValN(EmitKind::Library, "lib", "a shared library and C header (not built yet)"),
               clEnumValN(EmitKind::Executable, "exe", "a standalone executable (not built yet)")),
    cl::sub(qopt::compileCommand), cl::cat(qopt::getDriverCategory()));
cl::opt<Phase> stopAfter(
    "stop-after", cl::desc("With --emit mlir: the last phase to run"), cl::init(Phase::Graph),
    cl::values(clEnumValN(Phase::Import, "import", "ONNX -> tensor-level MLIR"),
               clEnumValN(Phase::Graph, "graph", "linear layers recognized (qopt.linear)")),
    cl::sub(qopt::compileCommand), cl::cat(qopt::getDriverCategory()));
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

} // namespace

int qopt::runCompile() {
  if (emitKind != EmitKind::Mlir) {
    WithColor::error(errs(), "qopt compile")
        << "--emit " << (emitKind == EmitKind::Llvm ? "llvm" : emitKind == EmitKind::Object ? "obj"
                         : emitKind == EmitKind::Library ? "lib" : "exe")
        << " is not built yet: the CPU code generator is missing; --emit mlir works\n";
    return 2;
  }
  OnnxImportOptions options;
  for (const std::string &spec : shapes) {
    auto [name, dims] = StringRef(spec).split('=');
    SmallVector<int64_t> shape;
    if (name.empty() || !parseShapeSpec(dims, shape)) {
      WithColor::error(errs(), "qopt compile")
          << "--shape '" << spec << "' is not of the form name=1x128\n";
      return 1;
    }
    options.inputShapes[name] = shape;
  }

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

  Expected<std::unique_ptr<onnx::ModelProto>> model = readOnnxModel(modelPath);
  if (!model) {
    WithColor::error(errs(), "qopt compile") << toString(model.takeError()) << "\n";
    return 1;
  }
  mlir::OwningOpRef<mlir::ModuleOp> module = importOnnxModel(context, **model, modelPath, options);
  if (!module)
    return 1;

  if (stopAfter >= Phase::Graph) {
    mlir::PassManager pm(&context);
    pm.addPass(createFuseLinear());
    pm.addPass(mlir::createCanonicalizerPass());
    if (failed(pm.run(*module)))
      return 1;
  }

  // Written to a temporary and renamed on success: nothing half-written.
  std::error_code error;
  ToolOutputFile output(outputPath, error, sys::fs::OF_None);
  if (error) {
    WithColor::error(errs(), "qopt compile") << outputPath << ": " << error.message() << "\n";
    return 1;
  }
  module->print(output.os());
  output.keep();
  return 0;
}
