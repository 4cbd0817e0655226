//===- QoptOps.h - qopt operations ------------------------------*- C++ -*-===//

#ifndef QOPT_DIALECT_QOPTOPS_H
#define QOPT_DIALECT_QOPTOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "qopt/Dialect/QoptAttrs.h"
#include "qopt/Dialect/QoptDialect.h"

#define GET_OP_CLASSES
#include "qopt/Dialect/QoptOps.h.inc"

#endif // QOPT_DIALECT_QOPTOPS_H
