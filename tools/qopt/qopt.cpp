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
      "  qopt compile model.onnx -o model [--recipe w4a16-g128] [--calib samples.npz]\n"
      "                              a standalone executable (or --emit lib|obj|llvm|mlir)\n"
      "  qopt eval model.onnx --recipe w8a8,w4a16-g32-gptq --data eval.npz --calib calib.npz\n"
      "                              KLD / top-1 / SQNR of quantized against float\n\n"
      "  qopt <subcommand> --help    the options of one subcommand\n");

  if (qopt::getInspectCommand())
    return qopt::runInspect();
  if (qopt::getCompileCommand())
    return qopt::runCompile();
  if (qopt::getEvalCommand())
    return qopt::runEval();
  WithColor::error(errs(), "qopt")
      << "no subcommand given (compile, eval, inspect); see 'qopt --help'\n";
  return 2;
}
