//===- WeightedLayers.h - The layers mixed precision works on ---*- C++ -*-===//
//
// qopt.linear and qopt.conv2d ops whose weight is a constant: what bit
// allocation chooses schemes for, and what the driver measures sensitivities
// and kernel latencies of. One definition, so that the three always agree.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TRANSFORMS_WEIGHTEDLAYERS_H
#define QOPT_TRANSFORMS_WEIGHTEDLAYERS_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallVector.h"

namespace qopt {

/// The weighted layers under `root`, in IR order.
llvm::SmallVector<mlir::Operation *> getWeightedLayers(mlir::Operation *root);

} // namespace qopt

#endif // QOPT_TRANSFORMS_WEIGHTEDLAYERS_H
