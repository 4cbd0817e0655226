//===- ScalarBody.h - Evaluate elementwise bodies on host numbers -*- C++ -*-===//
//
// Graph matchers ask what an elementwise linalg.generic computes, not how an
// exporter spelled it: `x / sqrt(m + eps)`, `x * rsqrt(m + eps)` and
// `x * (1 / sqrt(m + eps))` are one function. Evaluating the body (arith and
// math float ops, constants captured from outside) at probe points answers
// that without a pattern per spelling.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_SUPPORT_SCALARBODY_H
#define QOPT_SUPPORT_SCALARBODY_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace qopt {

/// The value `op`'s body yields (result 0) when its block arguments hold
/// `arguments` (one per input and output, in order). std::nullopt if the body
/// uses an operation that is not a float scalar operation this evaluator
/// knows, or reads a value from outside that is not a scalar constant.
std::optional<double> evaluateScalarBody(mlir::linalg::GenericOp op,
                                         llvm::ArrayRef<double> arguments);

/// The scalar a rank-0 or splat float constant tensor holds.
std::optional<double> getSplatScalar(mlir::Value value);

} // namespace qopt

#endif // QOPT_SUPPORT_SCALARBODY_H
