//===- RecognizeNorms.cpp - RMSNorm and LayerNorm out of elementwise IR ---===//
//
// Exporters spell a norm as a handful of ONNX nodes (Pow or Mul, ReduceMean
// or ReduceSum and Div, Add, Sqrt, Reciprocal or Div, Mul) and each spelling
// imports as a chain of linalg.generic ops. This pass recognizes the
// function rather than a spelling:
//
//   S    = sum over the last dimension of x²         (a reduction generic,
//                                                      squaring fused or not)
//   r    = chain(S)                                   (generics over the
//                                                      [..., 1] row values)
//   y    = combine(x, r)  with  combine(x, chain(S)) = x · c / sqrt(S/n + eps)
//
// checked by evaluating the bodies (qopt/Support/ScalarBody.h) at probe
// points, which also recovers eps and any constant factor c. If x itself is
// x0 - mean(x0) (a row mean of x0 subtracted), the norm is a LayerNorm of
// x0. A per-channel gain (and offset) applied next by a generic that is the
// norm's only reader becomes gamma (and beta). The match becomes one
// qopt.norm; the now-dead chain is erased.
//
//===----------------------------------------------------------------------===//

#include "qopt/Transforms/Passes.h"

#include "ChannelMatching.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/ConstantTensor.h"
#include "qopt/Support/ScalarBody.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

#include <cmath>

namespace qopt {
#define GEN_PASS_DEF_RECOGNIZENORMS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

bool near(double a, double b, double tolerance = 1e-5) {
  return std::isfinite(a) && std::isfinite(b) && std::fabs(a - b) <= tolerance * std::max(1.0, std::fabs(b));
}

bool isIdentityOrKeepDims(AffineMap map, bool keepDims) {
  if (map.getNumResults() != map.getNumDims())
    return false;
  for (unsigned i = 0; i < map.getNumResults(); ++i) {
    bool last = i + 1 == map.getNumResults();
    AffineExpr expected = last && keepDims ? getAffineConstantExpr(0, map.getContext())
                                           : getAffineDimExpr(i, map.getContext());
    if (map.getResult(i) != expected)
      return false;
  }
  return true;
}

/// An elementwise generic of one variable operand: the operand, and its
/// function of that operand's element (other inputs are splat constants).
struct UnaryStep {
  linalg::GenericOp op;
  Value operand;
  unsigned argument; // the block argument the operand binds
  SmallVector<double> arguments;

  std::optional<double> operator()(double value) const {
    SmallVector<double> bound(arguments);
    bound[argument] = value;
    return evaluateScalarBody(op, bound);
  }
};

/// A generic whose inputs are splat constants except `variables` (by
/// position), with the block-argument values of the constants filled in
/// (the output's argument gets 0).
std::optional<SmallVector<double>> bindConstants(linalg::GenericOp op, ArrayRef<unsigned> variables) {
  SmallVector<double> arguments(op.getBody()->getNumArguments(), 0.0);
  for (OpOperand *input : op.getDpsInputOperands()) {
    unsigned index = input->getOperandNumber();
    if (llvm::is_contained(variables, index))
      continue;
    std::optional<double> scalar = getSplatScalar(input->get());
    if (!scalar)
      return std::nullopt;
    arguments[index] = *scalar;
  }
  return arguments;
}

/// `value` as a one-variable elementwise step over an operand of the same
/// shape (identity maps, all loops parallel).
std::optional<UnaryStep> matchUnaryStep(Value value) {
  auto op = value.getDefiningOp<linalg::GenericOp>();
  if (!op || op->getNumResults() != 1 || op.getNumLoops() != op.getNumParallelLoops())
    return std::nullopt;
  std::optional<unsigned> variable;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (getSplatScalar(input->get()))
      continue;
    if (variable || !op.getMatchingIndexingMap(input).isIdentity() || input->get().getType() != value.getType())
      return std::nullopt;
    variable = input->getOperandNumber();
  }
  if (!variable || !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity())
    return std::nullopt;
  std::optional<SmallVector<double>> arguments = bindConstants(op, {*variable});
  if (!arguments)
    return std::nullopt;
  return UnaryStep{op, op->getOperand(*variable), *variable, std::move(*arguments)};
}

/// A row reduction over the last dimension: S[..., 0] = Σ_j p(x[..., j])
/// for an elementwise p the reduction body (and unary steps from x to it)
/// applies.
struct RowSum {
  Value input;
  std::function<std::optional<double>(double)> element;
  int64_t count;
};

std::optional<RowSum> matchRowSum(Value value, Value expectedInput) {
  auto op = value.getDefiningOp<linalg::GenericOp>();
  if (!op || op->getNumResults() != 1 || op.getNumDpsInputs() != 1 || op.getNumReductionLoops() != 1 ||
      op.getIteratorTypesArray().back() != utils::IteratorType::reduction ||
      !isIdentityOrKeepDims(op.getMatchingIndexingMap(op.getDpsInputOperand(0)), false) ||
      !isIdentityOrKeepDims(op.getMatchingIndexingMap(op.getDpsInitOperand(0)), true) ||
      !isZeroInitialized(op.getDpsInitOperand(0)->get()))
    return std::nullopt;
  auto inputType = cast<RankedTensorType>(op.getDpsInputOperand(0)->get().getType());
  if (!inputType.hasStaticShape())
    return std::nullopt;
  // The body must be acc + p(x).
  auto body = [op](double x, double accumulator) { return evaluateScalarBody(op, {x, accumulator}); };
  for (double x : {0.5, -1.25, 3.0})
    for (double accumulator : {0.0, 2.0, -7.5}) {
      std::optional<double> sum = body(x, accumulator), alone = body(x, 0.0);
      if (!sum || !alone || !near(*sum, accumulator + *alone))
        return std::nullopt;
    }
  RowSum rowSum{op.getDpsInputOperand(0)->get(), [body](double x) { return body(x, 0.0); },
                inputType.getShape().back()};
  // Elementwise steps between x and the reduction (Pow, Mul x x) fold into p.
  while (rowSum.input != expectedInput) {
    std::optional<UnaryStep> step = matchUnaryStep(rowSum.input);
    if (!step)
      return std::nullopt;
    auto outer = rowSum.element;
    rowSum.element = [outer, step = *step](double x) -> std::optional<double> {
      std::optional<double> inner = step(x);
      return inner ? outer(*inner) : std::nullopt;
    };
    rowSum.input = step->operand;
  }
  return rowSum;
}

/// r = f(S) through one-variable steps over the [..., 1] row values, back
/// to the row sum they start from.
struct RowFunction {
  RowSum sum;
  std::function<std::optional<double>(double)> apply;
};

std::optional<RowFunction> matchRowFunction(Value value, Value expectedInput) {
  std::function<std::optional<double>(double)> apply = [](double s) { return s; };
  while (true) {
    if (std::optional<RowSum> sum = matchRowSum(value, expectedInput))
      return RowFunction{std::move(*sum), apply};
    std::optional<UnaryStep> step = matchUnaryStep(value);
    if (!step)
      return std::nullopt;
    apply = [apply, step = *step](double s) -> std::optional<double> {
      std::optional<double> inner = step(s);
      return inner ? apply(*inner) : std::nullopt;
    };
    value = step->operand;
  }
}

/// y = combine(x, r): x over the full shape, r broadcast along the last
/// dimension from a [..., 1] row value.
struct RowCombine {
  linalg::GenericOp op;
  Value input = nullptr, row = nullptr;
  unsigned inputArgument = 0, rowArgument = 0;
  SmallVector<double> arguments;

  std::optional<double> operator()(double x, double r) const {
    SmallVector<double> bound(arguments);
    bound[inputArgument] = x;
    bound[rowArgument] = r;
    return evaluateScalarBody(op, bound);
  }
};

std::optional<RowCombine> matchRowCombine(Value value) {
  auto op = value.getDefiningOp<linalg::GenericOp>();
  if (!op || op->getNumResults() != 1 || op.getNumLoops() != op.getNumParallelLoops() ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity())
    return std::nullopt;
  RowCombine combine;
  combine.op = op;
  SmallVector<unsigned> variables;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (getSplatScalar(input->get()))
      continue;
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.isIdentity() && input->get().getType() == value.getType() && !combine.input) {
      combine.input = input->get();
      combine.inputArgument = input->getOperandNumber();
    } else if (isIdentityOrKeepDims(map, true) && !combine.row) {
      combine.row = input->get();
      combine.rowArgument = input->getOperandNumber();
    } else {
      return std::nullopt;
    }
    variables.push_back(input->getOperandNumber());
  }
  if (!combine.input || !combine.row)
    return std::nullopt;
  std::optional<SmallVector<double>> arguments = bindConstants(op, variables);
  if (!arguments)
    return std::nullopt;
  combine.arguments = std::move(*arguments);
  return combine;
}

/// A recognized normalization of `input` over its last dimension.
struct NormMatch {
  NormKind kind;
  Value input;
  double epsilon, factor; // y = factor * normalized(x)
};

/// Whether `value` is x - mean(x) over the last dimension; returns x.
Value matchCentered(Value value) {
  std::optional<RowCombine> combine = matchRowCombine(value);
  if (!combine)
    return nullptr;
  std::optional<RowFunction> mean = matchRowFunction(combine->row, combine->input);
  if (!mean)
    return nullptr;
  double n = double(mean->sum.count);
  for (double x : {0.5, -2.0, 3.0}) {
    std::optional<double> element = mean->sum.element(x), difference = (*combine)(x, 0.75);
    if (!element || !near(*element, x) || !difference || !near(*difference, x - 0.75))
      return nullptr;
  }
  for (double s : {n, 3.0 * n, -2.0 * n}) {
    std::optional<double> m = mean->apply(s);
    if (!m || !near(*m, s / n))
      return nullptr;
  }
  return combine->input;
}

std::optional<NormMatch> matchNorm(Value value) {
  std::optional<RowCombine> combine = matchRowCombine(value);
  if (!combine)
    return std::nullopt;
  std::optional<RowFunction> rms = matchRowFunction(combine->row, combine->input);
  if (!rms)
    return std::nullopt;
  for (double x : {0.5, -2.0, 3.0}) {
    std::optional<double> square = rms->sum.element(x);
    if (!square || !near(*square, x * x))
      return std::nullopt;
  }
  // k(S): the factor a row with square sum S is multiplied by.
  double n = double(rms->sum.count);
  auto factorAt = [&](double s) -> std::optional<double> {
    std::optional<double> r = rms->apply(s);
    if (!r)
      return std::nullopt;
    std::optional<double> k = (*combine)(1.0, *r);
    if (!k || !(*k > 0.0))
      return std::nullopt;
    for (double x : {-2.0, 3.5}) {
      std::optional<double> y = (*combine)(x, *r);
      if (!y || !near(*y, x * *k))
        return std::nullopt;
    }
    return *k;
  };
  // k(S)^-2 = (S/n + eps) / c² is affine in S.
  SmallVector<double> inverseSquares;
  for (double s : {n, 2.0 * n, 5.0 * n, 11.0 * n}) {
    std::optional<double> k = factorAt(s);
    if (!k)
      return std::nullopt;
    inverseSquares.push_back(1.0 / (*k * *k));
  }
  double slope = (inverseSquares[1] - inverseSquares[0]) / n;
  double intercept = inverseSquares[0] - slope * n;
  if (!(slope > 0.0) || !near(inverseSquares[2], intercept + slope * 5.0 * n) ||
      !near(inverseSquares[3], intercept + slope * 11.0 * n))
    return std::nullopt;
  double factor = 1.0 / std::sqrt(slope * n);
  double epsilon = intercept / (slope * n);
  if (epsilon < -1e-9)
    return std::nullopt;
  NormMatch match{NormKind::rms, combine->input, std::max(epsilon, 0.0), factor};
  if (Value uncentered = matchCentered(combine->input)) {
    match.kind = NormKind::layer;
    match.input = uncentered;
  }
  return match;
}

/// y = v * gain[c] + offset[c] by a generic that reads v (identity) and
/// constant channel vectors: the gain and offset operands (either null).
struct ChannelGain {
  linalg::GenericOp op;
  Value gain, offset;
};

std::optional<ChannelGain> matchChannelGain(Value normalized) {
  if (!normalized.hasOneUse())
    return std::nullopt;
  auto op = dyn_cast<linalg::GenericOp>(*normalized.getUsers().begin());
  if (!op || op->getNumResults() != 1 || op.getNumLoops() != op.getNumParallelLoops() ||
      op->getResult(0).getType() != normalized.getType() ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity())
    return std::nullopt;
  std::optional<unsigned> variable;
  SmallVector<OpOperand *> vectors;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (input->get() == normalized && op.getMatchingIndexingMap(input).isIdentity() && !variable)
      variable = input->getOperandNumber();
    else if (isChannelVector(op, input))
      vectors.push_back(input);
    else if (!getSplatScalar(input->get()))
      return std::nullopt;
  }
  if (!variable || vectors.empty() || vectors.size() > 2)
    return std::nullopt;
  SmallVector<unsigned> variables = {*variable};
  for (OpOperand *vector : vectors)
    variables.push_back(vector->getOperandNumber());
  std::optional<SmallVector<double>> arguments = bindConstants(op, variables);
  if (!arguments)
    return std::nullopt;
  // Try each role for the vectors: y = v*g, y = v + b, y = v*g + b.
  auto computes = [&](OpOperand *gain, OpOperand *offset) {
    for (auto [v, g, b] : {std::tuple{1.5, 0.75, -0.25}, {-2.0, 3.0, 0.5}, {0.25, -1.5, 2.0}}) {
      SmallVector<double> bound(*arguments);
      bound[*variable] = v;
      if (gain)
        bound[gain->getOperandNumber()] = g;
      if (offset)
        bound[offset->getOperandNumber()] = b;
      std::optional<double> y = evaluateScalarBody(op, bound);
      if (!y || !near(*y, v * (gain ? g : 1.0) + (offset ? b : 0.0)))
        return false;
    }
    return true;
  };
  auto result = [&](OpOperand *gain, OpOperand *offset) {
    return ChannelGain{op, gain ? gain->get() : Value(), offset ? offset->get() : Value()};
  };
  if (vectors.size() == 1) {
    if (computes(vectors[0], nullptr))
      return result(vectors[0], nullptr);
    if (computes(nullptr, vectors[0]))
      return result(nullptr, vectors[0]);
    return std::nullopt;
  }
  for (int first = 0; first < 2; ++first)
    if (computes(vectors[first], vectors[1 - first]))
      return result(vectors[first], vectors[1 - first]);
  return std::nullopt;
}

struct RecognizeNormsPass : qopt::impl::RecognizeNormsBase<RecognizeNormsPass> {
  using RecognizeNormsBase::RecognizeNormsBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> candidates;
    getOperation()->walk([&](linalg::GenericOp op) { candidates.push_back(op); });
    DenseSet<Operation *> replaced;
    for (linalg::GenericOp candidate : candidates) {
      if (replaced.contains(candidate) || candidate->getNumResults() != 1)
        continue;
      auto type = dyn_cast<RankedTensorType>(candidate->getResult(0).getType());
      if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
        continue;
      std::optional<NormMatch> match = matchNorm(candidate->getResult(0));
      if (!match)
        continue;
      replaced.insert(rewrite(candidate, *match));
    }
  }

  /// Replaces the norm ending at `last` (with the gain after it, if any) by
  /// qopt.norm; returns the op whose result it replaced.
  Operation *rewrite(linalg::GenericOp last, const NormMatch &match) {
    int64_t channels = cast<RankedTensorType>(match.input.getType()).getShape().back();
    std::vector<float> gamma(size_t(channels), float(match.factor));
    std::optional<std::vector<float>> beta;
    Operation *replacedOp = last;
    // Per-channel gains and offsets applied next, one generic or several.
    while (std::optional<ChannelGain> gain = matchChannelGain(replacedOp->getResult(0))) {
      std::vector<float> scale(size_t(channels), 1.0f), offset(size_t(channels), 0.0f);
      if (gain->gain)
        scale = *readFloatConstant(getConstantTensor(gain->gain));
      if (gain->offset)
        offset = *readFloatConstant(getConstantTensor(gain->offset));
      for (int64_t c = 0; c < channels; ++c) {
        gamma[c] *= scale[c];
        if (beta)
          (*beta)[c] *= scale[c];
      }
      if (gain->offset) {
        if (!beta)
          beta.emplace(size_t(channels), 0.0f);
        for (int64_t c = 0; c < channels; ++c)
          (*beta)[c] += offset[c];
      }
      replacedOp = gain->op;
    }
    OpBuilder builder(replacedOp);
    Location loc = last.getLoc();
    Value gammaValue = createChannelVector(builder, loc, gamma, "norm_gamma");
    Value betaValue = beta ? createChannelVector(builder, loc, *beta, "norm_beta") : Value();
    auto norm = NormOp::create(builder, loc, match.input.getType(),
                               NormKindAttr::get(builder.getContext(), match.kind), match.input, gammaValue,
                               betaValue, builder.getF32FloatAttr(float(match.epsilon)));
    replacedOp->getResult(0).replaceAllUsesWith(norm.getResult());
    ++numRecognized;
    return replacedOp;
  }
};

} // namespace
