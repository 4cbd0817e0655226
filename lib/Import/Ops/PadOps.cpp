//===- PadOps.cpp - ONNX Pad ----------------------------------------------===//
//
// Pad-2 (attributes) and Pad-11+ (pads, constant_value and, from 18, axes
// as inputs) in the
// constant, reflect, edge and wrap modes: one linalg.generic over the output
// that reads the input at a source index computed per dimension (negative
// pads crop).
//
//===----------------------------------------------------------------------===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"
#include "../TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace qopt;

namespace {

enum class PadMode { Constant, Reflect, Edge, Wrap };

/// The input index that output index `i` reads along a dimension of `size`
/// padded by `before`; `inside` tells whether it lies in the input (only
/// meaningful for constant mode).
std::pair<Value, Value> sourceIndex(OpBuilder &b, Location l, Value i, int64_t before, int64_t size,
                                    PadMode mode) {
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v).getResult(); };
  Value shifted = arith::SubIOp::create(b, l, i, index(before));
  Value zero = index(0), last = index(size - 1);
  Value negative = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, shifted, zero);
  Value beyond = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt, shifted, last);
  switch (mode) {
  case PadMode::Constant: {
    Value outside = arith::OrIOp::create(b, l, negative, beyond);
    Value inside = arith::XOrIOp::create(b, l, outside, arith::ConstantOp::create(b, l, b.getBoolAttr(true)));
    Value clamped = arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, shifted, zero), last);
    return {clamped, inside};
  }
  case PadMode::Edge:
    return {arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, shifted, zero), last), Value()};
  case PadMode::Reflect: {
    // One reflection each side (ONNX requires pads < size): -j -> j, size-1+j -> size-1-j.
    Value reflectedLow = arith::SubIOp::create(b, l, zero, shifted);
    Value reflectedHigh = arith::SubIOp::create(b, l, index(2 * (size - 1)), shifted);
    Value low = arith::SelectOp::create(b, l, negative, reflectedLow, shifted);
    return {arith::SelectOp::create(b, l, beyond, reflectedHigh, low), Value()};
  }
  case PadMode::Wrap: {
    Value sizeValue = index(size);
    Value remainder = arith::RemSIOp::create(b, l, shifted, sizeValue);
    Value adjusted = arith::AddIOp::create(b, l, remainder, sizeValue);
    return {arith::RemSIOp::create(b, l, adjusted, sizeValue), Value()};
  }
  }
  return {};
}

/// Pad-2 takes pads and the constant value as attributes; Pad-11 on as
/// inputs (pads, constant_value and, from 18, axes).
LogicalResult importPad(NodeImporter &node) {
  const bool fromAttributes = node.getOpset() < 11;
  Value input = node.getInput(0);
  std::optional<SmallVector<int64_t>> pads =
      fromAttributes ? node.getInts("pads") : node.getConstantInts(1);
  if (!input || !pads)
    return node.emitError() << (fromAttributes ? "needs an input and a pads attribute"
                                               : "needs an input and constant pads");
  auto type = cast<RankedTensorType>(input.getType());
  const int64_t rank = type.getRank();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  if (!fromAttributes && node.hasInput(3)) {
    std::optional<SmallVector<int64_t>> given = node.getConstantInts(3);
    if (!given)
      return node.emitError() << "axes must be constant";
    std::optional<SmallVector<int64_t>> resolved = resolveAxesInOrder(node, *given, rank);
    if (!resolved)
      return failure();
    axes = *resolved;
  }
  if (pads->size() != 2 * axes.size())
    return node.emitError() << "pads must hold two values per padded axis";
  SmallVector<int64_t> before(rank, 0), after(rank, 0);
  for (auto [i, axis] : llvm::enumerate(axes)) {
    before[axis] = (*pads)[i];
    after[axis] = (*pads)[axes.size() + i];
  }
  std::string modeName = node.getString("mode", "constant");
  PadMode mode = modeName == "reflect" ? PadMode::Reflect
                 : modeName == "edge"  ? PadMode::Edge
                 : modeName == "wrap"  ? PadMode::Wrap
                                       : PadMode::Constant;
  if (mode == PadMode::Constant && modeName != "constant")
    return node.emitError() << "unknown mode '" << modeName << "'";
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    shape.push_back(type.getDimSize(d) + before[d] + after[d]);
    if (shape.back() < 0)
      return node.emitError() << "pads crop dimension " << d << " below zero";
    if (mode == PadMode::Reflect && (before[d] >= type.getDimSize(d) || after[d] >= type.getDimSize(d)))
      return node.emitError() << "reflect pads must be smaller than the dimension";
  }
  Type elementType = type.getElementType();
  double padValue = 0.0;
  if (fromAttributes) {
    padValue = node.getFloat("value", 0.0f);
  } else if (node.hasInput(2)) {
    if (std::optional<double> value = node.getConstantScalar(2))
      padValue = *value;
    else if (std::optional<HostInts> ints = node.getHostInts(2); ints && ints->values.size() == 1)
      padValue = double(ints->values[0]);
    else
      return node.emitError() << "constant_value must be a constant scalar";
  }
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  Value init = tensor::EmptyOp::create(b, loc, shape, elementType);
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  Value result =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
          ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank)}, iterators,
          [&](OpBuilder &nb, Location l, ValueRange) {
            SmallVector<Value> coordinates;
            Value inside;
            for (int64_t d = 0; d < rank; ++d) {
              auto [index, dimInside] = sourceIndex(nb, l, linalg::IndexOp::create(nb, l, d), before[d],
                                                    type.getDimSize(d), mode);
              coordinates.push_back(index);
              if (dimInside)
                inside = inside ? arith::AndIOp::create(nb, l, inside, dimInside).getResult() : dimInside;
            }
            Value element = tensor::ExtractOp::create(nb, l, input, coordinates);
            if (inside)
              element = arith::SelectOp::create(nb, l, inside, element,
                                                buildScalar(nb, l, elementType, padValue));
            linalg::YieldOp::create(nb, l, element);
          })
          .getResult(0);
  node.setOutput(0, result);
  return success();
}

} // namespace

void qopt::registerPadOps(OnnxOpRegistry &registry) {
  registry.add("", "Pad", {2, 11, 13, 18, 19, 21, 23, 24, 25}, importPad);
}
