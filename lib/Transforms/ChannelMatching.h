//===- ChannelMatching.h - What reads and scales the channels of a value -===//
//
// Smoothing, norm recognition and rotation all follow a tensor's last
// dimension (its channels) through the graph: which reshapes keep it, which
// linears read it, which generic operands are per-channel constants.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TRANSFORMS_CHANNELMATCHING_H
#define QOPT_TRANSFORMS_CHANNELMATCHING_H

#include "qopt/Dialect/QoptOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace qopt {

/// Reshapes that keep the last dimension (and so the channels).
bool keepsChannels(mlir::Operation *op);

/// The linears with constant weights that read `value` as their input
/// (through channel-keeping reshapes); false if anything else reads it.
bool collectLinearReaders(mlir::Value value, llvm::SmallVectorImpl<LinearOp> &linears);

/// Whether `operand` of `op` is a constant 1-D vector indexed by the last
/// loop only.
bool isChannelVector(mlir::linalg::GenericOp op, mlir::OpOperand *operand);

/// The linear (with constant weight and bias) whose output `value` is,
/// through channel-keeping reshapes, when nothing else reads that output;
/// null otherwise. Its output channels can then be changed freely.
LinearOp matchSoleLinearSource(mlir::Value value);

/// Gives `linear` a new constant weight of the same type named `name`; the
/// old constant is erased if nothing else reads it.
void replaceLinearWeight(LinearOp linear, llvm::ArrayRef<float> values, llvm::StringRef name);

/// A copy of `values` as a constant 1-D f32 tensor named `name`.
mlir::Value createChannelVector(mlir::OpBuilder &builder, mlir::Location loc,
                                llvm::ArrayRef<float> values, llvm::StringRef name);

} // namespace qopt

#endif // QOPT_TRANSFORMS_CHANNELMATCHING_H
