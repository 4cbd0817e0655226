//===- DepthwiseConv.h - The generated depthwise convolution ----*- C++ -*-===//
//
// A float qopt.conv2d with one filter per input channel (groups = C = F)
// becomes, on the CPU, a call of a private kernel function declared by
// qopt-float-kernel-calls over the zero-padded input:
//
//   func.func private @qopt_depthwise_...(%x: memref<NxCxHpxWpxf32>,
//       %w: memref<CxTxf32> (T = KH KW taps), [%bias: memref<Cxf32>],
//       %out: memref<NxCxOHxOWxf32>) attributes {qopt.depthwise_kernel = {...}}
//
// with {kernel = [KH, KW], strides = [SH, SW], dilations = [DH, DW],
// epilogue = "none" | @epilogue_function};
// qopt-generate-cpu-kernels writes its body (buildDepthwiseConvKernel): per
// (image, channel) plane in parallel, each output row in 16-wide vectors
// accumulating the taps in registers (stride-1 rows as plain loads, stride
// 2 as two loads and a shuffle, larger strides as gathers), bias first, the
// epilogue and one store per vector.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_DEPTHWISECONV_H
#define QOPT_LIB_CONVERSION_DEPTHWISECONV_H

#include "ConvolutionWindow.h"
#include "CpuKernels.h"
#include "KernelEpilogue.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace qopt {

/// The attribute holding a depthwise kernel declaration's configuration.
inline constexpr llvm::StringLiteral kDepthwiseKernelAttrName = "qopt.depthwise_kernel";

struct DepthwiseKernelConfig : ConvolutionWindow {
  /// The configuration of `kernel` from its attribute and argument types.
  static mlir::FailureOr<DepthwiseKernelConfig> read(mlir::func::FuncOp kernel);
};

/// Gives every bodiless depthwise declaration of `module` its body.
mlir::LogicalResult defineDepthwiseKernels(mlir::ModuleOp module);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_DEPTHWISECONV_H
