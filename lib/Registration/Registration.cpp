//===- Registration.cpp - What qopt's tools register ----------------------===//

#include "qopt/Registration/Registration.h"

#include "qopt/Dialect/QoptDialect.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectRegistry.h"

void qopt::registerQoptDialects(mlir::DialectRegistry &registry) {
  registry.insert<QoptDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::tensor::TensorDialect,
                  mlir::tosa::TosaDialect, mlir::linalg::LinalgDialect>();
}

void qopt::registerAllQoptPasses() { registerQoptPasses(); }
