//===- ActivationQuantization.h - Reference activation quantization -*- C++ -*-===//

#ifndef QOPT_LIB_CONVERSION_ACTIVATIONQUANTIZATION_H
#define QOPT_LIB_CONVERSION_ACTIVATIONQUANTIZATION_H

#include "qopt/Dialect/QoptAttrs.h"

#include "mlir/IR/Builders.h"

namespace qopt {

/// `input` as the kernel sees it under `scheme`: scale * code(input / scale),
/// the code rounded half to even and saturated onto the format's grid
/// (integers: [-2^(b-1), 2^(b-1) - 1]; fp8_e4m3: +-448 with 3 mantissa
/// bits). Dynamic scales are absmax / max magnitude per token (row of the
/// last axis) or over the tensor; an all-zero row gets scale 1. This is
/// the reference semantics the integer kernels reproduce.
mlir::Value buildFakeQuantizedActivation(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value input,
                                         ActQuantAttr scheme);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_ACTIVATIONQUANTIZATION_H
