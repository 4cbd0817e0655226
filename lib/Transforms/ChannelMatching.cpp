//===- ChannelMatching.cpp - What reads and scales the channels of a value ===//

#include "ChannelMatching.h"

#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

bool qopt::keepsChannels(Operation *op) {
  if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op))
    return false;
  auto from = cast<RankedTensorType>(op->getOperand(0).getType());
  auto to = cast<RankedTensorType>(op->getResult(0).getType());
  return from.getRank() > 0 && to.getRank() > 0 && from.getShape().back() == to.getShape().back() &&
         !ShapedType::isDynamic(to.getShape().back());
}

bool qopt::collectLinearReaders(Value value, SmallVectorImpl<LinearOp> &linears) {
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (auto linear = dyn_cast<LinearOp>(user)) {
      if (use.getOperandNumber() != 0 || !getConstantTensor(linear.getWeight()))
        return false;
      linears.push_back(linear);
    } else if (!keepsChannels(user) || !collectLinearReaders(user->getResult(0), linears)) {
      return false;
    }
  }
  return !linears.empty();
}

bool qopt::isChannelVector(linalg::GenericOp op, OpOperand *operand) {
  auto type = dyn_cast<RankedTensorType>(operand->get().getType());
  AffineMap map = op.getMatchingIndexingMap(operand);
  return type && type.getRank() == 1 && getConstantTensor(operand->get()) && map.getNumResults() == 1 &&
         map.getResult(0) == getAffineDimExpr(map.getNumDims() - 1, op.getContext());
}

qopt::LinearOp qopt::matchSoleLinearSource(Value value) {
  while (Operation *reshape = value.getDefiningOp()) {
    if (!keepsChannels(reshape) || !value.hasOneUse())
      break;
    value = reshape->getOperand(0);
  }
  auto linear = value.getDefiningOp<LinearOp>();
  if (!linear || !value.hasOneUse() || !getConstantTensor(linear.getWeight()) ||
      (linear.getBias() && !getConstantTensor(linear.getBias())))
    return nullptr;
  return linear;
}

void qopt::replaceLinearWeight(LinearOp linear, ArrayRef<float> values, StringRef name) {
  OpBuilder builder(linear);
  auto type = cast<RankedTensorType>(linear.getWeight().getType());
  Value old = linear.getWeight();
  linear.getWeightMutable().assign(createBlobConstant(builder, linear.getLoc(), type, values, name));
  if (Operation *constant = old.getDefiningOp(); constant && constant->use_empty())
    constant->erase();
}

Value qopt::createChannelVector(OpBuilder &builder, Location loc, ArrayRef<float> values, StringRef name) {
  auto type = RankedTensorType::get({int64_t(values.size())}, builder.getF32Type());
  return createBlobConstant(builder, loc, type, values, name);
}
