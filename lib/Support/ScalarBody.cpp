//===- ScalarBody.cpp - Evaluate elementwise bodies on host numbers -------===//

#include "qopt/Support/ScalarBody.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;

std::optional<double> qopt::getSplatScalar(Value value) {
  Attribute attribute;
  if (!matchPattern(value, m_Constant(&attribute)))
    return std::nullopt;
  if (auto scalar = dyn_cast<FloatAttr>(attribute))
    return scalar.getValueAsDouble();
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attribute); dense && dense.isSplat())
    return dense.getSplatValue<APFloat>().convertToDouble();
  return std::nullopt;
}

std::optional<double> qopt::evaluateScalarBody(linalg::GenericOp op, ArrayRef<double> arguments) {
  Block *body = op.getBody();
  if (arguments.size() != body->getNumArguments())
    return std::nullopt;
  llvm::DenseMap<Value, double> values;
  for (auto [argument, number] : llvm::zip(body->getArguments(), arguments))
    values[argument] = number;
  auto lookup = [&](Value value) -> std::optional<double> {
    if (auto it = values.find(value); it != values.end())
      return it->second;
    if (value.getParentBlock() != body)
      return getSplatScalar(value); // a constant captured from outside
    return std::nullopt;
  };
  for (Operation &inner : body->without_terminator()) {
    if (inner.getNumResults() != 1 || !isa<FloatType>(inner.getResult(0).getType()))
      return std::nullopt;
    if (auto constant = dyn_cast<arith::ConstantOp>(inner)) {
      std::optional<double> scalar = getSplatScalar(constant);
      if (!scalar)
        return std::nullopt;
      values[constant] = *scalar;
      continue;
    }
    SmallVector<double, 3> operands;
    for (Value operand : inner.getOperands()) {
      std::optional<double> number = lookup(operand);
      if (!number)
        return std::nullopt;
      operands.push_back(*number);
    }
    std::optional<double> result =
        llvm::TypeSwitch<Operation *, std::optional<double>>(&inner)
            .Case([&](arith::AddFOp) { return operands[0] + operands[1]; })
            .Case([&](arith::SubFOp) { return operands[0] - operands[1]; })
            .Case([&](arith::MulFOp) { return operands[0] * operands[1]; })
            .Case([&](arith::DivFOp) { return operands[0] / operands[1]; })
            .Case([&](arith::NegFOp) { return -operands[0]; })
            .Case([&](arith::MaximumFOp) { return std::fmax(operands[0], operands[1]); })
            .Case([&](arith::MinimumFOp) { return std::fmin(operands[0], operands[1]); })
            .Case([&](math::SqrtOp) { return std::sqrt(operands[0]); })
            .Case([&](math::RsqrtOp) { return 1.0 / std::sqrt(operands[0]); })
            .Case([&](math::PowFOp) { return std::pow(operands[0], operands[1]); })
            .Case([&](math::AbsFOp) { return std::fabs(operands[0]); })
            .Case([&](math::ExpOp) { return std::exp(operands[0]); })
            .Case([&](math::LogOp) { return std::log(operands[0]); })
            .Case([&](math::TanhOp) { return std::tanh(operands[0]); })
            .Case([&](math::ErfOp) { return std::erf(operands[0]); })
            .Default([](Operation *) { return std::nullopt; });
    if (!result)
      return std::nullopt;
    values[inner.getResult(0)] = *result;
  }
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  if (yield.getValues().empty())
    return std::nullopt;
  return lookup(yield.getValues()[0]);
}
