//===- HeadPath.h - A linear's output followed head by head to linears ---===//
//
// Attention's value path: v = x·Wvᵀ is split into heads, transposed,
// repeated across query groups (GQA), mixed over positions by the attention
// probabilities (P·V) and merged back into the output projection's input.
// Every step acts on each head's channels the same way and linearly, so any
// invertible A applied to every head block of v's output (v ↦ v·diag(A..A))
// reaches o's input unchanged in form, where o undoes it with Wo·diag(A⁻ᵀ..).
// Per-head rotations (SpinQuant R2) and v → o smoothing both use this.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TRANSFORMS_HEADPATH_H
#define QOPT_TRANSFORMS_HEADPATH_H

#include "qopt/Dialect/QoptOps.h"

#include <string>

namespace qopt {

struct HeadPath {
  LinearOp producer;
  llvm::SmallVector<LinearOp> consumers;
  /// Channels per head: the producer's outputs and the consumers' inputs
  /// are whole blocks of this many channels, matched block by block.
  int64_t blockSize = 0;
};

/// The head path from `producer` (constant weight and bias) to the linears
/// its output reaches, through reshapes that keep whole blocks, transposes
/// that keep the last dimension, and generics that are linear in it and
/// treat its last dimension as an untouched parallel loop (head repeats,
/// P·V). Anything else reading the path fails, with the reason in `why`.
mlir::FailureOr<HeadPath> matchHeadPath(LinearOp producer, std::string &why);

} // namespace qopt

#endif // QOPT_TRANSFORMS_HEADPATH_H
