//===- NormalizationOps.cpp - ONNX Softmax, LogSoftmax, LayerNormalization ===//
//
// Built from reductions (kept dimensions) and broadcasting elementwise
// generics, in the numerically stable forms ONNX Runtime uses: softmax
// subtracts the row maximum; layer norm takes the variance of x - mean.
//
//===----------------------------------------------------------------------===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"
#include "../TensorBuilders.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace qopt;

namespace {

Value add(OpBuilder &b, Location l, ValueRange args) {
  return arith::AddFOp::create(b, l, args[0], args[1]);
}

/// Softmax-13 / LogSoftmax-13 over one axis (default -1).
LogicalResult importSoftmax(NodeImporter &node, bool logarithm) {
  Value input = node.getInput(0);
  if (!input)
    return node.emitError() << "needs an input";
  auto type = cast<RankedTensorType>(input.getType());
  if (!isa<FloatType>(type.getElementType()))
    return node.emitError() << "needs a float input";
  // Before opset 13 the input is coerced to 2-D, [prod(dims < axis),
  // prod(dims >= axis)], with axis 1 by default: the normalization runs over
  // every dimension from the axis on. From 13, over the one axis (default -1).
  const bool coerced = node.getOpset() < 13;
  std::optional<SmallVector<int64_t>> axis =
      normalizeAxes(node, {node.getInt("axis", coerced ? 1 : -1)}, type.getRank());
  if (!axis)
    return failure();
  if (coerced)
    *axis = llvm::to_vector(llvm::seq<int64_t>((*axis)[0], type.getRank()));
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  Type elementType = type.getElementType();
  Value max = buildReduction(b, loc, input, *axis, /*keepDims=*/true,
                             -std::numeric_limits<double>::infinity(),
                             [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                               return arith::MaximumFOp::create(nb, l, args[0], args[1]);
                             });
  Value shifted = buildElementwise(node, {input, max}, elementType,
                                   [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                     return arith::SubFOp::create(nb, l, args[0], args[1]);
                                   });
  Value exponentials = buildElementwise(node, shifted, elementType,
                                        [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                          return math::ExpOp::create(nb, l, args[0]);
                                        });
  Value sum = buildReduction(b, loc, exponentials, *axis, true, 0.0, add);
  Value result =
      logarithm
          ? buildElementwise(node, {shifted, sum}, elementType,
                             [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                               return arith::SubFOp::create(nb, l, args[0],
                                                            math::LogOp::create(nb, l, args[1]));
                             })
          : buildElementwise(node, {exponentials, sum}, elementType,
                             [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                               return arith::DivFOp::create(nb, l, args[0], args[1]);
                             });
  node.setOutput(0, result);
  return success();
}

/// Whether `value` is a vector over the last dimension of `type` (ONNX
/// allows any shape that broadcasts; a 1-D one is what exporters write).
bool isLastDimVector(Value value, RankedTensorType type) {
  auto vector = dyn_cast<RankedTensorType>(value.getType());
  return vector && vector.getRank() == 1 && vector.getElementType() == type.getElementType() &&
         !ShapedType::isDynamic(type.getShape().back()) && vector.getDimSize(0) == type.getShape().back();
}

/// A norm over the last dimension whose statistics outputs nobody reads is
/// one qopt.norm: smoothing and rotation fold into its gains.
bool importAsNormOp(NodeImporter &node, NormKind kind, Value input, Value scale, Value bias, int64_t axis,
                    double epsilon) {
  auto type = cast<RankedTensorType>(input.getType());
  if (axis != type.getRank() - 1 || !type.getElementType().isF32() || !isLastDimVector(scale, type) ||
      (bias && !isLastDimVector(bias, type)))
    return false;
  for (unsigned output = 1; output < node.getNumOutputs(); ++output)
    if (node.hasOutput(output))
      return false;
  OpBuilder &b = node.getBuilder();
  Value norm = NormOp::create(b, node.getLoc(), type, NormKindAttr::get(b.getContext(), kind), input, scale, bias,
                              b.getF32FloatAttr(float(epsilon)));
  node.setOutput(0, norm);
  return true;
}

/// RMSNormalization-23 over the last dimension.
LogicalResult importRmsNormalization(NodeImporter &node) {
  Value input = node.getInput(0), scale = node.getInput(1);
  if (!input || !scale)
    return node.emitError() << "needs X and scale";
  auto type = cast<RankedTensorType>(input.getType());
  std::optional<SmallVector<int64_t>> axis = normalizeAxes(node, {node.getInt("axis", -1)}, type.getRank());
  if (!axis)
    return failure();
  if (importAsNormOp(node, NormKind::rms, input, scale, nullptr, (*axis)[0], node.getFloat("epsilon", 1e-5f)))
    return success();
  return node.emitError() << "is supported over the last axis of an f32 input with a 1-D scale of its size; got "
                          << "axis " << (*axis)[0] << " of " << type << " and scale " << scale.getType();
}

/// LayerNormalization-17: normalize over dimensions [axis, rank).
LogicalResult importLayerNormalization(NodeImporter &node) {
  Value input = node.getInput(0), scale = node.getInput(1), bias = node.getInput(2);
  if (!input || !scale)
    return node.emitError() << "needs X and Scale";
  auto type = cast<RankedTensorType>(input.getType());
  Type elementType = type.getElementType();
  if (!isa<FloatType>(elementType))
    return node.emitError() << "needs a float input";
  std::optional<SmallVector<int64_t>> first =
      normalizeAxes(node, {node.getInt("axis", -1)}, type.getRank());
  if (!first)
    return failure();
  if (importAsNormOp(node, NormKind::layer, input, scale, bias, (*first)[0], node.getFloat("epsilon", 1e-5f)))
    return success();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>((*first)[0], type.getRank()));
  int64_t count = 1;
  for (int64_t axis : axes)
    count *= type.getDimSize(axis);
  double inverseCount = 1.0 / double(count);
  double epsilon = node.getFloat("epsilon", 1e-5f);
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();

  Value mean = buildElementwise(
      node, buildReduction(b, loc, input, axes, true, 0.0, add), elementType,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::MulFOp::create(nb, l, args[0], buildScalar(nb, l, elementType, inverseCount));
      });
  Value centered = buildElementwise(node, {input, mean}, elementType,
                                    [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                      return arith::SubFOp::create(nb, l, args[0], args[1]);
                                    });
  Value squares = buildElementwise(node, centered, elementType,
                                   [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                     return arith::MulFOp::create(nb, l, args[0], args[0]);
                                   });
  Value inverseStd = buildElementwise(
      node, buildReduction(b, loc, squares, axes, true, 0.0, add), elementType,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value variance = arith::MulFOp::create(nb, l, args[0], buildScalar(nb, l, elementType, inverseCount));
        Value shifted = arith::AddFOp::create(nb, l, variance, buildScalar(nb, l, elementType, epsilon));
        return math::RsqrtOp::create(nb, l, shifted);
      });
  SmallVector<Value> operands = {centered, inverseStd, scale};
  if (bias)
    operands.push_back(bias);
  Value result = buildElementwise(node, operands, elementType,
                                  [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                    Value normalized = arith::MulFOp::create(nb, l, args[0], args[1]);
                                    Value scaled = arith::MulFOp::create(nb, l, normalized, args[2]);
                                    return args.size() > 3 ? arith::AddFOp::create(nb, l, scaled, args[3])
                                                           : scaled;
                                  });
  if (!result)
    return failure();
  node.setOutput(0, result);
  // Mean and InvStdDev, with the normalized dimensions kept as size 1.
  node.setOutput(1, mean);
  node.setOutput(2, inverseStd);
  return success();
}

/// BatchNormalization: y = (x - mean) / sqrt(var + epsilon) * scale + B per
/// channel (axis 1). In inference the statistics are inputs; in training mode
/// (opset 14+) they are the batch's own (population variance over every
/// axis but 1), and the running statistics outputs are
/// input * momentum + batch * (1 - momentum).
/// Inference BatchNormalization of a qopt.conv2d whose f32 weight, bias and
/// the four statistics are constants: a new convolution with weight W * s
/// and bias (b - mean) * s + B, s = scale / sqrt(var + eps), so that
/// quantization sees the weights that actually run. The original stays for
/// its other users, if any (dead code elimination removes it otherwise).
/// Returns false (nothing built) when the pattern does not apply.
bool foldIntoConvolution(NodeImporter &node, Value x, double epsilon) {
  auto conv = x.getDefiningOp<Conv2DOp>();
  if (!conv || !conv.getType().getElementType().isF32())
    return false;
  ElementsAttr weightAttr = getConstantTensor(conv.getWeight());
  ElementsAttr biasAttr = conv.getBias() ? getConstantTensor(conv.getBias()) : ElementsAttr();
  if (!weightAttr || (conv.getBias() && !biasAttr))
    return false;
  std::optional<std::vector<float>> weight = readFloatConstant(weightAttr);
  std::optional<std::vector<float>> bias =
      biasAttr ? readFloatConstant(biasAttr) : std::optional<std::vector<float>>(std::vector<float>());
  const size_t channels = size_t(conv.getType().getDimSize(1));
  SmallVector<std::vector<float>> stats;
  for (unsigned i = 1; i <= 4; ++i) {
    ElementsAttr attr = getConstantTensor(node.getInput(i));
    std::optional<std::vector<float>> values = attr ? readFloatConstant(attr) : std::nullopt;
    if (!values || values->size() != channels)
      return false; // the general path reports wrong sizes
    stats.push_back(std::move(*values));
  }
  if (!weight || !bias)
    return false;
  const size_t perChannel = weight->size() / channels;
  std::vector<float> foldedBias(channels);
  for (size_t f = 0; f < channels; ++f) {
    double s = double(stats[0][f]) / std::sqrt(double(stats[3][f]) + epsilon);
    for (size_t i = 0; i < perChannel; ++i)
      (*weight)[f * perChannel + i] = float((*weight)[f * perChannel + i] * s);
    double b = bias->empty() ? 0.0 : double((*bias)[f]);
    foldedBias[f] = float((b - double(stats[2][f])) * s + double(stats[1][f]));
  }
  OpBuilder &builder = node.getBuilder();
  auto weightType = cast<RankedTensorType>(conv.getWeight().getType());
  auto biasType = RankedTensorType::get({int64_t(channels)}, builder.getF32Type());
  Value newWeight = arith::ConstantOp::create(builder, node.getLoc(),
                                              DenseElementsAttr::get(weightType, ArrayRef<float>(*weight)));
  Value newBias = arith::ConstantOp::create(builder, node.getLoc(),
                                            DenseElementsAttr::get(biasType, ArrayRef<float>(foldedBias)));
  // The folded convolution keeps the convolution's name (its location).
  auto folded = Conv2DOp::create(builder, conv.getLoc(), conv.getType(), conv.getInput(), newWeight, newBias,
                                 conv.getStridesAttr(), conv.getDilationsAttr(), conv.getPadsAttr(),
                                 conv.getGroupsAttr());
  node.setOutput(0, folded.getResult());
  return true;
}

LogicalResult importBatchNormalization(NodeImporter &node) {
  Value x = node.getInput(0);
  if (!x || !node.hasInput(1) || !node.hasInput(2) || !node.hasInput(3) || !node.hasInput(4))
    return node.emitError() << "needs X, scale, B, input_mean and input_var";
  // Versions 7 and 9 compute the statistics (training) exactly when the
  // mean/var/saved outputs are there; 14 on says so with training_mode.
  const int64_t opset = node.getOpset();
  if (opset < 14 && (node.hasOutput(1) || node.hasOutput(2) || node.hasOutput(3) ||
                     node.hasOutput(4)))
    return node.emitError() << "the mean, var and saved statistics outputs make BatchNormalization "
                               "before opset 14 a training step; only inference (output Y) imports";
  bool training = node.getInt("training_mode", 0);
  if (!training && (node.hasOutput(1) || node.hasOutput(2)))
    return node.emitError() << "running statistics outputs need training_mode = 1";
  auto type = cast<RankedTensorType>(x.getType());
  Type elementType = type.getElementType();
  if (!isa<FloatType>(elementType) || type.getRank() < 2)
    return node.emitError() << "needs a float input of rank >= 2";
  // BatchNormalization-7's spatial = 0: statistics per element of
  // [C, D1, ..., Dn], not per channel.
  const bool perElement = opset < 9 && node.getInt("spatial", 1) == 0;
  double epsilon = node.getFloat("epsilon", 1e-5f);
  if (!training && !perElement && foldIntoConvolution(node, x, epsilon))
    return success();
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  const int64_t channels = type.getDimSize(1);
  SmallVector<int64_t> channelShape(type.getRank(), 1);
  channelShape[1] = channels;
  if (perElement)
    for (int64_t d = 2; d < type.getRank(); ++d)
      channelShape[d] = type.getDimSize(d);
  int64_t parameterCount = 1;
  for (int64_t dim : channelShape)
    parameterCount *= dim;
  SmallVector<Value> parameters;
  for (unsigned i = 1; i <= 4; ++i) {
    Value parameter = node.getInput(i);
    if (cast<RankedTensorType>(parameter.getType()).getNumElements() != parameterCount)
      return node.emitError() << "input " << i << " must have one value per "
                              << (perElement ? "element of [C, D1, ..., Dn] (spatial = 0)"
                                             : "channel");
    parameters.push_back(buildStaticReshape(b, loc, parameter, channelShape));
  }
  auto cast = [&](OpBuilder &nb, Location l, Value v) -> Value {
    return v.getType() == elementType ? v : arith::TruncFOp::create(nb, l, elementType, v).getResult();
  };
  Value mean = parameters[2], variance = parameters[3];
  if (training) {
    SmallVector<int64_t> axes = {0};
    for (int64_t d = 2; d < type.getRank(); ++d)
      axes.push_back(d);
    double inverseCount = double(channels) / double(type.getNumElements());
    auto average = [&](Value v) {
      return buildElementwise(node, buildReduction(b, loc, v, axes, true, 0.0, add), elementType,
                              [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                return arith::MulFOp::create(nb, l, args[0],
                                                             buildScalar(nb, l, elementType, inverseCount));
                              });
    };
    mean = average(x);
    Value squares = buildElementwise(node, {x, mean}, elementType,
                                     [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                       Value d = arith::SubFOp::create(nb, l, args[0], args[1]);
                                       return arith::MulFOp::create(nb, l, d, d);
                                     });
    variance = average(squares);
    double momentum = node.getFloat("momentum", 0.9f);
    auto running = [&](Value input, Value batch) {
      Value mixed = buildElementwise(node, {input, batch}, elementType,
                                     [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                       Value kept = arith::MulFOp::create(
                                           nb, l, cast(nb, l, args[0]), buildScalar(nb, l, elementType, momentum));
                                       Value added = arith::MulFOp::create(
                                           nb, l, args[1], buildScalar(nb, l, elementType, 1.0 - momentum));
                                       return arith::AddFOp::create(nb, l, kept, added);
                                     });
      return buildStaticReshape(b, loc, mixed, {channels});
    };
    node.setOutput(1, running(parameters[2], mean));
    node.setOutput(2, running(parameters[3], variance));
  }
  Value result = buildElementwise(node, {x, parameters[0], parameters[1], mean, variance}, elementType,
                                  [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                    Value shifted = arith::AddFOp::create(
                                        nb, l, cast(nb, l, args[4]), buildScalar(nb, l, elementType, epsilon));
                                    Value centered = arith::SubFOp::create(nb, l, args[0], cast(nb, l, args[3]));
                                    Value normalized = arith::DivFOp::create(
                                        nb, l, centered, math::SqrtOp::create(nb, l, shifted));
                                    return arith::AddFOp::create(
                                        nb, l, arith::MulFOp::create(nb, l, normalized, cast(nb, l, args[1])),
                                        cast(nb, l, args[2]));
                                  });
  if (!result)
    return failure();
  node.setOutput(0, result);
  return success();
}

/// InstanceNormalization: each (sample, channel) normalized over its
/// spatial elements (biased variance), then scaled and shifted per channel.
LogicalResult importInstanceNormalization(NodeImporter &node) {
  Value x = node.getInput(0);
  if (!x || !node.hasInput(1) || !node.hasInput(2))
    return node.emitError() << "needs input, scale and B";
  auto type = cast<RankedTensorType>(x.getType());
  Type elementType = type.getElementType();
  if (!isa<FloatType>(elementType) || type.getRank() < 3)
    return node.emitError() << "needs a float input of rank >= 3";
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  const int64_t channels = type.getDimSize(1);
  SmallVector<int64_t> channelShape(type.getRank(), 1);
  channelShape[1] = channels;
  SmallVector<Value> parameters;
  for (unsigned i = 1; i <= 2; ++i) {
    Value parameter = node.getInput(i);
    auto parameterType = cast<RankedTensorType>(parameter.getType());
    if (parameterType.getNumElements() != channels || parameterType.getElementType() != elementType)
      return node.emitError() << "input " << i << " must have one value per channel, of the input's type";
    parameters.push_back(buildStaticReshape(b, loc, parameter, channelShape));
  }
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t d = 2; d < type.getRank(); ++d) {
    axes.push_back(d);
    count *= type.getDimSize(d);
  }
  double inverseCount = count ? 1.0 / double(count) : 0.0;
  auto average = [&](Value v) {
    return buildElementwise(node, buildReduction(b, loc, v, axes, true, 0.0, add), elementType,
                            [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                              return arith::MulFOp::create(nb, l, args[0],
                                                           buildScalar(nb, l, elementType, inverseCount));
                            });
  };
  Value mean = average(x);
  Value centered = buildElementwise(node, {x, mean}, elementType,
                                    [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                      return arith::SubFOp::create(nb, l, args[0], args[1]);
                                    });
  Value variance = average(buildElementwise(node, centered, elementType,
                                            [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                              return arith::MulFOp::create(nb, l, args[0], args[0]);
                                            }));
  double epsilon = node.getFloat("epsilon", 1e-5f);
  Value result = buildElementwise(
      node, {centered, variance, parameters[0], parameters[1]}, elementType,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value deviation = math::SqrtOp::create(
            nb, l, arith::AddFOp::create(nb, l, args[1], buildScalar(nb, l, elementType, epsilon)));
        Value normalized = arith::DivFOp::create(nb, l, args[0], deviation);
        return arith::AddFOp::create(nb, l, arith::MulFOp::create(nb, l, normalized, args[2]), args[3]);
      });
  if (!result)
    return failure();
  node.setOutput(0, result);
  return success();
}

} // namespace

void qopt::registerNormalizationOps(OnnxOpRegistry &registry) {
  registry.add("", "BatchNormalization", {7, 9, 14, 15}, importBatchNormalization);
  registry.add("", "Softmax", {1, 11, 13}, [](NodeImporter &node) { return importSoftmax(node, false); });
  registry.add("", "LogSoftmax", {1, 11, 13}, [](NodeImporter &node) { return importSoftmax(node, true); });
  registry.add("", "InstanceNormalization", {6, 22}, importInstanceNormalization);
  registry.add("", "LayerNormalization", {17}, importLayerNormalization);
  registry.add("", "RMSNormalization", {23}, importRmsNormalization);
}
