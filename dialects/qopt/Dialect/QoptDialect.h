//===- QoptDialect.h - The qopt dialect -------------------------*- C++ -*-===//

#ifndef QOPT_DIALECT_QOPTDIALECT_H
#define QOPT_DIALECT_QOPTDIALECT_H

#include "mlir/IR/Dialect.h"

#include "qopt/Dialect/QoptDialect.h.inc"

#endif // QOPT_DIALECT_QOPTDIALECT_H
