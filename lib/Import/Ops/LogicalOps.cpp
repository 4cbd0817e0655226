//===- LogicalOps.cpp - ONNX comparisons, logic, Where and Cast -----------===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"
#include "../TensorBuilders.h"

#include "onnx/onnx-ml.pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace qopt;

namespace {

void addComparison(OnnxOpRegistry &registry, StringRef name, ArrayRef<int> versions,
                   arith::CmpFPredicate floatPredicate, arith::CmpIPredicate intPredicate,
                   arith::CmpIPredicate unsignedPredicate, HostFn hostFn) {
  registry.add("", name, versions, [=](NodeImporter &node) {
    return importElementwise(
        node, 2,
        [=](NodeImporter &, OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::CmpFOp::create(b, l, floatPredicate, args[0], args[1]);
        },
        [=](NodeImporter &n, OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::CmpIOp::create(b, l, n.isUnsigned(0) ? unsignedPredicate : intPredicate,
                                       args[0], args[1]);
        },
        hostFn, node.getBuilder().getI1Type());
  });
}

template <typename Op>
void addLogical(OnnxOpRegistry &registry, StringRef name, HostFn hostFn) {
  registry.add("", name, {7}, [=](NodeImporter &node) -> LogicalResult {
    if (!node.getInputType(0) || !node.getInputType(0).getElementType().isInteger(1))
      return node.emitError() << "needs bool inputs";
    return importElementwise(
        node, 2, nullptr,
        [](NodeImporter &, OpBuilder &b, Location l, ValueRange args) -> Value {
          return Op::create(b, l, args[0], args[1]);
        },
        hostFn);
  });
}

LogicalResult importNot(NodeImporter &node) {
  if (!node.getInputType(0) || !node.getInputType(0).getElementType().isInteger(1))
    return node.emitError() << "needs a bool input";
  return importElementwise(
      node, 1, nullptr,
      [](NodeImporter &, OpBuilder &b, Location l, ValueRange args) -> Value {
        Value one = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
        return arith::XOrIOp::create(b, l, args[0], one);
      },
      [](ArrayRef<int64_t> v) { return int64_t(!v[0]); });
}

LogicalResult importWhere(NodeImporter &node) {
  RankedTensorType condition = node.getInputType(0), x = node.getInputType(1),
                   y = node.getInputType(2);
  if (!condition || !x || !y)
    return node.emitError() << "needs condition, X and Y";
  if (!condition.getElementType().isInteger(1) || x.getElementType() != y.getElementType())
    return node.emitError() << "needs a bool condition and X, Y of one type";
  Type elementType = x.getElementType();
  if (isa<IntegerType>(elementType)) {
    std::optional<HostInts> c = node.getHostInts(0), a = node.getHostInts(1),
                            b = node.getHostInts(2);
    if (c && a && b) {
      std::optional<HostInts> folded = evaluateElementwise(
          {*c, *a, *b}, [](ArrayRef<int64_t> v) { return v[0] ? v[1] : v[2]; });
      if (folded) {
        node.setOutput(0, node.createConstant(*folded, elementType));
        return success();
      }
    }
  }
  Value result = buildElementwise(node, {node.getInput(0), node.getInput(1), node.getInput(2)},
                                  elementType,
                                  [](OpBuilder &b, Location l, ValueRange args) -> Value {
                                    return arith::SelectOp::create(b, l, args[0], args[1], args[2]);
                                  });
  if (!result)
    return failure();
  node.setOutput(0, result);
  return success();
}

/// One element converted between float and integer types as ONNX Cast does:
/// float -> int truncates toward zero; to bool is "!= 0"; unsigned sources
/// zero-extend and convert as unsigned, unsigned targets convert as unsigned.
Value convertElement(OpBuilder &b, Location l, Value value, Type to, bool fromUnsigned,
                     bool toUnsigned) {
  Type from = value.getType();
  if (from == to)
    return value;
  if (to.isInteger(1)) {
    if (isa<FloatType>(from))
      return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, value,
                                   buildScalar(b, l, from, 0.0));
    return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, value, buildScalar(b, l, from, 0));
  }
  if (auto fromFloat = dyn_cast<FloatType>(from)) {
    if (auto toFloat = dyn_cast<FloatType>(to))
      return fromFloat.getWidth() < toFloat.getWidth()
                 ? arith::ExtFOp::create(b, l, to, value).getResult()
                 : arith::TruncFOp::create(b, l, to, value).getResult();
    return toUnsigned ? arith::FPToUIOp::create(b, l, to, value).getResult()
                      : arith::FPToSIOp::create(b, l, to, value).getResult();
  }
  bool zeroExtend = from.isInteger(1) || fromUnsigned;
  if (isa<FloatType>(to))
    return zeroExtend ? arith::UIToFPOp::create(b, l, to, value).getResult()
                      : arith::SIToFPOp::create(b, l, to, value).getResult();
  unsigned fromWidth = from.getIntOrFloatBitWidth(), toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth < toWidth)
    return zeroExtend ? arith::ExtUIOp::create(b, l, to, value).getResult()
                      : arith::ExtSIOp::create(b, l, to, value).getResult();
  return arith::TruncIOp::create(b, l, to, value);
}

LogicalResult importCast(NodeImporter &node) {
  Value input = node.getInput(0);
  if (!input)
    return node.emitError() << "needs an input";
  int64_t to = node.getInt("to", 0);
  Type target = convertOnnxElementType(int(to), node.getContext());
  if (!target)
    return node.emitError() << "cast to data type " << to << " is not supported";
  bool toUnsigned = isUnsignedOnnxType(int(to)), fromUnsigned = node.isUnsigned(0);
  Type source = cast<RankedTensorType>(input.getType()).getElementType();
  if (isa<IntegerType>(source) && isa<IntegerType>(target) && !toUnsigned)
    if (std::optional<HostInts> ints = node.getHostInts(0)) {
      if (target.isInteger(1))
        for (int64_t &v : ints->values)
          v = v != 0;
      node.setOutput(0, node.createConstant(*ints, target));
      return success();
    }
  Value result = buildElementwise(node, input, target,
                                  [&](OpBuilder &b, Location l, ValueRange args) {
                                    return convertElement(b, l, args[0], target, fromUnsigned, toUnsigned);
                                  });
  node.setOutput(0, result);
  node.setUnsigned(0, toUnsigned);
  return success();
}

} // namespace

void qopt::registerLogicalOps(OnnxOpRegistry &registry) {
  using P = arith::CmpIPredicate;
  addComparison(registry, "Equal", {7, 11, 13, 19}, arith::CmpFPredicate::OEQ, P::eq, P::eq,
                [](ArrayRef<int64_t> v) { return int64_t(v[0] == v[1]); });
  addComparison(registry, "Less", {7, 9, 13}, arith::CmpFPredicate::OLT, P::slt, P::ult,
                [](ArrayRef<int64_t> v) { return int64_t(v[0] < v[1]); });
  addComparison(registry, "LessOrEqual", {12, 16}, arith::CmpFPredicate::OLE, P::sle, P::ule,
                [](ArrayRef<int64_t> v) { return int64_t(v[0] <= v[1]); });
  addComparison(registry, "Greater", {7, 9, 13}, arith::CmpFPredicate::OGT, P::sgt, P::ugt,
                [](ArrayRef<int64_t> v) { return int64_t(v[0] > v[1]); });
  addComparison(registry, "GreaterOrEqual", {12, 16}, arith::CmpFPredicate::OGE, P::sge, P::uge,
                [](ArrayRef<int64_t> v) { return int64_t(v[0] >= v[1]); });
  addLogical<arith::AndIOp>(registry, "And", [](ArrayRef<int64_t> v) { return v[0] & v[1]; });
  addLogical<arith::OrIOp>(registry, "Or", [](ArrayRef<int64_t> v) { return v[0] | v[1]; });
  addLogical<arith::XOrIOp>(registry, "Xor", [](ArrayRef<int64_t> v) { return v[0] ^ v[1]; });
  registry.add("", "Not", {1}, importNot);
  registry.add("", "Where", {9, 16}, importWhere);
  registry.add("", "Cast", {6, 9, 13, 19, 21, 23, 24, 25, 28}, importCast);
}
