//===- TensorBuilders.cpp - Building blocks of imported ops ---------------===//

#include "TensorBuilders.h"

#include "NodeImporter.h"

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
                             ElementwiseBody body) {
  OpBuilder &builder = node.getBuilder();
  Location loc = node.getLoc();
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value input : inputs)
    shapes.push_back(cast<RankedTensorType>(input.getType()).getShape());
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(shapes);
  if (!shape) {
    InFlightDiagnostic diag = node.emitError();
    diag << "input shapes do not broadcast:";
    for (ArrayRef<int64_t> s : shapes)
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
