//===- qopt-opt.cpp - Pass-level driver for qopt research -----------------===//
//
// mlir-opt with the qopt dialect and passes: what lit tests and researchers
// use to run one pass at a time (`qopt-opt in.mlir --qopt-fuse-linear`).
//
//===----------------------------------------------------------------------===//

#include "qopt/Registration/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  qopt::registerQoptDialects(registry);
  qopt::registerAllQoptPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "qopt optimizer driver\n", registry));
}
