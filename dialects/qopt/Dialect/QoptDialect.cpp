//===- QoptDialect.cpp - The qopt dialect ---------------------------------===//

#include "qopt/Dialect/QoptDialect.h"
#include "qopt/Dialect/QoptAttrs.h"
#include "qopt/Dialect/QoptOps.h"

using namespace qopt;

#include "qopt/Dialect/QoptDialect.cpp.inc"

void QoptDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "qopt/Dialect/QoptOps.cpp.inc"
      >();
}
