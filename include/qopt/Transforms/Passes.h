//===- Passes.h - qopt transformation passes --------------------*- C++ -*-===//

#ifndef QOPT_TRANSFORMS_PASSES_H
#define QOPT_TRANSFORMS_PASSES_H

#include "qopt/Quant/WeightScheme.h"

#include "mlir/Pass/Pass.h"

namespace mlir::linalg {
class LinalgDialect;
} // namespace mlir::linalg
namespace mlir::tensor {
class TensorDialect;
} // namespace mlir::tensor
namespace mlir::arith {
class ArithDialect;
} // namespace mlir::arith

namespace qopt {
class QoptDialect;

#define GEN_PASS_DECL
#include "qopt/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qopt/Transforms/Passes.h.inc"

} // namespace qopt

#endif // QOPT_TRANSFORMS_PASSES_H
