//===- ReductionOps.cpp - ONNX ReduceMean/Sum/Max/Min, ArgMax/ArgMin -----===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"
#include "../TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

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

/// `attributeVersions`: the versions with axes as an attribute;
/// `inputVersions`: those with axes as an input.
/// ArgMax / ArgMin along `axis`: one linalg.generic carrying the best value
/// and its index (int64) through the reduction, which visits the axis in
/// ascending order; ties keep the first index, or the last with
/// select_last_index (version 12 on).
LogicalResult importArgExtreme(NodeImporter &node, bool isMax) {
  Value input = node.getInput(0);
  if (!input)
    return node.emitError() << "needs an input";
  auto type = cast<RankedTensorType>(input.getType());
  Type elementType = type.getElementType();
  bool isFloat = isa<FloatType>(elementType);
  if (!isFloat && (!isa<IntegerType>(elementType) || elementType.isInteger(1)))
    return node.emitError() << "element type " << elementType << " is not supported";
  const int64_t rank = type.getRank();
  std::optional<SmallVector<int64_t>> axisList = normalizeAxes(node, {node.getInt("axis", 0)}, rank);
  if (!axisList)
    return failure();
  const int64_t axis = (*axisList)[0];
  const bool keepDims = node.getInt("keepdims", 1);
  const bool lastIndex = node.getInt("select_last_index", 0);
  const bool isUnsigned = node.isUnsigned(0);
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();

  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> outputExprs;
  for (int64_t d = 0; d < rank; ++d) {
    if (d != axis) {
      shape.push_back(type.getDimSize(d));
      outputExprs.push_back(b.getAffineDimExpr(d));
    } else if (keepDims) {
      shape.push_back(1);
      outputExprs.push_back(b.getAffineConstantExpr(0));
    }
  }
  TypedAttr worst;
  if (isFloat) {
    auto floatType = cast<FloatType>(elementType);
    worst = b.getFloatAttr(floatType, APFloat::getInf(floatType.getFloatSemantics(), /*Negative=*/isMax));
  } else {
    unsigned width = elementType.getIntOrFloatBitWidth();
    APInt value = isMax ? (isUnsigned ? APInt::getMinValue(width) : APInt::getSignedMinValue(width))
                        : (isUnsigned ? APInt::getMaxValue(width) : APInt::getSignedMaxValue(width));
    worst = b.getIntegerAttr(elementType, value);
  }
  auto fill = [&](TypedAttr value, Type element) {
    Value empty = tensor::EmptyOp::create(b, loc, shape, element);
    Value scalar = arith::ConstantOp::create(b, loc, value);
    return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
  };
  Value bestInit = fill(worst, elementType);
  Value indexInit = fill(b.getI64IntegerAttr(0), b.getI64Type());
  AffineMap outputMap = AffineMap::get(rank, 0, outputExprs, b.getContext());
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  iterators[axis] = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{bestInit.getType(), indexInit.getType()}, ValueRange{input},
      ValueRange{bestInit, indexInit},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank), outputMap, outputMap}, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value x = args[0], best = args[1];
        Value better;
        if (isFloat) {
          using P = arith::CmpFPredicate;
          P predicate = isMax ? (lastIndex ? P::OGE : P::OGT) : (lastIndex ? P::OLE : P::OLT);
          better = arith::CmpFOp::create(nb, l, predicate, x, best);
        } else {
          using P = arith::CmpIPredicate;
          P predicate = isMax ? (lastIndex ? (isUnsigned ? P::uge : P::sge) : (isUnsigned ? P::ugt : P::sgt))
                              : (lastIndex ? (isUnsigned ? P::ule : P::sle) : (isUnsigned ? P::ult : P::slt));
          better = arith::CmpIOp::create(nb, l, predicate, x, best);
        }
        Value index = arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                                 linalg::IndexOp::create(nb, l, axis));
        linalg::YieldOp::create(nb, l,
                                ValueRange{arith::SelectOp::create(nb, l, better, x, best),
                                           arith::SelectOp::create(nb, l, better, index, args[2])});
      });
  node.setOutput(0, generic.getResult(1));
  node.setUnsigned(0, false);
  return success();
}

void addReduce(OnnxOpRegistry &registry, StringRef name, ReduceKind kind,
               ArrayRef<int> attributeVersions, ArrayRef<int> inputVersions) {
  registry.add("", name, attributeVersions,
               [kind](NodeImporter &node) { return importReduce(node, kind, false); });
  registry.add("", name, inputVersions,
               [kind](NodeImporter &node) { return importReduce(node, kind, true); });
}

} // namespace

void qopt::registerReductionOps(OnnxOpRegistry &registry) {
  registry.add("", "ArgMax", {1, 11, 12, 13},
               [](NodeImporter &node) { return importArgExtreme(node, /*isMax=*/true); });
  registry.add("", "ArgMin", {1, 11, 12, 13},
               [](NodeImporter &node) { return importArgExtreme(node, /*isMax=*/false); });
  addReduce(registry, "ReduceMean", ReduceKind::Mean, {1, 11, 13}, {18});
  addReduce(registry, "ReduceSum", ReduceKind::Sum, {1, 11}, {13});
  addReduce(registry, "ReduceMax", ReduceKind::Max, {1, 11, 12, 13}, {18, 20});
  addReduce(registry, "ReduceMin", ReduceKind::Min, {1, 11, 12, 13}, {18, 20});
}
