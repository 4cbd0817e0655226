//===- Convolution.cpp - Convolutions as linalg on tensors ----------------===//

#include "qopt/Support/Convolution.h"

#include "qopt/Support/TensorOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value qopt::buildSpatialPad(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> padBegin,
                            ArrayRef<int64_t> padEnd, TypedAttr value) {
  auto type = cast<RankedTensorType>(input.getType());
  if (llvm::all_of(padBegin, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(padEnd, [](int64_t p) { return p == 0; }))
    return input;
  int64_t lead = type.getRank() - int64_t(padBegin.size());
  SmallVector<int64_t> shape(type.getShape());
  SmallVector<OpFoldResult> low(lead, b.getIndexAttr(0)), high(lead, b.getIndexAttr(0));
  for (size_t i = 0; i < padBegin.size(); ++i) {
    low.push_back(b.getIndexAttr(padBegin[i]));
    high.push_back(b.getIndexAttr(padEnd[i]));
    shape[lead + i] += padBegin[i] + padEnd[i];
  }
  Value padValue = arith::ConstantOp::create(b, loc, value);
  return tensor::PadOp::create(b, loc, RankedTensorType::get(shape, type.getElementType()), input, low,
                               high, padValue);
}

Value qopt::buildConvolution(OpBuilder &b, Location loc, Value x, Value weight,
                             const ConvolutionGeometry &geometry, RankedTensorType resultType) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(weight.getType());
  Type elementType = xType.getElementType();
  const size_t rank = xType.getRank() - 2;
  const int64_t groups = geometry.groups;
  int64_t n = xType.getDimSize(0), c = xType.getDimSize(1), m = wType.getDimSize(0);
  int64_t cg = c / groups, mg = m / groups;
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
  ArrayRef<int64_t> output = resultType.getShape().drop_front(2);

  // [N, G, C/G, spatial...] input and [G, M/G, C/G, k...] weights.
  Value padded = buildSpatialPad(b, loc, x, geometry.padBegin, geometry.padEnd,
                                 b.getFloatAttr(elementType, 0.0));
  auto paddedType = cast<RankedTensorType>(padded.getType());
  SmallVector<int64_t> inShape = {n, groups, cg};
  inShape.append(paddedType.getShape().begin() + 2, paddedType.getShape().end());
  SmallVector<int64_t> wShape = {groups, mg, cg};
  wShape.append(kernel.begin(), kernel.end());
  SmallVector<int64_t> outShape = {n, groups, mg};
  outShape.append(output.begin(), output.end());
  Value input = buildStaticReshape(b, loc, padded, inShape);
  Value filter = buildStaticReshape(b, loc, weight, wShape);

  // Loops: n, g, f, c, k_1..k_r, o_1..o_r; the reductions over c and the
  // window run outside the output positions.
  const unsigned loops = 4 + 2 * rank, cDim = 3, firstK = 4, firstOut = 4 + rank;
  SmallVector<AffineExpr> inExprs = {b.getAffineDimExpr(0), b.getAffineDimExpr(1), b.getAffineDimExpr(cDim)};
  SmallVector<AffineExpr> wExprs = {b.getAffineDimExpr(1), b.getAffineDimExpr(2), b.getAffineDimExpr(cDim)};
  SmallVector<AffineExpr> outExprs = {b.getAffineDimExpr(0), b.getAffineDimExpr(1), b.getAffineDimExpr(2)};
  for (size_t i = 0; i < rank; ++i) {
    inExprs.push_back(b.getAffineDimExpr(firstOut + i) * geometry.strides[i] +
                      b.getAffineDimExpr(firstK + i) * geometry.dilations[i]);
    wExprs.push_back(b.getAffineDimExpr(firstK + i));
    outExprs.push_back(b.getAffineDimExpr(firstOut + i));
  }
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, inExprs, b.getContext()),
                                 AffineMap::get(loops, 0, wExprs, b.getContext()),
                                 AffineMap::get(loops, 0, outExprs, b.getContext())};
  SmallVector<utils::IteratorType> iterators(loops, utils::IteratorType::parallel);
  for (unsigned d = cDim; d < firstOut; ++d)
    iterators[d] = utils::IteratorType::reduction;
  Value result = buildMultiplyAccumulate(b, loc, ValueRange{input, filter}, maps, iterators,
                                         RankedTensorType::get(outShape, elementType));
  return buildStaticReshape(b, loc, result, resultType.getShape());
}

Value qopt::buildChannelBiasAdd(OpBuilder &b, Location loc, Value result, Value bias) {
  auto type = cast<RankedTensorType>(result.getType());
  int64_t rank = type.getRank();
  MLIRContext *context = b.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, context);
  AffineMap channel = AffineMap::get(rank, 0, {b.getAffineDimExpr(1)}, context);
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(b, loc, TypeRange{type}, ValueRange{result, bias}, ValueRange{init},
                                   ArrayRef<AffineMap>{identity, channel, identity}, iterators,
                                   [](OpBuilder &nb, Location l, ValueRange args) {
                                     linalg::YieldOp::create(
                                         nb, l, ValueRange{arith::AddFOp::create(nb, l, args[0], args[1])});
                                   })
      .getResult(0);
}
