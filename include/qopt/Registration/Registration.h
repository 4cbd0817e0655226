//===- Registration.h - What qopt's tools register --------------*- C++ -*-===//
//
// The one place that lists the dialects and passes qopt's tools know.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_REGISTRATION_REGISTRATION_H
#define QOPT_REGISTRATION_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace qopt {

/// The qopt dialect and the upstream dialects qopt's IR uses (func, arith,
/// math, tensor, tosa, linalg).
void registerQoptDialects(mlir::DialectRegistry &registry);

/// Every qopt pass (declared in qopt/Transforms/Passes.td).
void registerAllQoptPasses();

} // namespace qopt

#endif // QOPT_REGISTRATION_REGISTRATION_H
