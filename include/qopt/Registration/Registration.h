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

/// The qopt dialect, the upstream dialects qopt's IR and code generation use,
/// and the interface models bufferization needs.
void registerQoptDialects(mlir::DialectRegistry &registry);

/// Every qopt pass (qopt/Transforms/Passes.td, qopt/Conversion/Passes.td)
/// and the upstream passes.
void registerAllQoptPasses();

} // namespace qopt

#endif // QOPT_REGISTRATION_REGISTRATION_H
