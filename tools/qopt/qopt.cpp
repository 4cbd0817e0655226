//===- qopt.cpp - The qopt compiler driver --------------------------------===//
//
//   qopt compile model.onnx -o out/model ...   compile to an executable/library
//   qopt eval    model.onnx --recipe ...       fidelity of a recipe vs float
//   qopt inspect model.onnx                    ops, shapes, parameters
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

cl::OptionCategory &qopt::getDriverCategory() {
  static cl::OptionCategory category("qopt options");
  return category;
}

namespace {

cl::SubCommand evalCommand("eval",
                           "Measure a quantization recipe's fidelity against the float model");

/// The positional model argument of the subcommands not built yet, so that
/// their invocation parses and reaches the plain "not built" message.
cl::list<std::string> pendingArguments(cl::Positional, cl::sub(evalCommand),
                                       cl::desc("<model.onnx> ..."),
                                       cl::cat(qopt::getDriverCategory()));

int reportNotBuilt(StringRef command, StringRef what) {
  WithColor::error(errs(), "qopt")
      << "'qopt " << command << "' is not built yet: " << what << "\n";
  return 2;
}

void printVersion(raw_ostream &os) {
  os << "qopt " << QOPT_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING << ")\n";
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  cl::SetVersionPrinter(printVersion);
  cl::HideUnrelatedOptions(qopt::getDriverCategory());
  cl::ParseCommandLineOptions(
      argc, argv,
      "qopt: an ahead-of-time quantizing compiler for ONNX models\n\n"
      "  qopt inspect model.onnx     ops, inputs/outputs, parameters of a model\n"
      "  qopt compile model.onnx -o out.mlir --emit mlir\n"
      "                              import and recognize linear layers (code\n"
      "                              generation is not built yet)\n"
      "  qopt eval model.onnx ...    (not built yet)\n\n"
      "  qopt <subcommand> --help    the options of one subcommand\n");

  if (qopt::inspectCommand)
    return qopt::runInspect();
  if (qopt::compileCommand)
    return qopt::runCompile();
  if (evalCommand)
    return reportNotBuilt("eval", "it needs the quantization passes and the CPU code generator");
  WithColor::error(errs(), "qopt")
      << "no subcommand given (compile, eval, inspect); see 'qopt --help'\n";
  return 2;
}
