//===- ConstantOps.cpp - ONNX Constant and Identity -----------------------===//

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

} // namespace

void qopt::registerConstantOps(OnnxOpRegistry &registry) {
  registry.add("", "Constant", 1, importConstant);
  registry.add("", "Identity", 1, importIdentity);
}
