//===- WeightedLayers.cpp - The layers mixed precision works on -----------===//

#include "qopt/Transforms/WeightedLayers.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/ConstantTensor.h"

using namespace qopt;

llvm::SmallVector<mlir::Operation *> qopt::getWeightedLayers(mlir::Operation *root) {
  llvm::SmallVector<mlir::Operation *> layers;
  root->walk([&](mlir::Operation *op) {
    if (mlir::isa<LinearOp, Conv2DOp>(op) && getConstantTensor(op->getOperand(1)))
      layers.push_back(op);
  });
  return layers;
}
