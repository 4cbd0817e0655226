//===- ElementwiseOps.cpp - ONNX elementwise ops --------------------------===//
//
// Arithmetic and activations: one linalg.generic each, inputs broadcast
// through indexing maps. Bodies follow the ONNX definitions exactly (Div is
// a division, not a multiplication by a reciprocal; Gelu uses erf).
//
//===----------------------------------------------------------------------===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"
#include "../TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace qopt;

namespace {

Value constantLike(OpBuilder &b, Location loc, Value like, double value) {
  return buildScalar(b, loc, like.getType(), value);
}

} // namespace

/// Imports a node whose `numInputs` inputs (trailing optional ones may be
/// absent) combine elementwise. `floatFn` handles float elements; `intFn`
/// integer ones, or null if the op is float-only. When every input is a
/// small integer constant and `hostFn` is given, the result is computed at
/// import time (shape arithmetic).
LogicalResult qopt::importElementwise(NodeImporter &node, unsigned numRequired,
                                      ScalarFn floatFn, ScalarFn intFn, HostFn hostFn,
                                      Type resultElementType) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < node.getNumInputs(); ++i) {
    Value input = node.getInput(i);
    if (!input) {
      if (i < numRequired)
        return node.emitError() << "input " << i << " is required";
      continue;
    }
    inputs.push_back(input);
  }
  if (inputs.size() < numRequired)
    return node.emitError() << "needs " << numRequired << " inputs, has " << inputs.size();
  Type elementType = cast<RankedTensorType>(inputs[0].getType()).getElementType();
  bool isFloat = isa<FloatType>(elementType);
  if (!isFloat && (!intFn || !isa<IntegerType>(elementType)))
    return node.emitError() << "element type " << elementType << " is not supported";
  Type resultType = resultElementType ? resultElementType : elementType;
  if (!isFloat && hostFn) {
    SmallVector<HostInts> hostInputs;
    for (unsigned i = 0; i < node.getNumInputs(); ++i)
      if (node.hasInput(i))
        if (std::optional<HostInts> ints = node.getHostInts(i))
          hostInputs.push_back(*ints);
    // Folded when the result is small; otherwise computed at run time.
    if (hostInputs.size() == inputs.size())
      if (std::optional<HostInts> folded = evaluateElementwise(hostInputs, hostFn)) {
        node.setOutput(0, node.createConstant(*folded, resultType));
        return success();
      }
  }
  ScalarFn &fn = isFloat ? floatFn : intFn;
  Value result = buildElementwise(node, inputs, resultType,
                                  [&](OpBuilder &b, Location loc, ValueRange args) {
                                    return fn(node, b, loc, args);
                                  });
  if (!result)
    return failure();
  node.setOutput(0, result);
  return success();
}

namespace {

/// A binary op; `UnsignedOp` is the integer op for unsigned inputs where it
/// differs from `IntOp` (division).
template <typename FloatOp, typename IntOp = void, typename UnsignedOp = IntOp>
void addBinary(OnnxOpRegistry &registry, StringRef name, ArrayRef<int> versions,
               HostFn hostFn = nullptr) {
  ScalarFn floatFn = [](NodeImporter &, OpBuilder &b, Location loc, ValueRange args) -> Value {
    return FloatOp::create(b, loc, args[0], args[1]);
  };
  ScalarFn intFn;
  if constexpr (!std::is_void_v<IntOp>)
    intFn = [](NodeImporter &node, OpBuilder &b, Location loc, ValueRange args) -> Value {
      if (node.isUnsigned(0))
        return UnsignedOp::create(b, loc, args[0], args[1]);
      return IntOp::create(b, loc, args[0], args[1]);
    };
  registry.add("", name, versions, [floatFn, intFn, hostFn](NodeImporter &node) -> LogicalResult {
    if (node.getInputType(0) && node.getInputType(1) &&
        node.getInputType(0).getElementType() != node.getInputType(1).getElementType())
      return node.emitError() << "inputs have different element types "
                              << node.getInputType(0).getElementType() << " and "
                              << node.getInputType(1).getElementType();
    return importElementwise(node, 2, floatFn, intFn, hostFn);
  });
}

template <typename FloatOp>
void addUnary(OnnxOpRegistry &registry, StringRef name, ArrayRef<int> versions) {
  registry.add("", name, versions, [](NodeImporter &node) {
    return importElementwise(node, 1,
                             [](NodeImporter &, OpBuilder &b, Location loc, ValueRange args) -> Value {
                               return FloatOp::create(b, loc, args[0]);
                             });
  });
}

void addFloatUnary(OnnxOpRegistry &registry, StringRef name, ArrayRef<int> versions, ScalarFn fn) {
  registry.add("", name, versions, [fn](NodeImporter &node) { return importElementwise(node, 1, fn); });
}

Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = constantLike(b, loc, x, 1.0);
  Value negated = arith::NegFOp::create(b, loc, x);
  Value denominator = arith::AddFOp::create(b, loc, one, math::ExpOp::create(b, loc, negated));
  return arith::DivFOp::create(b, loc, one, denominator);
}

/// min(max(x, lo), hi) with NaN propagating as in ONNX.
Value clamp(OpBuilder &b, Location loc, Value x, Value lo, Value hi) {
  Value result = x;
  if (lo)
    result = arith::MaximumFOp::create(b, loc, result, lo);
  if (hi)
    result = arith::MinimumFOp::create(b, loc, result, hi);
  return result;
}

Value clampInt(OpBuilder &b, Location loc, Value x, Value lo, Value hi, bool isUnsigned) {
  Value result = x;
  if (lo)
    result = isUnsigned ? arith::MaxUIOp::create(b, loc, result, lo).getResult()
                        : arith::MaxSIOp::create(b, loc, result, lo).getResult();
  if (hi)
    result = isUnsigned ? arith::MinUIOp::create(b, loc, result, hi).getResult()
                        : arith::MinSIOp::create(b, loc, result, hi).getResult();
  return result;
}

LogicalResult importPow(NodeImporter &node) {
  RankedTensorType base = node.getInputType(0), exponent = node.getInputType(1);
  if (!base || !exponent)
    return node.emitError() << "needs 2 inputs";
  if (isa<IntegerType>(base.getElementType())) {
    // Integer base: integer power (math.ipowi), or a float power truncated
    // back to the base's type.
    Type intType = base.getElementType();
    bool unsignedBase = node.isUnsigned(0), unsignedExponent = node.isUnsigned(1);
    Value result = buildElementwise(
        node, {node.getInput(0), node.getInput(1)}, intType,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value power = args[1];
          if (auto floatExponent = dyn_cast<FloatType>(power.getType())) {
            Value x = unsignedBase ? arith::UIToFPOp::create(b, loc, floatExponent, args[0]).getResult()
                                   : arith::SIToFPOp::create(b, loc, floatExponent, args[0]).getResult();
            Value y = math::PowFOp::create(b, loc, x, power);
            return unsignedBase ? arith::FPToUIOp::create(b, loc, intType, y).getResult()
                                : arith::FPToSIOp::create(b, loc, intType, y).getResult();
          }
          if (power.getType() != intType)
            power = power.getType().getIntOrFloatBitWidth() < intType.getIntOrFloatBitWidth()
                        ? (unsignedExponent ? arith::ExtUIOp::create(b, loc, intType, power).getResult()
                                            : arith::ExtSIOp::create(b, loc, intType, power).getResult())
                        : arith::TruncIOp::create(b, loc, intType, power).getResult();
          return math::IPowIOp::create(b, loc, args[0], power);
        });
    if (!result)
      return failure();
    node.setOutput(0, result);
    return success();
  }
  return importElementwise(node, 2, [&](NodeImporter &, OpBuilder &b, Location loc,
                                       ValueRange args) -> Value {
    Value power = args[1];
    Type floatType = args[0].getType();
    if (power.getType() != floatType) {
      if (isa<IntegerType>(power.getType()) && node.isUnsigned(1))
        power = arith::UIToFPOp::create(b, loc, floatType, power);
      else if (isa<IntegerType>(power.getType()))
        power = arith::SIToFPOp::create(b, loc, floatType, power);
      else if (cast<FloatType>(power.getType()).getWidth() < cast<FloatType>(floatType).getWidth())
        power = arith::ExtFOp::create(b, loc, floatType, power);
      else
        power = arith::TruncFOp::create(b, loc, floatType, power);
    }
    return math::PowFOp::create(b, loc, args[0], power);
  });
}

/// Clip-11+: bounds are optional scalar inputs.
LogicalResult importClip(NodeImporter &node) {
  bool hasMin = node.hasInput(1), hasMax = node.hasInput(2);
  ScalarFn floatFn = [=](NodeImporter &, OpBuilder &b, Location loc, ValueRange args) -> Value {
    return clamp(b, loc, args[0], hasMin ? args[1] : Value(),
                 hasMax ? args[hasMin ? 2 : 1] : Value());
  };
  ScalarFn intFn = [=](NodeImporter &node, OpBuilder &b, Location loc, ValueRange args) -> Value {
    return clampInt(b, loc, args[0], hasMin ? args[1] : Value(),
                    hasMax ? args[hasMin ? 2 : 1] : Value(), node.isUnsigned(0));
  };
  return importElementwise(node, 1, floatFn, intFn);
}

/// Clip-6: bounds are attributes.
LogicalResult importClipWithAttributes(NodeImporter &node) {
  float lo = node.getFloat("min", -std::numeric_limits<float>::max());
  float hi = node.getFloat("max", std::numeric_limits<float>::max());
  return importElementwise(node, 1, [=](NodeImporter &, OpBuilder &b, Location loc,
                                        ValueRange args) -> Value {
    return clamp(b, loc, args[0], constantLike(b, loc, args[0], lo),
                 constantLike(b, loc, args[0], hi));
  });
}

/// Max, Min, Sum and Mean: any number of inputs, broadcast together, folded
/// left to right with `floatOp` (`intOp` for integers; none for Mean).
/// Mean divides the sum by the input count.
template <typename FloatOp, typename IntOp = void, typename UnsignedOp = IntOp>
void addVariadic(OnnxOpRegistry &registry, StringRef name, ArrayRef<int> versions,
                 bool mean = false) {
  registry.add("", name, versions, [mean](NodeImporter &node) -> LogicalResult {
    for (unsigned i = 1; i < node.getNumInputs(); ++i)
      if (node.getInputType(i) && node.getInputType(0) &&
          node.getInputType(i).getElementType() != node.getInputType(0).getElementType())
        return node.emitError() << "inputs have different element types";
    ScalarFn floatFn = [mean](NodeImporter &, OpBuilder &b, Location loc, ValueRange args) -> Value {
      Value result = args[0];
      for (Value arg : args.drop_front())
        result = FloatOp::create(b, loc, result, arg);
      if (mean && args.size() > 1)
        result = arith::DivFOp::create(b, loc, result, constantLike(b, loc, result, double(args.size())));
      return result;
    };
    ScalarFn intFn;
    if constexpr (!std::is_void_v<IntOp>)
      intFn = [](NodeImporter &node, OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value result = args[0];
        for (Value arg : args.drop_front())
          result = node.isUnsigned(0) ? UnsignedOp::create(b, loc, result, arg).getResult()
                                      : IntOp::create(b, loc, result, arg).getResult();
        return result;
      };
    return importElementwise(node, 1, floatFn, intFn);
  });
}

/// log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
Value softplus(OpBuilder &b, Location loc, Value x) {
  Value positive = arith::MaximumFOp::create(b, loc, x, constantLike(b, loc, x, 0.0));
  Value negativeAbs = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
  return arith::AddFOp::create(b, loc, positive,
                               math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negativeAbs)));
}

/// PRelu: x < 0 ? slope * x : x, the slope broadcast to x.
LogicalResult importPRelu(NodeImporter &node) {
  return importElementwise(node, 2, [](NodeImporter &, OpBuilder &b, Location loc,
                                       ValueRange args) -> Value {
    Value x = args[0];
    Value negative =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, constantLike(b, loc, x, 0.0));
    return arith::SelectOp::create(b, loc, negative, arith::MulFOp::create(b, loc, args[1], x), x);
  });
}

/// Sign: -1, 0 or 1 (NaN stays NaN), for floats and integers.
LogicalResult importSign(NodeImporter &node) {
  ScalarFn floatFn = [](NodeImporter &, OpBuilder &b, Location loc, ValueRange args) -> Value {
    Value x = args[0], zero = constantLike(b, loc, x, 0.0);
    Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
    Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
    Value sign = arith::SelectOp::create(
        b, loc, positive, constantLike(b, loc, x, 1.0),
        arith::SelectOp::create(b, loc, negative, constantLike(b, loc, x, -1.0), zero));
    Value isNan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
    return arith::SelectOp::create(b, loc, isNan, x, sign);
  };
  ScalarFn intFn = [](NodeImporter &node, OpBuilder &b, Location loc, ValueRange args) -> Value {
    Value x = args[0];
    Value zero = arith::ConstantOp::create(b, loc, b.getIntegerAttr(x.getType(), 0));
    Value one = arith::ConstantOp::create(b, loc, b.getIntegerAttr(x.getType(), 1));
    Value positive = arith::CmpIOp::create(b, loc, node.isUnsigned(0) ? arith::CmpIPredicate::ugt
                                                                       : arith::CmpIPredicate::sgt,
                                           x, zero);
    Value result = arith::SelectOp::create(b, loc, positive, one, zero);
    if (node.isUnsigned(0))
      return result;
    Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
    Value minusOne = arith::ConstantOp::create(b, loc, b.getIntegerAttr(x.getType(), -1));
    return arith::SelectOp::create(b, loc, negative, minusOne, result);
  };
  return importElementwise(node, 1, floatFn, intFn,
                           [](ArrayRef<int64_t> v) { return int64_t(v[0] > 0) - int64_t(v[0] < 0); });
}

} // namespace

void qopt::registerElementwiseOps(OnnxOpRegistry &registry) {
  addVariadic<arith::MaximumFOp, arith::MaxSIOp, arith::MaxUIOp>(registry, "Max", {6, 8, 12, 13});
  addVariadic<arith::MinimumFOp, arith::MinSIOp, arith::MinUIOp>(registry, "Min", {6, 8, 12, 13});
  addVariadic<arith::AddFOp, arith::AddIOp>(registry, "Sum", {6, 8, 13});
  addVariadic<arith::AddFOp>(registry, "Mean", {6, 8, 13}, /*mean=*/true);
  registry.add("", "PRelu", {7, 9, 16}, importPRelu);
  registry.add("", "Sign", {9, 13}, importSign);
  addUnary<math::FloorOp>(registry, "Floor", {6, 13});
  addUnary<math::CeilOp>(registry, "Ceil", {6, 13});
  addUnary<math::RoundEvenOp>(registry, "Round", {11, 22});
  addUnary<math::SinOp>(registry, "Sin", {7, 22});
  addUnary<math::CosOp>(registry, "Cos", {7, 22});
  addFloatUnary(registry, "Softplus", {1, 22},
                [](NodeImporter &, OpBuilder &b, Location loc, ValueRange args) {
                  return softplus(b, loc, args[0]);
                });
  addFloatUnary(registry, "Softsign", {1, 22},
                [](NodeImporter &, OpBuilder &b, Location loc, ValueRange args) -> Value {
                  Value x = args[0];
                  Value denominator = arith::AddFOp::create(b, loc, constantLike(b, loc, x, 1.0),
                                                            math::AbsFOp::create(b, loc, x));
                  return arith::DivFOp::create(b, loc, x, denominator);
                });
  addFloatUnary(registry, "Mish", {18, 22},
                [](NodeImporter &, OpBuilder &b, Location loc, ValueRange args) -> Value {
                  return arith::MulFOp::create(b, loc, args[0],
                                               math::TanhOp::create(b, loc, softplus(b, loc, args[0])));
                });
  addFloatUnary(registry, "Selu", {6, 22},
                [](NodeImporter &node, OpBuilder &b, Location loc, ValueRange args) -> Value {
                  Value x = args[0];
                  Value alpha = constantLike(b, loc, x, node.getFloat("alpha", 1.67326319217681884765625f));
                  Value gamma = constantLike(b, loc, x, node.getFloat("gamma", 1.05070102214813232421875f));
                  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                                         constantLike(b, loc, x, 0.0));
                  Value negativePart = arith::MulFOp::create(b, loc, alpha, math::ExpM1Op::create(b, loc, x));
                  return arith::MulFOp::create(b, loc, gamma,
                                               arith::SelectOp::create(b, loc, positive, x, negativePart));
                });
  addFloatUnary(registry, "ThresholdedRelu", {10, 22},
                [](NodeImporter &node, OpBuilder &b, Location loc, ValueRange args) -> Value {
                  Value x = args[0];
                  Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                                      constantLike(b, loc, x, node.getFloat("alpha", 1.0f)));
                  return arith::SelectOp::create(b, loc, above, x, constantLike(b, loc, x, 0.0));
                });
  addBinary<arith::AddFOp, arith::AddIOp>(registry, "Add", {7, 13, 14},
                                          [](ArrayRef<int64_t> v) { return v[0] + v[1]; });
  addBinary<arith::SubFOp, arith::SubIOp>(registry, "Sub", {7, 13, 14},
                                          [](ArrayRef<int64_t> v) { return v[0] - v[1]; });
  addBinary<arith::MulFOp, arith::MulIOp>(registry, "Mul", {7, 13, 14},
                                          [](ArrayRef<int64_t> v) { return v[0] * v[1]; });
  // Integer Div truncates toward zero, as C (and arith.divsi) does.
  addBinary<arith::DivFOp, arith::DivSIOp, arith::DivUIOp>(
      registry, "Div", {7, 13, 14}, [](ArrayRef<int64_t> v) { return v[1] ? v[0] / v[1] : int64_t(0); });
  registry.add("", "Pow", {7, 12, 13, 15}, importPow);

  addUnary<math::SqrtOp>(registry, "Sqrt", {6, 13});
  addUnary<arith::NegFOp>(registry, "Neg", {6, 13});
  addUnary<math::ExpOp>(registry, "Exp", {6, 13});
  addUnary<math::LogOp>(registry, "Log", {6, 13});
  addUnary<math::AbsFOp>(registry, "Abs", {6, 13});
  addUnary<math::TanhOp>(registry, "Tanh", {6, 13});
  addUnary<math::ErfOp>(registry, "Erf", {9, 13});
  addFloatUnary(registry, "Reciprocal", {6, 13},
                [](NodeImporter &, OpBuilder &b, Location loc, ValueRange args) -> Value {
                  return arith::DivFOp::create(b, loc, constantLike(b, loc, args[0], 1.0), args[0]);
                });
  addFloatUnary(registry, "Sigmoid", {6, 13},
                [](NodeImporter &, OpBuilder &b, Location loc, ValueRange args) {
                  return sigmoid(b, loc, args[0]);
                });
  addFloatUnary(registry, "Relu", {6, 13, 14},
                [](NodeImporter &, OpBuilder &b, Location loc, ValueRange args) -> Value {
                  return arith::MaximumFOp::create(b, loc, args[0], constantLike(b, loc, args[0], 0.0));
                });
  addFloatUnary(registry, "LeakyRelu", {6, 16},
                [](NodeImporter &node, OpBuilder &b, Location loc, ValueRange args) -> Value {
                  Value x = args[0];
                  Value alpha = constantLike(b, loc, x, node.getFloat("alpha", 0.01f));
                  Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                                         constantLike(b, loc, x, 0.0));
                  return arith::SelectOp::create(b, loc, negative,
                                                 arith::MulFOp::create(b, loc, alpha, x), x);
                });
  addFloatUnary(registry, "Elu", {6, 22},
                [](NodeImporter &node, OpBuilder &b, Location loc, ValueRange args) -> Value {
                  Value x = args[0];
                  Value alpha = constantLike(b, loc, x, node.getFloat("alpha", 1.0f));
                  Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                                         constantLike(b, loc, x, 0.0));
                  Value expm1 = math::ExpM1Op::create(b, loc, x);
                  return arith::SelectOp::create(b, loc, negative,
                                                 arith::MulFOp::create(b, loc, alpha, expm1), x);
                });
  addFloatUnary(registry, "HardSigmoid", {6, 22},
                [](NodeImporter &node, OpBuilder &b, Location loc, ValueRange args) -> Value {
                  Value x = args[0];
                  Value alpha = constantLike(b, loc, x, node.getFloat("alpha", 0.2f));
                  Value beta = constantLike(b, loc, x, node.getFloat("beta", 0.5f));
                  Value linear = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, alpha, x), beta);
                  return clamp(b, loc, linear, constantLike(b, loc, x, 0.0), constantLike(b, loc, x, 1.0));
                });
  addFloatUnary(registry, "HardSwish", {14, 22},
                [](NodeImporter &, OpBuilder &b, Location loc, ValueRange args) -> Value {
                  // x * max(0, min(1, x / 6 + 0.5)), as HardSigmoid(alpha = 1/6).
                  Value x = args[0];
                  Value linear = arith::AddFOp::create(
                      b, loc, arith::MulFOp::create(b, loc, constantLike(b, loc, x, 1.0 / 6.0), x),
                      constantLike(b, loc, x, 0.5));
                  Value gate = clamp(b, loc, linear, constantLike(b, loc, x, 0.0),
                                     constantLike(b, loc, x, 1.0));
                  return arith::MulFOp::create(b, loc, x, gate);
                });
  addFloatUnary(registry, "Gelu", {20},
                [](NodeImporter &node, OpBuilder &b, Location loc, ValueRange args) -> Value {
                  Value x = args[0];
                  Value half = constantLike(b, loc, x, 0.5), one = constantLike(b, loc, x, 1.0);
                  Value inner;
                  if (node.getString("approximate", "none") == "tanh") {
                    // tanh(sqrt(2/pi) * (x + 0.044715 x^3))
                    Value cube = arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
                    Value sum = arith::AddFOp::create(
                        b, loc, x, arith::MulFOp::create(b, loc, constantLike(b, loc, x, 0.044715), cube));
                    inner = math::TanhOp::create(
                        b, loc,
                        arith::MulFOp::create(b, loc, constantLike(b, loc, x, std::sqrt(2.0 / M_PI)), sum));
                  } else {
                    inner = math::ErfOp::create(
                        b, loc, arith::MulFOp::create(b, loc, x, constantLike(b, loc, x, M_SQRT1_2)));
                  }
                  return arith::MulFOp::create(
                      b, loc, arith::MulFOp::create(b, loc, half, x),
                      arith::AddFOp::create(b, loc, one, inner));
                });
  registry.add("", "Clip", {6}, importClipWithAttributes);
  registry.add("", "Clip", {11, 12, 13}, importClip);
}
