//===- ConstantOps.cpp - ONNX Constant, Identity and Dropout --------------===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"

#include "onnx/onnx-ml.pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace qopt;

namespace {

LogicalResult importConstant(NodeImporter &node) {
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  if (const onnx::AttributeProto *value = node.getAttribute("value")) {
    Value constant = importOnnxTensor(b, loc, value->t(), "node '" + node.getNode().name() + "' value");
    if (!constant)
      return failure();
    node.setOutput(0, constant);
    return success();
  }
  auto setDense = [&](RankedTensorType type, auto values) {
    node.setOutput(0, arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, values)));
    return success();
  };
  if (const onnx::AttributeProto *value = node.getAttribute("value_float"))
    return setDense(RankedTensorType::get({}, b.getF32Type()), ArrayRef<float>{value->f()});
  if (const onnx::AttributeProto *value = node.getAttribute("value_floats")) {
    SmallVector<float> floats(value->floats().begin(), value->floats().end());
    return setDense(RankedTensorType::get({int64_t(floats.size())}, b.getF32Type()),
                    ArrayRef<float>(floats));
  }
  if (const onnx::AttributeProto *value = node.getAttribute("value_int"))
    return setDense(RankedTensorType::get({}, b.getI64Type()), ArrayRef<int64_t>{value->i()});
  if (const onnx::AttributeProto *value = node.getAttribute("value_ints")) {
    SmallVector<int64_t> ints(value->ints().begin(), value->ints().end());
    return setDense(RankedTensorType::get({int64_t(ints.size())}, b.getI64Type()),
                    ArrayRef<int64_t>(ints));
  }
  return node.emitError() << "only value, value_float(s) and value_int(s) constants are supported";
}

LogicalResult importIdentity(NodeImporter &node) {
  if (!node.hasInput(0))
    return node.emitError() << "needs an input";
  node.setOutput(0, node.getInput(0));
  return success();
}

/// Dropout at inference is the identity. Its optional mask is all true from
/// version 12 (the spec), and all zeros (false) before, as ONNX Runtime
/// writes it for versions 7 to 11, whose spec leaves it unfilled; before
/// version 10 it has the input's type. A training
/// mode that is on, or not constant, is an error: qopt compiles inference.
LogicalResult importDropout(NodeImporter &node) {
  if (!node.hasInput(0))
    return node.emitError() << "needs an input";
  if (node.getOpset() < 7 && !node.getInt("is_test", 0))
    return node.emitError() << "is_test = 0 asks for training, which qopt does not compile";
  if (node.hasInput(2)) {
    std::optional<HostInts> training = node.getHostInts(2);
    if (!training || training->values.size() != 1)
      return node.emitError() << "training_mode must be a constant scalar";
    if (training->values[0])
      return node.emitError() << "training_mode = true asks for random dropout, which qopt does "
                                 "not compile (inference only)";
  }
  Value input = node.getInput(0);
  node.setOutput(0, input);
  if (node.hasOutput(1)) {
    auto type = cast<RankedTensorType>(input.getType());
    OpBuilder &b = node.getBuilder();
    Type maskType = node.getOpset() < 10 ? type.getElementType() : Type(b.getI1Type());
    auto maskTensor = RankedTensorType::get(type.getShape(), maskType);
    const int64_t kept = node.getOpset() >= 12;
    TypedAttr fill = isa<FloatType>(maskType) ? TypedAttr(b.getFloatAttr(maskType, double(kept)))
                                              : TypedAttr(b.getIntegerAttr(maskType, kept));
    node.setOutput(1, arith::ConstantOp::create(b, node.getLoc(),
                                                DenseElementsAttr::get(maskTensor, fill)));
  }
  return success();
}

} // namespace

void qopt::registerConstantOps(OnnxOpRegistry &registry) {
  registry.add("", "Constant", {1, 9, 11, 12, 13, 19, 21, 23, 24, 25}, importConstant);
  registry.add("", "Dropout", {6, 7, 10, 12, 13, 22}, importDropout);
  registry.add("", "Identity", {1, 13, 14, 16, 19, 21, 23, 24, 25}, importIdentity);
}
