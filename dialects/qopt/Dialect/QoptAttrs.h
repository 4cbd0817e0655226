//===- QoptAttrs.h - qopt attributes and enums ------------------*- C++ -*-===//

#ifndef QOPT_DIALECT_QOPTATTRS_H
#define QOPT_DIALECT_QOPTATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "qopt/Quant/NumberFormat.h"

#include "qopt/Dialect/QoptEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "qopt/Dialect/QoptAttrs.h.inc"

#endif // QOPT_DIALECT_QOPTATTRS_H
