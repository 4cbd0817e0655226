//===- ConvPoolOps.cpp - ONNX Conv, ConvTranspose, pooling ----------------===//
//
// Convolutions and pools of any spatial rank, NCHW as ONNX has them. 2-D
// convolutions become qopt.conv2d (what weight quantization works on; it
// lowers through the same qopt::buildConvolution). The rest are each one
// linalg.generic over (batch, [group,] channel, output position, window):
// the input is read at `out * stride + k * dilation` of a tensor.pad-ded
// input. Groups are a dimension of their own (weights [G, F/G, C/G, k...]),
// so every loop appears alone in some indexing map. Windows past the padded
// input (ceil_mode) read the pad value; average pools divide by window
// counts computed at import time (shapes are static).
//
//===----------------------------------------------------------------------===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"
#include "../TensorBuilders.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/Convolution.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace qopt;

namespace {

/// The geometry of a sliding window over the spatial dimensions.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, padBegin, padEnd, output;
};

/// Reads kernel_shape (or `kernel` when given), strides, dilations, pads and
/// auto_pad, and computes output sizes (ceil_mode rounds up; a last window
/// starting in the end padding is dropped). `padEnd` is extended so that
/// every window lies inside the padded input.
FailureOr<Window> getWindow(NodeImporter &node, ArrayRef<int64_t> spatial,
                            ArrayRef<int64_t> kernel, bool ceilMode) {
  const size_t rank = spatial.size();
  Window w;
  w.kernel.assign(kernel.begin(), kernel.end());
  w.strides = node.getInts("strides").value_or(SmallVector<int64_t>(rank, 1));
  w.dilations = node.getInts("dilations").value_or(SmallVector<int64_t>(rank, 1));
  SmallVector<int64_t> pads = node.getInts("pads").value_or(SmallVector<int64_t>(2 * rank, 0));
  if (w.kernel.size() != rank || w.strides.size() != rank || w.dilations.size() != rank ||
      pads.size() != 2 * rank)
    return node.emitError() << "kernel, strides, dilations and pads do not match " << rank
                            << " spatial dimensions";
  for (size_t i = 0; i < rank; ++i)
    if (w.kernel[i] < 1 || w.strides[i] < 1 || w.dilations[i] < 1)
      return node.emitError() << "kernel, strides and dilations must be positive";
  std::string autoPad = node.getString("auto_pad", "NOTSET");
  for (size_t i = 0; i < rank; ++i) {
    int64_t extent = (w.kernel[i] - 1) * w.dilations[i] + 1, in = spatial[i], s = w.strides[i];
    int64_t begin = pads[i], end = pads[rank + i], out;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      out = (in + s - 1) / s;
      int64_t total = std::max<int64_t>((out - 1) * s + extent - in, 0);
      begin = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    } else if (autoPad == "VALID") {
      begin = end = 0;
      out = (in - extent) / s + 1;
    } else if (autoPad == "NOTSET") {
      int64_t span = in + begin + end - extent;
      out = (ceilMode ? (span + s - 1) / s : span / s) + 1;
      if (ceilMode && (out - 1) * s >= in + begin)
        --out; // the last window would start in the end padding
    } else {
      return node.emitError() << "unknown auto_pad '" << autoPad << "'";
    }
    if (out < 1)
      return node.emitError() << "the window is larger than the padded input";
    w.padBegin.push_back(begin);
    w.padEnd.push_back(std::max<int64_t>(end, (out - 1) * s + extent - in - begin));
    w.output.push_back(out);
  }
  return w;
}

/// `input` padded on its trailing spatial dimensions with `value`.
Value padSpatial(OpBuilder &b, Location loc, Value input, const Window &w, TypedAttr value) {
  return buildSpatialPad(b, loc, input, w.padBegin, w.padEnd, value);
}

/// Sets output 0 to `result` [N, M, spatial...] plus `bias` [M] (if given)
/// broadcast along the channels.
LogicalResult setWithChannelBias(NodeImporter &node, Value result, Value bias) {
  if (bias) {
    auto type = cast<RankedTensorType>(result.getType());
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getShape() != ArrayRef<int64_t>{type.getDimSize(1)} ||
        biasType.getElementType() != type.getElementType())
      return node.emitError() << "B must be a 1-D tensor of the " << type.getDimSize(1)
                              << " output channels, of the input's element type";
    result = buildChannelBiasAdd(node.getBuilder(), node.getLoc(), result, bias);
  }
  node.setOutput(0, result);
  return success();
}

/// The expression `out * stride + k * dilation` of spatial dimension i.
AffineExpr windowExpr(OpBuilder &b, const Window &w, size_t i, unsigned outDim, unsigned kDim) {
  return b.getAffineDimExpr(outDim) * w.strides[i] + b.getAffineDimExpr(kDim) * w.dilations[i];
}

/// X, W and the optional bias B of Conv and ConvTranspose: X and W float
/// tensors of one element type and one rank >= 3.
struct ConvOperands {
  Value x, weight, bias;
  RankedTensorType xType, wType;
};

FailureOr<ConvOperands> getConvOperands(NodeImporter &node) {
  ConvOperands operands{node.getInput(0), node.getInput(1), node.getInput(2), {}, {}};
  if (!operands.x || !operands.weight)
    return node.emitError() << "needs X and W";
  operands.xType = cast<RankedTensorType>(operands.x.getType());
  operands.wType = cast<RankedTensorType>(operands.weight.getType());
  if (!isa<FloatType>(operands.xType.getElementType()) ||
      operands.wType.getElementType() != operands.xType.getElementType())
    return node.emitError() << "needs float X and W of one type";
  if (operands.xType.getRank() < 3 || operands.wType.getRank() != operands.xType.getRank())
    return node.emitError() << "X and W must have the same rank >= 3";
  return operands;
}

LogicalResult importConv(NodeImporter &node) {
  FailureOr<ConvOperands> operands = getConvOperands(node);
  if (failed(operands))
    return failure();
  auto [x, weight, bias, xType, wType] = *operands;
  Type elementType = xType.getElementType();
  const size_t rank = xType.getRank() - 2;
  int64_t n = xType.getDimSize(0), c = xType.getDimSize(1), m = wType.getDimSize(0);
  int64_t groups = node.getInt("group", 1);
  if (groups < 1 || c % groups || m % groups || wType.getDimSize(1) != c / groups)
    return node.emitError() << "channels " << c << ", " << m << " do not split into " << groups
                            << " groups of W's " << wType.getDimSize(1);
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  if (std::optional<SmallVector<int64_t>> given = node.getInts("kernel_shape"); given && *given != kernel)
    return node.emitError() << "kernel_shape differs from W's shape";
  FailureOr<Window> w = getWindow(node, xType.getShape().drop_front(2), kernel, false);
  if (failed(w))
    return failure();
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  SmallVector<int64_t> shape = {n, m};
  shape.append(w->output.begin(), w->output.end());
  auto resultType = RankedTensorType::get(shape, elementType);
  if (rank == 2) {
    // qopt.conv2d: the unit weight quantization works on.
    if (bias && cast<RankedTensorType>(bias.getType()).getShape() != ArrayRef<int64_t>{m})
      return node.emitError() << "B must be a 1-D tensor of the " << m << " output channels";
    SmallVector<int64_t> pads = {w->padBegin[0], w->padBegin[1], w->padEnd[0], w->padEnd[1]};
    node.setOutput(0, Conv2DOp::create(b, loc, resultType, x, weight, bias, w->strides, w->dilations,
                                       pads, groups));
    return success();
  }
  ConvolutionGeometry geometry{w->strides, w->dilations, w->padBegin, w->padEnd, groups};
  return setWithChannelBias(node, buildConvolution(b, loc, x, weight, geometry, resultType), bias);
}

enum class PoolKind { Max, Average };

/// Window counts of an average pool per output position (shape [1, 1, out...]):
/// the positions inside the input, or inside the explicitly padded input when
/// count_include_pad.
SmallVector<float> averageDivisors(const Window &w, ArrayRef<int64_t> spatial, bool includePad,
                                   ArrayRef<int64_t> explicitEnd) {
  const size_t rank = spatial.size();
  int64_t total = 1;
  for (int64_t o : w.output)
    total *= o;
  SmallVector<float> divisors;
  SmallVector<int64_t> index(rank, 0);
  for (int64_t n = 0; n < total; ++n) {
    int64_t count = 1;
    for (size_t i = 0; i < rank; ++i) {
      int64_t low = includePad ? -w.padBegin[i] : 0;
      int64_t high = includePad ? spatial[i] + explicitEnd[i] : spatial[i];
      int64_t inside = 0;
      for (int64_t k = 0; k < w.kernel[i]; ++k) {
        int64_t position = index[i] * w.strides[i] + k * w.dilations[i] - w.padBegin[i];
        inside += position >= low && position < high;
      }
      count *= inside;
    }
    divisors.push_back(float(std::max<int64_t>(count, 1)));
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < w.output[d])
        break;
      index[d] = 0;
    }
  }
  return divisors;
}

LogicalResult importPool(NodeImporter &node, PoolKind kind) {
  Value x = node.getInput(0);
  if (!x)
    return node.emitError() << "needs an input";
  auto type = cast<RankedTensorType>(x.getType());
  Type elementType = type.getElementType();
  bool isFloat = isa<FloatType>(elementType);
  if (type.getRank() < 3 || !(isFloat || (kind == PoolKind::Max && isa<IntegerType>(elementType))))
    return node.emitError() << "needs an input of rank >= 3, float (or integer for MaxPool)";
  std::optional<SmallVector<int64_t>> kernel = node.getInts("kernel_shape");
  if (!kernel)
    return node.emitError() << "needs kernel_shape";
  bool ceilMode = node.getInt("ceil_mode", 0);
  FailureOr<Window> w = getWindow(node, type.getShape().drop_front(2), *kernel, ceilMode);
  if (failed(w))
    return failure();
  const size_t rank = kernel->size();
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  // Max pools pad with the lowest value of the type, average pools with 0.
  bool isUnsigned = node.isUnsigned(0);
  TypedAttr padValue;
  if (isFloat)
    padValue = b.getFloatAttr(elementType, kind == PoolKind::Max ? -std::numeric_limits<double>::infinity() : 0.0);
  else
    padValue = b.getIntegerAttr(elementType, isUnsigned ? APInt::getMinValue(elementType.getIntOrFloatBitWidth())
                                                        : APInt::getSignedMinValue(elementType.getIntOrFloatBitWidth()));
  // Explicit end pads, before getWindow extended them for ceil_mode.
  SmallVector<int64_t> explicitEnd = w->padEnd;
  if (node.getString("auto_pad", "NOTSET") == "NOTSET")
    if (std::optional<SmallVector<int64_t>> pads = node.getInts("pads"))
      explicitEnd.assign(pads->begin() + rank, pads->end());
  Value padded = padSpatial(b, loc, x, *w, padValue);

  // Loops: n, c, k_1..k_r, o_1..o_r (output positions innermost, as in
  // importConv); the window operand gives k its bounds.
  const unsigned loops = 2 + 2 * rank, firstK = 2, firstOut = 2 + rank;
  SmallVector<AffineExpr> inExprs = {b.getAffineDimExpr(0), b.getAffineDimExpr(1)};
  SmallVector<AffineExpr> windowExprs, outExprs = {b.getAffineDimExpr(0), b.getAffineDimExpr(1)};
  for (size_t i = 0; i < rank; ++i) {
    inExprs.push_back(windowExpr(b, *w, i, firstOut + i, firstK + i));
    windowExprs.push_back(b.getAffineDimExpr(firstK + i));
    outExprs.push_back(b.getAffineDimExpr(firstOut + i));
  }
  AffineMap outMap = AffineMap::get(loops, 0, outExprs, b.getContext());
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, inExprs, b.getContext()),
                                 AffineMap::get(loops, 0, windowExprs, b.getContext()), outMap};
  SmallVector<utils::IteratorType> iterators(loops, utils::IteratorType::parallel);
  for (unsigned d = firstK; d < firstOut; ++d)
    iterators[d] = utils::IteratorType::reduction;
  SmallVector<int64_t> shape = {type.getDimSize(0), type.getDimSize(1)};
  shape.append(w->output.begin(), w->output.end());
  auto outType = RankedTensorType::get(shape, elementType);
  Value init = tensor::EmptyOp::create(b, loc, shape, elementType);
  init = linalg::FillOp::create(b, loc, arith::ConstantOp::create(b, loc, padValue).getResult(), init)
             .getResult(0);
  Value window = tensor::EmptyOp::create(b, loc, *kernel, elementType);
  SmallVector<Value> inits = {init};
  SmallVector<Type> resultTypes = {outType};
  bool withIndices = kind == PoolKind::Max && node.hasOutput(1);
  if (withIndices) {
    // Indices: the flat position of each maximum in the unpadded input,
    // row major (storage_order 0) or with the spatial part column major.
    auto indexType = RankedTensorType::get(shape, b.getI64Type());
    inits.push_back(buildZeroFilled(b, loc, indexType));
    resultTypes.push_back(indexType);
    maps.push_back(outMap);
  }
  bool columnMajor = node.getInt("storage_order", 0);
  SmallVector<int64_t> spatial(type.getShape().drop_front(2));
  auto combine = [&](OpBuilder &nb, Location l, Value accumulator, Value element) -> Value {
    if (kind == PoolKind::Average)
      return arith::AddFOp::create(nb, l, accumulator, element);
    if (isFloat)
      return arith::MaximumFOp::create(nb, l, accumulator, element);
    return isUnsigned ? arith::MaxUIOp::create(nb, l, accumulator, element).getResult()
                      : arith::MaxSIOp::create(nb, l, accumulator, element).getResult();
  };
  auto pooled = linalg::GenericOp::create(
      b, loc, resultTypes, ValueRange{padded, window}, inits, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value combined = combine(nb, l, args[2], args[0]);
        if (!withIndices) {
          linalg::YieldOp::create(nb, l, combined);
          return;
        }
        Value greater = isFloat ? arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, args[0], args[2]).getResult()
                                : arith::CmpIOp::create(nb, l, isUnsigned ? arith::CmpIPredicate::ugt
                                                                          : arith::CmpIPredicate::sgt,
                                                        args[0], args[2])
                                      .getResult();
        // Flat index: ((n * C + c) * D1 + p1) * D2 + p2 ..., p = o*s + k*d - pad.
        auto indexOf = [&](int64_t dim) -> Value {
          return arith::IndexCastOp::create(nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, dim));
        };
        auto constant = [&](int64_t v) -> Value {
          return arith::ConstantIntOp::create(nb, l, nb.getI64Type(), v);
        };
        SmallVector<Value> positions;
        for (size_t i = 0; i < rank; ++i) {
          Value p = arith::AddIOp::create(
              nb, l, arith::MulIOp::create(nb, l, indexOf(firstOut + i), constant(w->strides[i])),
              arith::MulIOp::create(nb, l, indexOf(firstK + i), constant(w->dilations[i])));
          positions.push_back(arith::SubIOp::create(nb, l, p, constant(w->padBegin[i])));
        }
        Value flat = arith::AddIOp::create(
            nb, l, arith::MulIOp::create(nb, l, indexOf(0), constant(type.getDimSize(1))), indexOf(1));
        for (size_t j = 0; j < rank; ++j) {
          size_t i = columnMajor ? rank - 1 - j : j;
          flat = arith::AddIOp::create(nb, l, arith::MulIOp::create(nb, l, flat, constant(spatial[i])),
                                       positions[i]);
        }
        Value index = arith::SelectOp::create(nb, l, greater, flat, args[3]);
        linalg::YieldOp::create(nb, l, ValueRange{combined, index});
      });
  Value result = pooled.getResult(0);
  if (withIndices)
    node.setOutput(1, pooled.getResult(1));
  if (kind == PoolKind::Average) {
    if (!(getElementCount(w->output) >= 0 && getElementCount(w->output) <= (int64_t(1) << 24)))
      return node.emitError() << "the pooled output is too large";
    SmallVector<float> divisors =
        averageDivisors(*w, type.getShape().drop_front(2), node.getInt("count_include_pad", 0), explicitEnd);
    SmallVector<int64_t> divisorShape = {1, 1};
    divisorShape.append(w->output.begin(), w->output.end());
    auto divisorType = RankedTensorType::get(divisorShape, b.getF32Type());
    Value counts = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(divisorType, ArrayRef<float>(divisors)));
    result = buildElementwise(node, {result, counts}, elementType,
                              [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                Value count = args[1];
                                if (count.getType() != elementType)
                                  count = arith::TruncFOp::create(nb, l, elementType, count);
                                return arith::DivFOp::create(nb, l, args[0], count);
                              });
    if (!result)
      return failure();
  }
  node.setOutput(0, result);
  return success();
}

LogicalResult importGlobalPool(NodeImporter &node, PoolKind kind) {
  Value x = node.getInput(0);
  if (!x)
    return node.emitError() << "needs an input";
  auto type = cast<RankedTensorType>(x.getType());
  if (!isa<FloatType>(type.getElementType()) || type.getRank() < 3)
    return node.emitError() << "needs a float input of rank >= 3";
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(2, type.getRank()));
  OpBuilder &b = node.getBuilder();
  Type elementType = type.getElementType();
  Value result = buildReduction(
      b, node.getLoc(), x, axes, true,
      kind == PoolKind::Max ? -std::numeric_limits<double>::infinity() : 0.0,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return kind == PoolKind::Max ? arith::MaximumFOp::create(nb, l, args[0], args[1]).getResult()
                                     : arith::AddFOp::create(nb, l, args[0], args[1]).getResult();
      });
  if (kind == PoolKind::Average) {
    int64_t count = 1;
    for (int64_t axis : axes)
      count *= type.getDimSize(axis);
    result = buildElementwise(node, result, elementType,
                              [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                return arith::DivFOp::create(nb, l, args[0],
                                                             buildScalar(nb, l, elementType, double(count)));
                              });
  }
  node.setOutput(0, result);
  return success();
}

/// ConvTranspose: the input is spread with stride-1 zeros between its
/// elements (tensor.insert_slice with strides into zeros), padded by
/// dilation*(k-1) - pad, and convolved with the spatially flipped kernel
/// whose in/out channels are swapped, per group.
LogicalResult importConvTranspose(NodeImporter &node) {
  FailureOr<ConvOperands> operands = getConvOperands(node);
  if (failed(operands))
    return failure();
  auto [x, weight, bias, xType, wType] = *operands;
  Type elementType = xType.getElementType();
  const size_t rank = xType.getRank() - 2;
  int64_t n = xType.getDimSize(0), c = xType.getDimSize(1);
  int64_t groups = node.getInt("group", 1);
  if (groups < 1 || c % groups || wType.getDimSize(0) != c)
    return node.emitError() << "W's first dimension must be the input channels";
  int64_t cg = c / groups, mg = wType.getDimSize(1), m = mg * groups;
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  SmallVector<int64_t> strides = node.getInts("strides").value_or(SmallVector<int64_t>(rank, 1));
  SmallVector<int64_t> dilations = node.getInts("dilations").value_or(SmallVector<int64_t>(rank, 1));
  SmallVector<int64_t> outputPadding =
      node.getInts("output_padding").value_or(SmallVector<int64_t>(rank, 0));
  SmallVector<int64_t> pads = node.getInts("pads").value_or(SmallVector<int64_t>(2 * rank, 0));
  if (strides.size() != rank || dilations.size() != rank || outputPadding.size() != rank ||
      pads.size() != 2 * rank)
    return node.emitError() << "strides, dilations, output_padding and pads do not match the rank";
  std::string autoPad = node.getString("auto_pad", "NOTSET");
  std::optional<SmallVector<int64_t>> outputShape = node.getInts("output_shape");
  SmallVector<int64_t> output;
  for (size_t i = 0; i < rank; ++i) {
    int64_t in = xType.getDimSize(2 + i);
    int64_t full = strides[i] * (in - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1;
    if (outputShape && outputShape->size() >= rank) {
      int64_t want = (*outputShape)[outputShape->size() - rank + i];
      int64_t total = full - want;
      // ONNX: the extra pad goes at the end only for SAME_UPPER; NOTSET,
      // VALID and SAME_LOWER put it at the start. An output larger than the
      // full result grows at the end, as output_padding does (ONNX Runtime
      // and the reference agree on both).
      bool upper = autoPad == "SAME_UPPER";
      pads[i] = total < 0 ? 0 : upper ? total / 2 : total - total / 2;
      pads[rank + i] = total - pads[i];
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t want = in * strides[i];
      int64_t total = std::max<int64_t>(full - want, 0);
      pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[rank + i] = total - pads[i];
    }
    output.push_back(full - pads[i] - pads[rank + i]);
  }
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  // Spread and pad: element j of the input lands at k_ext - 1 - pad + j * stride.
  SmallVector<int64_t> spreadShape = {n, c};
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0)},
                            sizes = {b.getIndexAttr(n), b.getIndexAttr(c)},
                            steps = {b.getIndexAttr(1), b.getIndexAttr(1)};
  SmallVector<int64_t> cropBegin(rank, 0);
  for (size_t i = 0; i < rank; ++i) {
    int64_t extent = (kernel[i] - 1) * dilations[i];
    int64_t begin = extent - pads[i];
    // Negative begins (pads larger than the kernel extent) are cropped after.
    cropBegin[i] = std::max<int64_t>(-begin, 0);
    int64_t start = std::max<int64_t>(begin, 0);
    int64_t size = start + (xType.getDimSize(2 + i) - 1) * strides[i] + 1 + extent -
                   pads[rank + i] + outputPadding[i] + cropBegin[i];
    spreadShape.push_back(std::max<int64_t>(size, start + (xType.getDimSize(2 + i) - 1) * strides[i] + 1));
    offsets.push_back(b.getIndexAttr(start));
    sizes.push_back(b.getIndexAttr(xType.getDimSize(2 + i)));
    steps.push_back(b.getIndexAttr(strides[i]));
  }
  auto spreadType = RankedTensorType::get(spreadShape, elementType);
  Value spread = tensor::InsertSliceOp::create(b, loc, x, buildZeroFilled(b, loc, spreadType),
                                               offsets, sizes, steps);
  // Convolve with stride 1: out[n, g, f, o] += spread[n, g, c, o + k*d] * w[g, c, f, K-1-k].
  SmallVector<int64_t> inShape = {n, groups, cg};
  inShape.append(spreadShape.begin() + 2, spreadShape.end());
  SmallVector<int64_t> wShape = {groups, cg, mg};
  wShape.append(kernel.begin(), kernel.end());
  Value input = buildStaticReshape(b, loc, spread, inShape);
  Value filter = buildStaticReshape(b, loc, weight, wShape);
  // Loops as in qopt::buildConvolution: n, g, f, c, k_1..k_r, o_1..o_r.
  const unsigned loops = 4 + 2 * rank, cDim = 3, firstK = 4, firstOut = 4 + rank;
  SmallVector<AffineExpr> inExprs = {b.getAffineDimExpr(0), b.getAffineDimExpr(1), b.getAffineDimExpr(cDim)};
  SmallVector<AffineExpr> wExprs = {b.getAffineDimExpr(1), b.getAffineDimExpr(cDim), b.getAffineDimExpr(2)};
  SmallVector<AffineExpr> outExprs = {b.getAffineDimExpr(0), b.getAffineDimExpr(1), b.getAffineDimExpr(2)};
  SmallVector<int64_t> outShape = {n, groups, mg};
  for (size_t i = 0; i < rank; ++i) {
    inExprs.push_back(b.getAffineDimExpr(firstOut + i) + cropBegin[i] +
                      b.getAffineDimExpr(firstK + i) * dilations[i]);
    wExprs.push_back(kernel[i] - 1 - b.getAffineDimExpr(firstK + i));
    outExprs.push_back(b.getAffineDimExpr(firstOut + i));
    outShape.push_back(output[i]);
  }
  // The kernel loops need a pure appearance: a window operand of kernel shape.
  SmallVector<AffineExpr> windowExprs;
  for (size_t i = 0; i < rank; ++i)
    windowExprs.push_back(b.getAffineDimExpr(firstK + i));
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, inExprs, b.getContext()),
                                 AffineMap::get(loops, 0, wExprs, b.getContext()),
                                 AffineMap::get(loops, 0, windowExprs, b.getContext()),
                                 AffineMap::get(loops, 0, outExprs, b.getContext())};
  SmallVector<utils::IteratorType> iterators(loops, utils::IteratorType::parallel);
  for (unsigned d = cDim; d < firstOut; ++d)
    iterators[d] = utils::IteratorType::reduction;
  auto outType = RankedTensorType::get(outShape, elementType);
  Value window = tensor::EmptyOp::create(b, loc, kernel, elementType);
  Value result =
      buildMultiplyAccumulate(b, loc, ValueRange{input, filter, window}, maps, iterators, outType);
  SmallVector<int64_t> shape = {n, m};
  shape.append(output.begin(), output.end());
  return setWithChannelBias(node, buildStaticReshape(b, loc, result, shape), bias);
}

} // namespace

void qopt::registerConvPoolOps(OnnxOpRegistry &registry) {
  registry.add("", "Conv", {1, 11, 22}, importConv);
  registry.add("", "ConvTranspose", {1, 11, 22}, importConvTranspose);
  registry.add("", "MaxPool", {1, 8, 10, 11, 12, 22}, [](NodeImporter &node) { return importPool(node, PoolKind::Max); });
  registry.add("", "AveragePool", {1, 7, 10, 11, 19, 22},
               [](NodeImporter &node) { return importPool(node, PoolKind::Average); });
  registry.add("", "GlobalAveragePool", {1, 22},
               [](NodeImporter &node) { return importGlobalPool(node, PoolKind::Average); });
  registry.add("", "GlobalMaxPool", {1, 22},
               [](NodeImporter &node) { return importGlobalPool(node, PoolKind::Max); });
}
