//===- ShapeOps.cpp - ONNX shape and data-movement ops --------------------===//
//
// Shapes are static, so Shape is a constant and shape subgraphs (Shape ->
// Gather -> Unsqueeze -> Concat -> Reshape) are evaluated at import time on
// small constants (HostInts). On tensors the ops become tensor reshapes,
// extract/insert_slice, linalg.transpose, and generics (Gather, Tile).
//
//===----------------------------------------------------------------------===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"
#include "../TensorBuilders.h"

#include "qopt/Support/ConstantTensor.h"

#include "onnx/onnx-ml.pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/Support/CheckedArithmetic.h"

#include <limits>
#include <numeric>

using namespace mlir;
using namespace qopt;

namespace {

/// The product of `dims`, saturated at INT64_MAX (shapes read from a file
/// may overflow; no element count equals the saturated value).
int64_t product(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    std::optional<int64_t> next = llvm::checkedMul(n, d);
    if (!next)
      return std::numeric_limits<int64_t>::max();
    n = *next;
  }
  return n;
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Sets output 0 to `input` reshaped to `shape`: a constant when the input is
/// a host constant, else a tensor reshape.
LogicalResult setReshaped(NodeImporter &node, ArrayRef<int64_t> shape) {
  auto type = node.getInputType(0);
  if (getElementCount(shape) != type.getNumElements())
    return node.emitError() << "cannot reshape " << type.getNumElements() << " elements to a shape of "
                            << product(shape);
  if (std::optional<HostInts> ints = node.getHostInts(0)) {
    ints->shape.assign(shape.begin(), shape.end());
    node.setOutput(0, node.createConstant(*ints, type.getElementType()));
    return success();
  }
  node.setOutput(0, buildStaticReshape(node.getBuilder(), node.getLoc(), node.getInput(0), shape));
  return success();
}

/// Axes from input `index` (newer opsets) or the `axes` attribute:
/// std::nullopt when absent, failure when given but not constant.
FailureOr<std::optional<SmallVector<int64_t>>> getAxes(NodeImporter &node, bool fromInput,
                                                       unsigned index) {
  if (!fromInput)
    return node.getInts("axes");
  if (!node.hasInput(index))
    return std::optional<SmallVector<int64_t>>();
  std::optional<SmallVector<int64_t>> axes = node.getConstantInts(index);
  if (!axes)
    return node.emitError() << "axes must be a constant";
  return axes;
}

LogicalResult importShape(NodeImporter &node) {
  auto type = node.getInputType(0);
  if (!type)
    return node.emitError() << "needs an input";
  int64_t rank = type.getRank();
  int64_t start = node.getInt("start", 0), end = node.getInt("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  HostInts shape;
  shape.values.assign(type.getShape().begin() + start, type.getShape().begin() + std::max(start, end));
  shape.shape = {int64_t(shape.values.size())};
  node.setOutput(0, node.createConstant(shape, node.getBuilder().getI64Type()));
  return success();
}

LogicalResult importReshape(NodeImporter &node) {
  auto type = node.getInputType(0);
  std::optional<SmallVector<int64_t>> requested = node.getConstantInts(1);
  if (!type || !requested)
    return node.emitError() << "needs an input and a constant shape";
  bool allowZero = node.getInt("allowzero", 0);
  SmallVector<int64_t> shape;
  int inferred = -1;
  for (auto [i, dim] : llvm::enumerate(*requested)) {
    if (dim == 0 && !allowZero) {
      if (int64_t(i) >= type.getRank())
        return node.emitError() << "shape copies dimension " << i << " the input does not have";
      shape.push_back(type.getDimSize(i));
    } else if (dim == -1) {
      if (inferred >= 0)
        return node.emitError() << "shape has more than one -1";
      inferred = int(i);
      shape.push_back(1);
    } else if (dim < 0) {
      return node.emitError() << "invalid dimension " << dim << " in the shape";
    } else {
      shape.push_back(dim);
    }
  }
  if (inferred >= 0) {
    int64_t known = product(shape);
    if (known == 0 || type.getNumElements() % known != 0)
      return node.emitError() << "cannot infer the -1 dimension";
    shape[inferred] = type.getNumElements() / known;
  }
  return setReshaped(node, shape);
}

LogicalResult importFlatten(NodeImporter &node) {
  auto type = node.getInputType(0);
  if (!type)
    return node.emitError() << "needs an input";
  int64_t axis = node.getInt("axis", 1);
  if (axis < 0)
    axis += type.getRank();
  if (axis < 0 || axis > type.getRank())
    return node.emitError() << "axis out of range";
  return setReshaped(node, {product(type.getShape().take_front(axis)),
                            product(type.getShape().drop_front(axis))});
}

LogicalResult importSqueeze(NodeImporter &node, bool axesFromInput) {
  auto type = node.getInputType(0);
  if (!type)
    return node.emitError() << "needs an input";
  FailureOr<std::optional<SmallVector<int64_t>>> given = getAxes(node, axesFromInput, 1);
  if (failed(given))
    return failure();
  std::optional<SmallVector<int64_t>> axes = *given;
  SmallVector<int64_t> shape;
  if (!axes || axes->empty()) {
    for (int64_t dim : type.getShape())
      if (dim != 1)
        shape.push_back(dim);
    return setReshaped(node, shape);
  }
  std::optional<SmallVector<int64_t>> normalized = normalizeAxes(node, *axes, type.getRank());
  if (!normalized)
    return failure();
  for (int64_t d = 0; d < type.getRank(); ++d) {
    bool squeezed = llvm::is_contained(*normalized, d);
    if (squeezed && type.getDimSize(d) != 1)
      return node.emitError() << "cannot squeeze dimension " << d << " of size " << type.getDimSize(d);
    if (!squeezed)
      shape.push_back(type.getDimSize(d));
  }
  return setReshaped(node, shape);
}

LogicalResult importUnsqueeze(NodeImporter &node, bool axesFromInput) {
  auto type = node.getInputType(0);
  FailureOr<std::optional<SmallVector<int64_t>>> given = getAxes(node, axesFromInput, 1);
  if (failed(given))
    return failure();
  std::optional<SmallVector<int64_t>> axes = *given;
  if (!type || !axes)
    return node.emitError() << "needs an input and constant axes";
  int64_t rank = type.getRank() + int64_t(axes->size());
  std::optional<SmallVector<int64_t>> normalized = normalizeAxes(node, *axes, rank);
  if (!normalized)
    return failure();
  SmallVector<int64_t> shape;
  auto dims = type.getShape();
  for (int64_t d = 0, next = 0; d < rank; ++d)
    shape.push_back(llvm::is_contained(*normalized, d) ? 1 : dims[next++]);
  return setReshaped(node, shape);
}

LogicalResult importTranspose(NodeImporter &node) {
  auto type = node.getInputType(0);
  if (!type)
    return node.emitError() << "needs an input";
  SmallVector<int64_t> perm;
  if (std::optional<SmallVector<int64_t>> given = node.getInts("perm"))
    perm = *given;
  else
    for (int64_t d = type.getRank() - 1; d >= 0; --d)
      perm.push_back(d);
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  if (int64_t(perm.size()) != type.getRank() || !llvm::equal(sorted, llvm::seq<int64_t>(0, type.getRank())))
    return node.emitError() << "perm is not a permutation of the input's dimensions";
  SmallVector<int64_t> shape;
  for (int64_t d : perm)
    shape.push_back(type.getDimSize(d));
  if (std::optional<HostInts> ints = node.getHostInts(0)) {
    HostInts result{shape, {}};
    SmallVector<int64_t> inStrides = stridesOf(type.getShape()), index(shape.size(), 0);
    for (int64_t n = 0; n < product(shape); ++n) {
      int64_t offset = 0;
      for (size_t d = 0; d < shape.size(); ++d)
        offset += index[d] * inStrides[perm[d]];
      result.values.push_back(ints->values[offset]);
      for (size_t d = shape.size(); d-- > 0;) {
        if (++index[d] < shape[d])
          break;
        index[d] = 0;
      }
    }
    node.setOutput(0, node.createConstant(result, type.getElementType()));
    return success();
  }
  OpBuilder &b = node.getBuilder();
  Value init = tensor::EmptyOp::create(b, node.getLoc(), shape, type.getElementType());
  node.setOutput(0, linalg::TransposeOp::create(b, node.getLoc(), node.getInput(0), init,
                                                b.getDenseI64ArrayAttr(perm))
                        .getResult()[0]);
  return success();
}

LogicalResult importConcat(NodeImporter &node) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < node.getNumInputs(); ++i)
    if (Value input = node.getInput(i))
      inputs.push_back(input);
  if (inputs.empty())
    return node.emitError() << "needs inputs";
  auto first = cast<RankedTensorType>(inputs[0].getType());
  std::optional<SmallVector<int64_t>> axisList =
      normalizeAxes(node, {node.getInt("axis", 0)}, first.getRank());
  if (!axisList)
    return failure();
  int64_t axis = (*axisList)[0];
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value input : inputs) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getRank() != first.getRank() || type.getElementType() != first.getElementType())
      return node.emitError() << "inputs differ in rank or element type";
    for (int64_t d = 0; d < first.getRank(); ++d)
      if (d != axis && type.getDimSize(d) != first.getDimSize(d))
        return node.emitError() << "inputs differ outside the concatenation axis";
    shape[axis] += type.getDimSize(axis);
  }
  // Import-time evaluation when every input is a host constant.
  SmallVector<HostInts> hostInputs;
  for (unsigned i = 0; i < node.getNumInputs(); ++i)
    if (node.hasInput(i))
      if (std::optional<HostInts> ints = node.getHostInts(i))
        hostInputs.push_back(*ints);
  if (hostInputs.size() == inputs.size() && fitsOnHost(shape)) {
    HostInts result{shape, {}};
    int64_t outer = product(ArrayRef<int64_t>(shape).take_front(axis));
    for (int64_t o = 0; o < outer; ++o)
      for (const HostInts &input : hostInputs) {
        int64_t inner = product(ArrayRef<int64_t>(input.shape).drop_front(axis));
        result.values.append(input.values.begin() + o * inner, input.values.begin() + (o + 1) * inner);
      }
    node.setOutput(0, node.createConstant(result, first.getElementType()));
    return success();
  }
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  Value result = tensor::EmptyOp::create(b, loc, shape, first.getElementType());
  SmallVector<OpFoldResult> offsets(shape.size(), b.getIndexAttr(0)),
      strides(shape.size(), b.getIndexAttr(1));
  int64_t position = 0;
  for (Value input : inputs) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getNumElements() == 0)
      continue; // nothing to insert (and its offset may be the end)
    offsets[axis] = b.getIndexAttr(position);
    SmallVector<OpFoldResult> sizes;
    for (int64_t dim : type.getShape())
      sizes.push_back(b.getIndexAttr(dim));
    result = tensor::InsertSliceOp::create(b, loc, input, result, offsets, sizes, strides);
    position += type.getDimSize(axis);
  }
  node.setOutput(0, result);
  return success();
}

/// Extracts [starts, starts + sizes * steps) with `steps` per dimension.
Value extractSlice(NodeImporter &node, Value input, ArrayRef<int64_t> starts,
                   ArrayRef<int64_t> sizes, ArrayRef<int64_t> steps) {
  OpBuilder &b = node.getBuilder();
  auto toAttrs = [&](ArrayRef<int64_t> values) {
    SmallVector<OpFoldResult> attrs;
    for (int64_t v : values)
      attrs.push_back(b.getIndexAttr(v));
    return attrs;
  };
  auto type = cast<RankedTensorType>(input.getType());
  auto resultType = RankedTensorType::get(sizes, type.getElementType());
  // An empty slice may start at the end; tensor.extract_slice wants offsets
  // inside the source, and an empty slice reads nothing from anywhere.
  SmallVector<int64_t> offsets(starts);
  for (size_t d = 0; d < sizes.size(); ++d)
    if (sizes[d] == 0)
      offsets[d] = 0;
  return tensor::ExtractSliceOp::create(b, node.getLoc(), resultType, input, toAttrs(offsets),
                                        toAttrs(sizes), toAttrs(steps));
}

/// Slice-1 takes starts, ends and axes as attributes (no steps); Slice-10
/// on as inputs, with steps.
LogicalResult importSlice(NodeImporter &node) {
  auto type = node.getInputType(0);
  const bool fromAttributes = node.getOpset() < 10;
  std::optional<SmallVector<int64_t>> starts, ends;
  if (fromAttributes) {
    starts = node.getInts("starts");
    ends = node.getInts("ends");
  } else {
    starts = node.getConstantInts(1);
    ends = node.getConstantInts(2);
  }
  if (!type || !starts || !ends || starts->size() != ends->size())
    return node.emitError() << (fromAttributes
                                    ? "needs an input and starts/ends attributes of one length"
                                    : "needs an input and constant starts/ends of one length");
  SmallVector<int64_t> axes, steps(starts->size(), 1);
  if (fromAttributes) {
    axes = node.getInts("axes").value_or(
        llvm::to_vector(llvm::seq<int64_t>(0, int64_t(starts->size()))));
  } else if (node.hasInput(3)) {
    std::optional<SmallVector<int64_t>> given = node.getConstantInts(3);
    if (!given)
      return node.emitError() << "axes must be constant";
    axes = *given;
  } else {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, int64_t(starts->size())));
  }
  if (!fromAttributes && node.hasInput(4)) {
    std::optional<SmallVector<int64_t>> given = node.getConstantInts(4);
    if (!given)
      return node.emitError() << "steps must be constant";
    steps = *given;
  }
  if (axes.size() != starts->size() || steps.size() != starts->size())
    return node.emitError() << "starts, ends, axes and steps differ in length";
  int64_t rank = type.getRank();
  SmallVector<int64_t> offsets(rank, 0), sizes(type.getShape()), strides(rank, 1), reversed;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank)
      return node.emitError() << "axis " << axes[i] << " is out of range";
    int64_t dim = type.getDimSize(axis), step = steps[i];
    if (step == 0)
      return node.emitError() << "steps must not be 0";
    // ONNX: negative indices count from the end; then clamp to [0, dim]
    // for positive steps, [-1, dim - 1] for negative ones.
    auto clampIndex = [&](int64_t v) {
      if (v < 0)
        v += dim;
      return step > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
    };
    int64_t start = clampIndex((*starts)[i]), end = clampIndex((*ends)[i]);
    if (step > 0) {
      offsets[axis] = start;
      sizes[axis] = end > start ? (end - start + step - 1) / step : 0;
      strides[axis] = step;
    } else {
      // Reversed: read forward from the last selected element, then flip.
      int64_t count = start > end ? (start - end + (-step) - 1) / (-step) : 0;
      offsets[axis] = count ? start - (count - 1) * (-step) : 0;
      sizes[axis] = count;
      strides[axis] = -step;
      reversed.push_back(axis);
    }
  }
  if (std::optional<HostInts> ints = node.getHostInts(0)) {
    HostInts result{sizes, {}};
    SmallVector<int64_t> inStrides = stridesOf(type.getShape()), index(rank, 0);
    for (int64_t n = 0; n < product(sizes); ++n) {
      int64_t offset = 0;
      for (int64_t d = 0; d < rank; ++d) {
        int64_t i = llvm::is_contained(reversed, d) ? sizes[d] - 1 - index[d] : index[d];
        offset += (offsets[d] + i * strides[d]) * inStrides[d];
      }
      result.values.push_back(ints->values[offset]);
      for (int64_t d = rank; d-- > 0;) {
        if (++index[d] < sizes[d])
          break;
        index[d] = 0;
      }
    }
    node.setOutput(0, node.createConstant(result, type.getElementType()));
    return success();
  }
  Value slice = extractSlice(node, node.getInput(0), offsets, sizes, strides);
  if (!reversed.empty()) {
    // Flip the reversed axes: a generic reading (size - 1 - i) along them.
    OpBuilder &b = node.getBuilder();
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank; ++d)
      exprs.push_back(llvm::is_contained(reversed, d) ? sizes[d] - 1 - b.getAffineDimExpr(d)
                                                      : b.getAffineDimExpr(d));
    Value init = tensor::EmptyOp::create(b, node.getLoc(), sizes, type.getElementType());
    slice = linalg::GenericOp::create(
                b, node.getLoc(), TypeRange{init.getType()}, ValueRange{slice}, ValueRange{init},
                ArrayRef<AffineMap>{AffineMap::get(rank, 0, exprs, b.getContext()),
                                    b.getMultiDimIdentityMap(rank)},
                SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
                [](OpBuilder &nb, Location l, ValueRange args) { linalg::YieldOp::create(nb, l, args[0]); })
                .getResult(0);
  }
  node.setOutput(0, slice);
  return success();
}

/// Split-13 (sizes from input 1) and Split-18 (or num_outputs).
LogicalResult importSplit(NodeImporter &node) {
  auto type = node.getInputType(0);
  if (!type)
    return node.emitError() << "needs an input";
  std::optional<SmallVector<int64_t>> axisList =
      normalizeAxes(node, {node.getInt("axis", 0)}, type.getRank());
  if (!axisList)
    return failure();
  int64_t axis = (*axisList)[0], dim = type.getDimSize(axis);
  int64_t count = node.getNumOutputs();
  if (count < 1)
    return node.emitError() << "needs at least one output";
  SmallVector<int64_t> sizes;
  if (node.hasInput(1)) {
    std::optional<SmallVector<int64_t>> given = node.getConstantInts(1);
    if (!given)
      return node.emitError() << "split sizes must be constant";
    sizes = *given;
  } else if (std::optional<SmallVector<int64_t>> attr = node.getInts("split"); attr && !attr->empty()) {
    sizes = *attr;
  } else {
    // Equal parts, the last one smaller if the size does not divide.
    int64_t part = (dim + count - 1) / count;
    for (int64_t i = 0; i < count; ++i)
      sizes.push_back(std::min(part, dim - i * part));
  }
  if (int64_t(sizes.size()) != count || product(sizes) < 0 ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != dim)
    return node.emitError() << "split sizes do not add up to dimension " << dim;
  SmallVector<int64_t> offsets(type.getRank(), 0), shape(type.getShape()), steps(type.getRank(), 1);
  for (int64_t i = 0; i < count; ++i) {
    shape[axis] = sizes[i];
    node.setOutput(i, extractSlice(node, node.getInput(0), offsets, shape, steps));
    offsets[axis] += sizes[i];
  }
  return success();
}

LogicalResult importGather(NodeImporter &node) {
  auto dataType = node.getInputType(0), indicesType = node.getInputType(1);
  if (!dataType || !indicesType || !isa<IntegerType>(indicesType.getElementType()))
    return node.emitError() << "needs data and integer indices";
  std::optional<SmallVector<int64_t>> axisList =
      normalizeAxes(node, {node.getInt("axis", 0)}, dataType.getRank());
  if (!axisList)
    return failure();
  int64_t axis = (*axisList)[0], axisSize = dataType.getDimSize(axis);
  SmallVector<int64_t> shape(dataType.getShape().take_front(axis));
  shape.append(indicesType.getShape().begin(), indicesType.getShape().end());
  shape.append(dataType.getShape().begin() + axis + 1, dataType.getShape().end());

  std::optional<HostInts> indices = node.getHostInts(1);
  if (indices)
    for (int64_t index : indices->values)
      if (index < -axisSize || index >= axisSize)
        return node.emitError() << "index " << index << " is out of range for dimension " << axisSize;
  if (std::optional<HostInts> data = node.getHostInts(0); data && indices && fitsOnHost(shape)) {
    HostInts result{shape, {}};
    int64_t outer = product(dataType.getShape().take_front(axis));
    int64_t inner = product(dataType.getShape().drop_front(axis + 1));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t index : indices->values) {
        int64_t row = index < 0 ? index + axisSize : index;
        auto begin = data->values.begin() + (o * axisSize + row) * inner;
        result.values.append(begin, begin + inner);
      }
    node.setOutput(0, node.createConstant(result, dataType.getElementType()));
    return success();
  }

  // out[o..., i..., r...] = data[o..., wrap(indices[i...]), r...]
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  const int64_t rank = int64_t(shape.size()), indexRank = indicesType.getRank();
  SmallVector<AffineExpr> indexExprs;
  for (int64_t d = 0; d < indexRank; ++d)
    indexExprs.push_back(b.getAffineDimExpr(axis + d));
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, indexExprs, b.getContext()),
                                 b.getMultiDimIdentityMap(rank)};
  Value data = node.getInput(0);
  Value init = tensor::EmptyOp::create(b, loc, shape, dataType.getElementType());
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  Value result =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{node.getInput(1)}, ValueRange{init}, maps,
          iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value index = arith::IndexCastOp::create(nb, l, nb.getIndexType(), args[0]);
            Value size = arith::ConstantIndexOp::create(nb, l, axisSize);
            Value negative = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, index,
                                                   arith::ConstantIndexOp::create(nb, l, 0));
            Value wrapped = arith::SelectOp::create(nb, l, negative,
                                                    arith::AddIOp::create(nb, l, index, size), index);
            SmallVector<Value> coordinates;
            for (int64_t d = 0; d < axis; ++d)
              coordinates.push_back(linalg::IndexOp::create(nb, l, d));
            coordinates.push_back(wrapped);
            for (int64_t d = axis + indexRank; d < rank; ++d)
              coordinates.push_back(linalg::IndexOp::create(nb, l, d));
            Value element = tensor::ExtractOp::create(nb, l, data, coordinates);
            linalg::YieldOp::create(nb, l, element);
          })
          .getResult(0);
  node.setOutput(0, result);
  return success();
}

LogicalResult importExpand(NodeImporter &node) {
  auto type = node.getInputType(0);
  std::optional<SmallVector<int64_t>> shape = node.getConstantInts(1);
  if (!type || !shape)
    return node.emitError() << "needs an input and a constant shape";
  Value result = buildElementwise(node, node.getInput(0), type.getElementType(),
                                  [](OpBuilder &, Location, ValueRange args) { return args[0]; },
                                  *shape);
  if (!result)
    return failure();
  node.setOutput(0, result);
  return success();
}

LogicalResult importTile(NodeImporter &node) {
  auto type = node.getInputType(0);
  std::optional<SmallVector<int64_t>> repeats = node.getConstantInts(1);
  if (!type || !repeats || int64_t(repeats->size()) != type.getRank())
    return node.emitError() << "needs an input and constant repeats, one per dimension";
  OpBuilder &b = node.getBuilder();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    std::optional<int64_t> size = (*repeats)[d] >= 0 ? llvm::checkedMul(type.getDimSize(d), (*repeats)[d])
                                                     : std::nullopt;
    if (!size)
      return node.emitError() << "repeats " << (*repeats)[d] << " of dimension " << d << " give no valid size";
    shape.push_back(*size);
    exprs.push_back(b.getAffineDimExpr(d) % type.getDimSize(d));
  }
  const int64_t rank = type.getRank();
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, exprs, b.getContext()),
                                 b.getMultiDimIdentityMap(rank)};
  Value init = tensor::EmptyOp::create(b, node.getLoc(), shape, type.getElementType());
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  node.setOutput(0, linalg::GenericOp::create(b, node.getLoc(), TypeRange{init.getType()},
                                              ValueRange{node.getInput(0)}, ValueRange{init}, maps,
                                              iterators,
                                              [](OpBuilder &nb, Location l, ValueRange args) {
                                                linalg::YieldOp::create(nb, l, args[0]);
                                              })
                        .getResult(0));
  return success();
}

LogicalResult importConstantOfShape(NodeImporter &node) {
  std::optional<SmallVector<int64_t>> shape = node.getConstantInts(0);
  if (!shape)
    return node.emitError() << "needs a constant shape";
  OpBuilder &b = node.getBuilder();
  Attribute value = b.getF32FloatAttr(0.0f);
  Type elementType = b.getF32Type();
  if (const onnx::AttributeProto *attribute = node.getAttribute("value")) {
    Value constant = importOnnxTensor(b, node.getLoc(), attribute->t(), "ConstantOfShape value");
    auto dense = constant ? dyn_cast<DenseElementsAttr>(getConstantTensor(constant)) : DenseElementsAttr();
    if (!dense || dense.getNumElements() != 1)
      return node.emitError() << "value must hold one element";
    constant.getDefiningOp()->erase();
    elementType = dense.getElementType();
    value = dense.getSplatValue<Attribute>();
  }
  if (getElementCount(*shape) < 0)
    return node.emitError() << "invalid shape";
  auto type = RankedTensorType::get(*shape, elementType);
  node.setOutput(0, arith::ConstantOp::create(b, node.getLoc(), DenseElementsAttr::get(type, value)));
  return success();
}

LogicalResult importRange(NodeImporter &node) {
  auto type = node.getInputType(0);
  if (!type)
    return node.emitError() << "needs start, limit and delta";
  OpBuilder &b = node.getBuilder();
  std::optional<HostInts> start = node.getHostInts(0), limit = node.getHostInts(1),
                          delta = node.getHostInts(2);
  if (start && limit && delta) {
    int64_t first = start->values[0], last = limit->values[0], step = delta->values[0];
    if (step == 0)
      return node.emitError() << "delta is 0";
    // ONNX: max(ceil((limit - start) / delta), 0) elements.
    double count = std::ceil((double(last) - double(first)) / double(step));
    if (count > double(NodeImporter::kMaxHostElements))
      return node.emitError() << "Range of " << count << " elements is too large to fold";
    HostInts result;
    for (int64_t i = 0; i < int64_t(std::max(count, 0.0)); ++i)
      result.values.push_back(first + i * step);
    result.shape = {int64_t(result.values.size())};
    node.setOutput(0, node.createConstant(result, type.getElementType()));
    return success();
  }
  std::optional<double> fstart = node.getConstantScalar(0), flimit = node.getConstantScalar(1),
                        fdelta = node.getConstantScalar(2);
  if (!fstart || !flimit || !fdelta || *fdelta == 0)
    return node.emitError() << "start, limit and delta must be constant scalars, delta non-zero";
  double steps = std::ceil((*flimit - *fstart) / *fdelta);
  if (!(steps <= double(1 << 24)))
    return node.emitError() << "Range of " << steps << " elements is too large";
  int64_t count = std::max<int64_t>(int64_t(steps), 0);
  SmallVector<APFloat> values;
  auto floatType = cast<FloatType>(type.getElementType());
  for (int64_t i = 0; i < count; ++i) {
    APFloat value(*fstart + double(i) * *fdelta);
    bool lost;
    value.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    values.push_back(value);
  }
  auto resultType = RankedTensorType::get({count}, floatType);
  node.setOutput(0, arith::ConstantOp::create(b, node.getLoc(), DenseElementsAttr::get(resultType, values)));
  return success();
}

/// Trilu-14: keep the upper (or lower) triangle of the last two dimensions,
/// shifted by k, zero elsewhere.
LogicalResult importTrilu(NodeImporter &node) {
  auto type = node.getInputType(0);
  if (!type || type.getRank() < 2)
    return node.emitError() << "needs an input of rank >= 2";
  int64_t k = 0;
  if (node.hasInput(1)) {
    std::optional<SmallVector<int64_t>> given = node.getConstantInts(1);
    if (!given || given->size() != 1)
      return node.emitError() << "k must be a constant scalar";
    k = (*given)[0];
  }
  bool upper = node.getInt("upper", 1);
  int64_t rank = type.getRank();
  Type elementType = type.getElementType();
  Value result = buildElementwise(node, node.getInput(0), elementType,
                                  [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                                    Value row = linalg::IndexOp::create(b, l, rank - 2);
                                    Value column = linalg::IndexOp::create(b, l, rank - 1);
                                    // upper: column - row >= k; lower: column - row <= k
                                    Value offset = arith::SubIOp::create(b, l, column, row);
                                    Value kValue = arith::ConstantIndexOp::create(b, l, k);
                                    Value keep = arith::CmpIOp::create(
                                        b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
                                        offset, kValue);
                                    return arith::SelectOp::create(b, l, keep, args[0],
                                                                   buildScalar(b, l, elementType, 0.0));
                                  });
  node.setOutput(0, result);
  return success();
}

} // namespace

void qopt::registerShapeOps(OnnxOpRegistry &registry) {
  registry.add("", "Shape", {1, 13, 15, 19, 21, 23, 24, 25}, importShape);
  registry.add("", "Reshape", {5, 13, 14, 19, 21, 23, 24, 25}, importReshape);
  registry.add("", "Flatten", {1, 9, 11, 13, 21, 23, 24, 25}, importFlatten);
  registry.add("", "Squeeze", {1, 11}, [](NodeImporter &node) { return importSqueeze(node, false); });
  registry.add("", "Squeeze", {13, 21, 23, 24, 25}, [](NodeImporter &node) { return importSqueeze(node, true); });
  registry.add("", "Unsqueeze", {1, 11}, [](NodeImporter &node) { return importUnsqueeze(node, false); });
  registry.add("", "Unsqueeze", {13, 21, 23, 24, 25}, [](NodeImporter &node) { return importUnsqueeze(node, true); });
  registry.add("", "Transpose", {1, 13, 21, 23, 24, 25}, importTranspose);
  registry.add("", "Concat", {4, 11, 13}, importConcat);
  registry.add("", "Slice", {1, 10, 11, 13}, importSlice);
  registry.add("", "Split", {2, 11, 13, 18}, importSplit);
  registry.add("", "Gather", {1, 11, 13}, importGather);
  registry.add("", "Expand", {8, 13}, importExpand);
  registry.add("", "Tile", {6, 13}, importTile);
  registry.add("", "ConstantOfShape", {9, 20, 21, 23, 24, 25}, importConstantOfShape);
  registry.add("", "Range", {11, 27}, importRange);
  registry.add("", "Trilu", {14}, importTrilu);
}
