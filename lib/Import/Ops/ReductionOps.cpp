//===- ReductionOps.cpp - ONNX ReduceMean/Sum/Max/Min ---------------------===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"
#include "../TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <limits>

using namespace mlir;
using namespace qopt;

namespace {

enum class ReduceKind { Mean, Sum, Max, Min };

/// `axesFromInput`: the opset version reads axes from input 1 (ReduceSum-13,
/// the others from 18) rather than from the `axes` attribute.
LogicalResult importReduce(NodeImporter &node, ReduceKind kind, bool axesFromInput) {
  Value input = node.getInput(0);
  if (!input)
    return node.emitError() << "needs an input";
  auto type = cast<RankedTensorType>(input.getType());
  Type elementType = type.getElementType();
  bool isFloat = isa<FloatType>(elementType);
  if (!isFloat && (!isa<IntegerType>(elementType) || kind == ReduceKind::Mean))
    return node.emitError() << "element type " << elementType << " is not supported";
  std::optional<SmallVector<int64_t>> axes;
  if (axesFromInput) {
    if (node.hasInput(1)) {
      axes = node.getConstantInts(1);
      if (!axes)
        return node.emitError() << "axes must be a constant";
    }
  } else {
    axes = node.getInts("axes");
  }
  bool noopWithEmptyAxes = node.getInt("noop_with_empty_axes", 0);
  if (!axes || axes->empty()) {
    if (noopWithEmptyAxes) {
      node.setOutput(0, input);
      return success();
    }
    axes = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  }
  std::optional<SmallVector<int64_t>> normalized = normalizeAxes(node, *axes, type.getRank());
  if (!normalized)
    return failure();
  bool keepDims = node.getInt("keepdims", 1);
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  Value result;
  if (isFloat) {
    double initial = kind == ReduceKind::Max   ? -std::numeric_limits<double>::infinity()
                     : kind == ReduceKind::Min ? std::numeric_limits<double>::infinity()
                                               : 0.0;
    result = buildReduction(b, loc, input, *normalized, keepDims, initial,
                            [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                              switch (kind) {
                              case ReduceKind::Max:
                                return arith::MaximumFOp::create(nb, l, args[0], args[1]);
                              case ReduceKind::Min:
                                return arith::MinimumFOp::create(nb, l, args[0], args[1]);
                              default:
                                return arith::AddFOp::create(nb, l, args[0], args[1]);
                              }
                            });
  } else {
    // Integers (and bools: max is "or", min is "and") start from the
    // identity of the combination: the type's lowest or highest value.
    unsigned width = elementType.getIntOrFloatBitWidth();
    bool isUnsigned = node.isUnsigned(0) || width == 1;
    APInt initial = kind == ReduceKind::Max ? (isUnsigned ? APInt::getMinValue(width) : APInt::getSignedMinValue(width))
                    : kind == ReduceKind::Min ? (isUnsigned ? APInt::getMaxValue(width) : APInt::getSignedMaxValue(width))
                                              : APInt::getZero(width);
    result = buildReduction(b, loc, input, *normalized, keepDims, b.getIntegerAttr(elementType, initial),
                            [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                              switch (kind) {
                              case ReduceKind::Max:
                                return isUnsigned ? arith::MaxUIOp::create(nb, l, args[0], args[1]).getResult()
                                                  : arith::MaxSIOp::create(nb, l, args[0], args[1]).getResult();
                              case ReduceKind::Min:
                                return isUnsigned ? arith::MinUIOp::create(nb, l, args[0], args[1]).getResult()
                                                  : arith::MinSIOp::create(nb, l, args[0], args[1]).getResult();
                              default:
                                return arith::AddIOp::create(nb, l, args[0], args[1]);
                              }
                            });
  }
  if (kind == ReduceKind::Mean) {
    int64_t count = 1;
    for (int64_t axis : *normalized)
      count *= type.getDimSize(axis);
    double inverse = 1.0 / double(count);
    result = buildElementwise(node, result, type.getElementType(),
                              [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                return arith::MulFOp::create(
                                    nb, l, args[0], buildScalar(nb, l, args[0].getType(), inverse));
                              });
    if (!result)
      return failure();
  }
  node.setOutput(0, result);
  return success();
}

void addReduce(OnnxOpRegistry &registry, StringRef name, ReduceKind kind, int axesInputSince) {
  registry.add("", name, 1, [kind](NodeImporter &node) { return importReduce(node, kind, false); });
  registry.add("", name, axesInputSince,
               [kind](NodeImporter &node) { return importReduce(node, kind, true); });
}

} // namespace

void qopt::registerReductionOps(OnnxOpRegistry &registry) {
  addReduce(registry, "ReduceMean", ReduceKind::Mean, 18);
  addReduce(registry, "ReduceSum", ReduceKind::Sum, 13);
  addReduce(registry, "ReduceMax", ReduceKind::Max, 18);
  addReduce(registry, "ReduceMin", ReduceKind::Min, 18);
}
