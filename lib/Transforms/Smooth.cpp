//===- Smooth.cpp - SmoothQuant scale migration into per-channel gains ----===//
//
// SmoothQuant (Xiao et al. 2022): activations have a few channels with
// large values that make per-token int8 quantization coarse, while the
// weights reading them are easy to quantize. With s_j = max|X_j|^α /
// max|W_:j|^(1-α), the product X·Wᵀ = (X diag(1/s))·(W diag(s))ᵀ is
// unchanged, the activations get flatter and the weights take the
// difficulty. The 1/s is folded into whatever multiplied X's channels by
// constants last (a norm's gain, whatever the exporter wrote before it),
// s into every linear reading X, so the float model computes the same
// function (up to rounding).
//
// Matched here: a value X whose every user is a qopt.linear (through
// reshapes that keep the last dimension), produced by
//   - a qopt.norm (1/s into gamma and beta),
//   - an elementwise linalg.generic that multiplies its input by a constant
//     vector along the last dimension (and may then add one: both divided),
//   - or a linear whose output reaches X through nothing but a step that
//     commutes with positive per-channel scales (SwiGLU's product in `up`,
//     ReLU) or directly: its rows and bias take 1/s,
//   - or a linear whose output reaches X head by head (attention's v -> o,
//     qopt/Transforms HeadPath.h): one scale per position within a head,
//     shared by all heads, into v's rows and o's columns.
// With search=awq the scales come from AWQ's search (qopt/Quant/ScaleSearch.h).
//
//===----------------------------------------------------------------------===//

#include "qopt/Transforms/Passes.h"

#include "ChannelMatching.h"
#include "HeadPath.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Quant/ScaleSearch.h"
#include "qopt/Support/CalibrationAttributes.h"
#include "qopt/Support/ConstantTensor.h"
#include "qopt/Support/ScalarBody.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

#include <cmath>

namespace qopt {
#define GEN_PASS_DEF_SMOOTH
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// The per-channel gain (and offset) that `producer` applies last: out =
/// in * gain[c] (+ offset[c]), with gain and offset constant vectors over
/// the last dimension c.
struct ChannelAffine {
  Operation *op;
  OpOperand *gain = nullptr, *offset = nullptr;
  /// Or: a linear whose output channels reach X through an elementwise
  /// step that commutes with positive per-channel scales (ReLU, SwiGLU's
  /// product in its `up` operand) or directly; its rows take 1/s.
  LinearOp producer = nullptr;
  /// With a head-path producer: the head size; the scales are tied across
  /// heads (channel j uses the scale of j mod headSize).
  int64_t headSize = 0;
};

/// A norm's gain and offset are the last per-channel affine step it takes.
std::optional<ChannelAffine> matchNormGain(Value value) {
  auto norm = value.getDefiningOp<NormOp>();
  if (!norm || !getConstantTensor(norm.getGamma()) || (norm.getBeta() && !getConstantTensor(norm.getBeta())))
    return std::nullopt;
  ChannelAffine affine{norm};
  affine.gain = &norm->getOpOperand(1);
  if (norm.getBeta())
    affine.offset = &norm->getOpOperand(2);
  return affine;
}

/// Whether the body of elementwise `op` is positively homogeneous in input
/// `index`: f(.., s·a, ..) = s·f(.., a, ..) for s > 0, whatever the others.
bool isPositivelyHomogeneousIn(linalg::GenericOp op, unsigned index) {
  const unsigned arguments = op.getBody()->getNumArguments();
  for (auto [a, other] : {std::pair{-1.3, 0.7}, {0.7, -2.1}, {2.1, 1.9}}) {
    SmallVector<double> base(arguments, other);
    base[index] = a;
    std::optional<double> y = evaluateScalarBody(op, base);
    for (double s : {0.5, 4.0}) {
      SmallVector<double> scaled(base);
      scaled[index] = s * a;
      std::optional<double> ys = evaluateScalarBody(op, scaled);
      if (!y || !ys || std::fabs(*ys - s * *y) > 1e-9 * std::max(1.0, std::fabs(s * *y)))
        return false;
    }
  }
  return true;
}

std::optional<ChannelAffine> matchProducerLinear(Value value) {
  if (LinearOp linear = matchSoleLinearSource(value))
    return ChannelAffine{linear, nullptr, nullptr, linear};
  auto op = value.getDefiningOp<linalg::GenericOp>();
  if (!op || op->getNumResults() != 1 || op.getNumLoops() != op.getNumParallelLoops() ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity())
    return std::nullopt;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (!op.getMatchingIndexingMap(input).isIdentity() || input->get().getType() != value.getType())
      continue;
    LinearOp linear = matchSoleLinearSource(input->get());
    if (linear && isPositivelyHomogeneousIn(op, input->getOperandNumber()))
      return ChannelAffine{op, nullptr, nullptr, linear};
  }
  return std::nullopt;
}

std::optional<ChannelAffine> matchChannelAffine(Value value) {
  if (std::optional<ChannelAffine> norm = matchNormGain(value))
    return norm;
  if (std::optional<ChannelAffine> producer = matchProducerLinear(value))
    return producer;
  auto op = value.getDefiningOp<linalg::GenericOp>();
  if (!op || op.getNumDpsInits() != 1 || op.getNumLoops() != op.getNumParallelLoops() ||
      !cast<RankedTensorType>(value.getType()).getElementType().isF32() ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity())
    return std::nullopt;
  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  Value result = yield.getValues()[0];
  ChannelAffine affine{op};
  // Which input a block argument is.
  auto inputOf = [&](Value v) -> OpOperand * {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != body || arg.getArgNumber() >= op.getNumDpsInputs())
      return nullptr;
    return op.getDpsInputOperand(arg.getArgNumber());
  };
  if (auto add = result.getDefiningOp<arith::AddFOp>()) {
    for (int side = 0; side < 2 && !affine.offset; ++side) {
      OpOperand *offset = inputOf(add->getOperand(side));
      if (offset && isChannelVector(op, offset) && add->getOperand(1 - side).getDefiningOp<arith::MulFOp>()) {
        affine.offset = offset;
        result = add->getOperand(1 - side);
      }
    }
    if (!affine.offset)
      return std::nullopt;
  }
  auto mul = result.getDefiningOp<arith::MulFOp>();
  if (!mul || mul->getBlock() != body || !mul->hasOneUse())
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    OpOperand *gain = inputOf(mul->getOperand(side));
    if (gain && isChannelVector(op, gain) && gain != affine.offset) {
      affine.gain = gain;
      break;
    }
  }
  if (!affine.gain)
    return std::nullopt;
  // The gain's block argument feeds only the multiply.
  if (!body->getArgument(affine.gain->getOperandNumber()).hasOneUse())
    return std::nullopt;
  return affine;
}

/// A copy of constant vector `operand` divided by `scales`, in its place.
void divideChannelVector(OpOperand *operand, ArrayRef<float> scales, StringRef name) {
  std::vector<float> values = *readFloatConstant(getConstantTensor(operand->get()));
  for (size_t c = 0; c < values.size(); ++c)
    values[c] /= scales[c];
  OpBuilder builder(operand->getOwner());
  operand->set(createChannelVector(builder, operand->getOwner()->getLoc(), values, name));
}

/// Every channel j takes the largest value among the channels at the same
/// position j mod headSize of the other heads.
void tieAcrossHeads(std::vector<float> &values, int64_t headSize) {
  for (int64_t j = 0; j < headSize; ++j) {
    float largest = 0.0f;
    for (size_t c = size_t(j); c < values.size(); c += size_t(headSize))
      largest = std::max(largest, values[c]);
    for (size_t c = size_t(j); c < values.size(); c += size_t(headSize))
      values[c] = largest;
  }
}

/// Rows (output channels) and bias of `linear` divided by `scales`.
void divideOutputChannels(LinearOp linear, ArrayRef<float> scales) {
  const int64_t columns = cast<RankedTensorType>(linear.getWeight().getType()).getDimSize(1);
  std::vector<float> weight = *readFloatConstant(getConstantTensor(linear.getWeight()));
  for (size_t i = 0; i < weight.size(); ++i)
    weight[i] /= scales[i / size_t(columns)];
  replaceLinearWeight(linear, weight, "smooth_producer_weight");
  if (Value bias = linear.getBias()) {
    OpBuilder builder(linear);
    std::vector<float> values = *readFloatConstant(getConstantTensor(bias));
    for (size_t c = 0; c < values.size(); ++c)
      values[c] /= scales[c];
    linear.getBiasMutable().assign(createChannelVector(builder, linear.getLoc(), values, "smooth_producer_bias"));
  }
}

struct SmoothPass : qopt::impl::SmoothBase<SmoothPass> {
  using SmoothBase::SmoothBase;

  void runOnOperation() override {
    if (search != "" && search != "awq") {
      getOperation()->emitError() << "qopt-smooth: search must be empty (SmoothQuant) or 'awq', not '" << search
                                  << "'";
      return signalPassFailure();
    }
    if (!(alpha >= 0.0 && alpha <= 1.0)) {
      getOperation()->emitError() << "qopt-smooth: alpha must be in [0, 1], not " << alpha;
      return signalPassFailure();
    }
    SmallVector<Operation *> producers;
    getOperation()->walk([&](Operation *op) {
      if (isa<linalg::GenericOp, NormOp, LinearOp>(op))
        producers.push_back(op);
    });
    for (Operation *producer : producers) {
      if (producer->getNumResults() != 1)
        continue;
      std::optional<ChannelAffine> affine = matchChannelAffine(producer->getResult(0));
      SmallVector<LinearOp> linears;
      if (!affine || !collectLinearReaders(producer->getResult(0), linears)) {
        auto linear = dyn_cast<LinearOp>(producer);
        if (!linear)
          continue;
        std::string why;
        FailureOr<HeadPath> path = matchHeadPath(linear, why);
        if (failed(path))
          continue;
        affine = ChannelAffine{linear, nullptr, nullptr, linear, path->blockSize};
        linears = path->consumers;
      }
      if (failed(smooth(*affine, linears)))
        return signalPassFailure();
    }
  }

  LogicalResult smooth(const ChannelAffine &affine, ArrayRef<LinearOp> linears) {
    const int64_t channels = cast<RankedTensorType>(LinearOp(linears.front()).getInput().getType()).getShape().back();
    // max |X_j| from calibration (all readers see the same X).
    std::vector<float> activationMax(size_t(channels), 0.0f);
    for (LinearOp linear : linears) {
      auto stats = linear->getAttrOfType<ElementsAttr>(calib::kChannelAbsMax);
      if (!stats)
        return linear.emitOpError() << "needs calibration statistics ('" << calib::kChannelAbsMax
                                    << "') to be smoothed: compile with --calib samples";
      std::vector<float> values = *readFloatConstant(stats);
      if (int64_t(values.size()) != channels)
        return linear.emitOpError() << "has " << values.size() << " calibrated channels, its input " << channels;
      for (int64_t j = 0; j < channels; ++j)
        activationMax[j] = std::max(activationMax[j], values[j]);
    }
    // max |W_:j| over every reader's rows.
    std::vector<float> weightMax(size_t(channels), 0.0f);
    SmallVector<std::vector<float>> weights;
    for (LinearOp linear : linears) {
      std::optional<std::vector<float>> weight = readFloatConstant(getConstantTensor(linear.getWeight()));
      if (!weight)
        return linear.emitOpError("has a weight that cannot be read");
      for (size_t i = 0; i < weight->size(); ++i)
        weightMax[i % channels] = std::max(weightMax[i % channels], std::fabs((*weight)[i]));
      weights.push_back(std::move(*weight));
    }
    if (affine.headSize) {
      tieAcrossHeads(activationMax, affine.headSize);
      tieAcrossHeads(weightMax, affine.headSize);
    }
    std::vector<float> scales(size_t(channels), 1.0f);
    if (search == "awq") {
      FailureOr<std::vector<float>> searched = searchScales(linears, weights, activationMax);
      if (failed(searched))
        return failure();
      scales = std::move(*searched);
    } else {
      for (int64_t j = 0; j < channels; ++j) {
        if (activationMax[j] <= 0.0f || weightMax[j] <= 0.0f)
          continue; // a dead channel keeps its scale
        double s = std::pow(double(activationMax[j]), alpha) / std::pow(double(weightMax[j]), 1.0 - alpha);
        scales[j] = float(std::clamp(s, 1e-5, 1e5));
      }
    }

    // 1/s into the producer's gain (and offset) or output rows, s into
    // every reader.
    if (affine.producer) {
      LinearOp producer = affine.producer;
      const int64_t outputs = cast<RankedTensorType>(producer.getWeight().getType()).getDimSize(0);
      // Through a head path, v's channels (kv heads) meet o's by their
      // position in the head.
      std::vector<float> producerScales(static_cast<size_t>(outputs));
      for (int64_t c = 0; c < outputs; ++c)
        producerScales[size_t(c)] = scales[size_t(affine.headSize ? c % affine.headSize : c)];
      divideOutputChannels(producer, producerScales);
    } else {
      divideChannelVector(affine.gain, scales, "smooth_gain");
      if (affine.offset)
        divideChannelVector(affine.offset, scales, "smooth_offset");
    }
    for (auto [index, constLinear] : llvm::enumerate(linears)) {
      LinearOp linear = constLinear;
      std::vector<float> &weight = weights[index];
      for (size_t i = 0; i < weight.size(); ++i)
        weight[i] *= scales[i % channels];
      replaceLinearWeight(linear, weight, "smooth_weight");
      rescaleStatistics(linear, scales);
    }
    ++numSmoothed;
    return success();
  }

  /// AWQ: the scales whose RTN quantization of every reader gives the least
  /// output error on the calibration inputs (qopt/Quant/ScaleSearch.h).
  FailureOr<std::vector<float>> searchScales(ArrayRef<LinearOp> readers, ArrayRef<std::vector<float>> weights,
                                             ArrayRef<float> activationMax) {
    SmallVector<LinearOp> linears(readers);
    RtnOptions options;
    std::string error;
    std::optional<NumberFormat> parsed = NumberFormat::parse(format, &error);
    if (!parsed)
      return linears.front().emitOpError() << "qopt-smooth: " << error;
    options.format = *parsed;
    options.group = group;
    const int64_t channels = int64_t(activationMax.size());
    SmallVector<std::vector<float>> hessians;
    SmallVector<ScaledLayer> layers;
    for (LinearOp linear : linears) {
      auto attr = linear->getAttrOfType<ElementsAttr>(calib::kHessian);
      if (!attr)
        return linear.emitOpError() << "needs its input Hessian ('" << calib::kHessian
                                    << "') for the AWQ scale search: compile with --calib samples";
      hessians.push_back(*readFloatConstant(attr));
    }
    for (auto [index, weight] : llvm::enumerate(weights))
      layers.push_back(ScaledLayer{weight, int64_t(weight.size()) / channels, hessians[index]});
    llvm::Expected<ScaleSearchResult> result = searchActivationAwareScales(layers, activationMax, options);
    if (!result)
      return linears.front().emitOpError() << "qopt-smooth: " << llvm::toString(result.takeError());
    linears.front().emitRemark() << "AWQ scales for " << linears.size() << " readers: alpha " << result->alpha
                                 << ", output error " << result->error << " (RTN " << result->rtnError << ")";
    return std::move(result->scales);
  }

  /// The input statistics of `linear` for X diag(1/s): channel maxima and
  /// the Hessian rescale exactly; quantiles of |x| over all channels do not
  /// and are dropped (calibrate again for static activation ranges).
  static void rescaleStatistics(LinearOp linear, ArrayRef<float> scales) {
    Builder builder(linear.getContext());
    const int64_t channels = int64_t(scales.size());
    if (auto stats = linear->getAttrOfType<ElementsAttr>(calib::kChannelAbsMax)) {
      std::vector<float> values = *readFloatConstant(stats);
      float overall = 0.0f;
      for (int64_t j = 0; j < channels; ++j) {
        values[j] /= scales[j];
        overall = std::max(overall, values[j]);
      }
      linear->setAttr(calib::kChannelAbsMax,
                      DenseElementsAttr::get(RankedTensorType::get({channels}, builder.getF32Type()),
                                             ArrayRef<float>(values)));
      linear->setAttr(calib::kAbsMax, builder.getF32FloatAttr(overall));
    }
    if (auto hessianAttr = linear->getAttrOfType<ElementsAttr>(calib::kHessian)) {
      std::vector<float> hessian = *readFloatConstant(hessianAttr);
      for (int64_t i = 0; i < channels; ++i)
        for (int64_t j = 0; j < channels; ++j)
          hessian[size_t(i * channels + j)] /= scales[i] * scales[j];
      linear->setAttr(calib::kHessian,
                      DenseElementsAttr::get(RankedTensorType::get({channels, channels}, builder.getF32Type()),
                                             ArrayRef<float>(hessian)));
    }
    linear->removeAttr(calib::kAbsQuantiles);
  }
};

} // namespace
