//===- TensorBuilders.cpp - Building blocks of imported ops ---------------===//

#include "TensorBuilders.h"

#include "NodeImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;
using namespace qopt;

std::optional<SmallVector<int64_t>> qopt::broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes) {
  size_t rank = 0;
  for (ArrayRef<int64_t> shape : shapes)
    rank = std::max(rank, shape.size());
  SmallVector<int64_t> result(rank, 1);
  for (ArrayRef<int64_t> shape : shapes) {
    size_t offset = rank - shape.size();
    for (auto [i, dim] : llvm::enumerate(shape)) {
      int64_t &out = result[offset + i];
      if (dim == out || dim == 1)
        continue;
      if (out != 1)
        return std::nullopt;
      out = dim;
    }
  }
  return result;
}

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(dim);
  return text + "]";
}

Value qopt::buildElementwise(NodeImporter &node, ValueRange inputs, Type resultElementType,
                             ElementwiseBody body, ArrayRef<int64_t> broadcastTo) {
  OpBuilder &builder = node.getBuilder();
  Location loc = node.getLoc();
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value input : inputs)
    shapes.push_back(cast<RankedTensorType>(input.getType()).getShape());
  SmallVector<ArrayRef<int64_t>> allShapes(shapes);
  allShapes.push_back(broadcastTo);
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(allShapes);
  if (!shape) {
    InFlightDiagnostic diag = node.emitError();
    diag << "input shapes do not broadcast:";
    for (ArrayRef<int64_t> s : allShapes)
      diag << " " << formatShape(s);
    return {};
  }
  const unsigned rank = shape->size();
  SmallVector<AffineMap> maps;
  for (ArrayRef<int64_t> inputShape : shapes) {
    SmallVector<AffineExpr> exprs;
    unsigned offset = rank - inputShape.size();
    for (auto [i, dim] : llvm::enumerate(inputShape))
      exprs.push_back(dim == 1 && (*shape)[offset + i] != 1
                          ? builder.getAffineConstantExpr(0)
                          : builder.getAffineDimExpr(offset + i));
    maps.push_back(AffineMap::get(rank, 0, exprs, builder.getContext()));
  }
  maps.push_back(builder.getMultiDimIdentityMap(rank));
  auto resultType = RankedTensorType::get(*shape, resultElementType);
  Value init = tensor::EmptyOp::create(builder, loc, *shape, resultElementType);
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      builder, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value result = body(b, l, args.drop_back());
        linalg::YieldOp::create(b, l, result);
      });
  return generic.getResult(0);
}

std::optional<HostInts>
qopt::evaluateElementwise(ArrayRef<HostInts> inputs,
                          function_ref<int64_t(ArrayRef<int64_t>)> fn) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (const HostInts &input : inputs)
    shapes.push_back(input.shape);
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(shapes);
  if (!shape || !fitsOnHost(*shape))
    return std::nullopt;
  HostInts result;
  result.shape = *shape;
  int64_t count = 1;
  for (int64_t dim : *shape)
    count *= dim;
  const size_t rank = shape->size();
  SmallVector<int64_t> index(rank, 0), operands(inputs.size());
  for (int64_t n = 0; n < count; ++n) {
    for (auto [k, input] : llvm::enumerate(inputs)) {
      int64_t offset = 0;
      size_t skip = rank - input.shape.size();
      for (size_t d = 0; d < input.shape.size(); ++d)
        offset = offset * input.shape[d] + (input.shape[d] == 1 ? 0 : index[skip + d]);
      operands[k] = input.values[offset];
    }
    result.values.push_back(fn(operands));
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < (*shape)[d])
        break;
      index[d] = 0;
    }
  }
  return result;
}

std::optional<SmallVector<int64_t>> qopt::normalizeAxes(NodeImporter &node, ArrayRef<int64_t> axes,
                                                       int64_t rank) {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    int64_t normalized = axis < 0 ? axis + rank : axis;
    if (normalized < 0 || normalized >= rank) {
      node.emitError() << "axis " << axis << " is out of range for rank " << rank;
      return std::nullopt;
    }
    result.push_back(normalized);
  }
  llvm::sort(result);
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

std::optional<SmallVector<int64_t>> qopt::resolveAxesInOrder(NodeImporter &node,
                                                            ArrayRef<int64_t> axes, int64_t rank) {
  if (!normalizeAxes(node, axes, rank))
    return std::nullopt;
  SmallVector<int64_t> result;
  for (int64_t axis : axes)
    result.push_back(axis < 0 ? axis + rank : axis);
  return result;
}

Value qopt::buildReduction(OpBuilder &builder, Location loc, Value input, ArrayRef<int64_t> axes,
                           bool keepDims, double initial, ElementwiseBody combine) {
  Type elementType = cast<RankedTensorType>(input.getType()).getElementType();
  return buildReduction(builder, loc, input, axes, keepDims,
                        builder.getFloatAttr(elementType, initial), combine);
}

Value qopt::buildReduction(OpBuilder &builder, Location loc, Value input, ArrayRef<int64_t> axes,
                           bool keepDims, TypedAttr initial, ElementwiseBody combine) {
  auto inputType = cast<RankedTensorType>(input.getType());
  const int64_t rank = inputType.getRank();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> resultExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iterators.push_back(reduced ? utils::IteratorType::reduction : utils::IteratorType::parallel);
    if (reduced && !keepDims)
      continue;
    shape.push_back(reduced ? 1 : inputType.getDimSize(d));
    resultExprs.push_back(reduced ? builder.getAffineConstantExpr(0) : builder.getAffineDimExpr(d));
  }
  Type elementType = inputType.getElementType();
  auto resultType = RankedTensorType::get(shape, elementType);
  Value init = tensor::EmptyOp::create(builder, loc, shape, elementType);
  Value start = arith::ConstantOp::create(builder, loc, initial);
  init = linalg::FillOp::create(builder, loc, start, init).getResult(0);
  SmallVector<AffineMap> maps = {builder.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, resultExprs, builder.getContext())};
  return linalg::GenericOp::create(builder, loc, TypeRange{resultType}, ValueRange{input},
                                   ValueRange{init}, maps, iterators,
                                   [&](OpBuilder &b, Location l, ValueRange args) {
                                     Value combined = combine(b, l, ValueRange{args[1], args[0]});
                                     linalg::YieldOp::create(b, l, combined);
                                   })
      .getResult(0);
}

