//===- DirectConv.h - The generated direct convolution -----------*- C++ -*-===//
//
// A float qopt.conv2d without groups whose output rows fill 16-wide vectors
// well becomes, on the CPU, a call of a private kernel function declared by
// qopt-float-kernel-calls over the zero-padded input, with no im2col:
//
//   func.func private @qopt_conv_...(%x: memref<NxCxHpxWpxf32>,
//       %w: memref<Fx(C KH KW)xf32>, [%bias: memref<Fxf32>],
//       %out: memref<NxFxOHxOWxf32>) attributes {qopt.conv_kernel = {...}}
//
// with {kernel = [KH, KW], strides = [SH, SW], dilations = [DH, DW],
// epilogue = "none" | @epilogue_function}. It is the float GEMM (FloatGemm.h) with the
// filters as A's rows and B's 16-column vectors read straight from the
// input's rows: register tiles of R filters x V vectors of output
// positions (one output row in V chunks of 16, or several short rows),
// for each channel and tap
//   acc[r][v] += broadcast(w[f_r, (c, i, j)]) * x[n, c, oh_v SH + i DH, (ow_v + lane) SW + j DW]
// then bias per filter, the epilogue and one store per vector.
// qopt-generate-cpu-kernels writes its body (defineDirectConvKernels).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_DIRECTCONV_H
#define QOPT_LIB_CONVERSION_DIRECTCONV_H

#include "ConvolutionWindow.h"
#include "FloatGemm.h"

namespace qopt {

/// The attribute holding a direct convolution declaration's configuration.
inline constexpr llvm::StringLiteral kDirectConvKernelAttrName = "qopt.conv_kernel";

struct DirectConvKernelConfig : ConvolutionWindow {
  /// The configuration of `kernel` from its attribute and argument types.
  static mlir::FailureOr<DirectConvKernelConfig> read(mlir::func::FuncOp kernel);
};

/// Whether the direct kernel suits a convolution of this geometry (output
/// width `outWidth`, `kernelSize` taps, column stride `strideW`):
/// its rows fill at least three quarters of the 16-wide vectors, the column
/// stride is 1 or 2 and the taps fit an unrolled loop body.
bool isDirectConvProfitable(int64_t outWidth, int64_t kernelSize, int64_t strideW);

/// Gives every bodiless direct convolution declaration of `module` its body.
mlir::LogicalResult defineDirectConvKernels(mlir::ModuleOp module, const CpuIsa &isa);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_DIRECTCONV_H
