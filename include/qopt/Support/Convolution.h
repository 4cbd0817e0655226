//===- Convolution.h - Convolutions as linalg on tensors --------*- C++ -*-===//
//
// The one builder of convolutions: the importer uses it for ONNX Conv of any
// spatial rank, the lowering of qopt.conv2d and qopt.qconv2d for theirs.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_SUPPORT_CONVOLUTION_H
#define QOPT_SUPPORT_CONVOLUTION_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SmallVector.h"

namespace qopt {

/// How a window slides over the spatial dimensions: per dimension its
/// stride, dilation and the zeros padded before and after.
struct ConvolutionGeometry {
  llvm::SmallVector<int64_t> strides, dilations, padBegin, padEnd;
  int64_t groups = 1;
};

/// The geometry of a qopt.conv2d or qopt.qconv2d (pads [top, left, bottom,
/// right]).
template <typename Conv2DLikeOp>
ConvolutionGeometry getConvolutionGeometry(Conv2DLikeOp op) {
  llvm::ArrayRef<int64_t> pads = op.getPads();
  return {llvm::SmallVector<int64_t>(op.getStrides()), llvm::SmallVector<int64_t>(op.getDilations()),
          {pads[0], pads[1]}, {pads[2], pads[3]}, int64_t(op.getGroups())};
}

/// `input` [lead..., spatial...] padded on its trailing spatial dimensions
/// (as many as `padBegin` has) with `value`; `input` itself when nothing is
/// padded.
mlir::Value buildSpatialPad(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value input,
                            llvm::ArrayRef<int64_t> padBegin, llvm::ArrayRef<int64_t> padEnd,
                            mlir::TypedAttr value);

/// The convolution of `input` [N, C, spatial...] by `weight` [F, C / groups,
/// kernel...] as `resultType` [N, F, out...], without bias: one
/// linalg.generic over (n, group, f, c, kernel..., out...), the output
/// positions innermost (stride-1 reads under one weight, which vectorize).
mlir::Value buildConvolution(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value input,
                             mlir::Value weight, const ConvolutionGeometry &geometry,
                             mlir::RankedTensorType resultType);

/// `result` [N, F, spatial...] plus `bias` [F] along dimension 1.
mlir::Value buildChannelBiasAdd(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value result,
                                mlir::Value bias);

} // namespace qopt

#endif // QOPT_SUPPORT_CONVOLUTION_H
