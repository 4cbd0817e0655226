//===- TensorOps.cpp - Small builders of tensor-level IR ------------------===//

#include "qopt/Support/TensorOps.h"

#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value qopt::buildZeroFilled(OpBuilder &builder, Location loc, RankedTensorType type) {
  Value init = tensor::EmptyOp::create(builder, loc, type.getShape(), type.getElementType());
  Value zero = buildScalar(builder, loc, type.getElementType(), 0.0);
  return linalg::FillOp::create(builder, loc, zero, init).getResult(0);
}

Value qopt::buildScalar(OpBuilder &builder, Location loc, Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(builder, loc, builder.getFloatAttr(floatType, value));
  return arith::ConstantOp::create(builder, loc, builder.getIntegerAttr(type, int64_t(value)));
}

Value qopt::buildStaticReshape(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  auto target = RankedTensorType::get(shape, type.getElementType());
  // Constants are reshaped in place (blobs shared), so that passes looking
  // for constant weights, scales and biases see them.
  if (ElementsAttr constant = getConstantTensor(value))
    if (ElementsAttr reshaped = reshapeConstant(constant, target))
      return arith::ConstantOp::create(b, loc, cast<TypedAttr>(reshaped));
  auto allDims = [](int64_t rank) {
    SmallVector<ReassociationIndices> groups(1);
    for (int64_t i = 0; i < rank; ++i)
      groups[0].push_back(i);
    return groups;
  };
  Value flat = value;
  if (type.getRank() == 0)
    flat = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get({1}, type.getElementType()),
                                         value, ArrayRef<ReassociationIndices>{});
  else if (type.getRank() > 1)
    flat = tensor::CollapseShapeOp::create(b, loc, value, allDims(type.getRank()));
  if (target.getRank() == 1)
    return flat;
  if (target.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, target, flat, ArrayRef<ReassociationIndices>{});
  return tensor::ExpandShapeOp::create(b, loc, target, flat, allDims(target.getRank()));
}

Value qopt::buildMultiplyAccumulate(OpBuilder &builder, Location loc, ValueRange inputs,
                                    ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iterators,
                                    RankedTensorType resultType) {
  const unsigned accumulator = inputs.size();
  return linalg::GenericOp::create(
             builder, loc, TypeRange{resultType}, inputs,
             ValueRange{buildZeroFilled(builder, loc, resultType)}, maps, iterators,
             [accumulator](OpBuilder &b, Location l, ValueRange args) {
               Value product = arith::MulFOp::create(b, l, args[0], args[1]);
               linalg::YieldOp::create(b, l, ValueRange{arith::AddFOp::create(b, l, args[accumulator], product)});
             })
      .getResult(0);
}
