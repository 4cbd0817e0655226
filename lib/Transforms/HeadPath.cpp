//===- HeadPath.cpp - A linear's output followed head by head to linears -===//

#include "HeadPath.h"

#include "qopt/Support/ConstantTensor.h"
#include "qopt/Support/ScalarBody.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace qopt;

namespace {

/// Whether `init` holds zeros (a zero fill or a zero splat constant).
bool isZeroInit(Value init) {
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    init = fill.getInputs()[0];
  std::optional<double> value = getSplatScalar(init);
  if (!value) {
    FloatAttr attr;
    if (!matchPattern(init, m_Constant(&attr)))
      return false;
    value = attr.getValueAsDouble();
  }
  return *value == 0.0;
}

/// Whether `op`'s body is linear in its block argument `input` (jointly with
/// its accumulator when it reads one), the other arguments held fixed.
bool isLinearIn(linalg::GenericOp op, unsigned input) {
  const unsigned count = op.getBody()->getNumArguments();
  const unsigned accumulator = op.getNumDpsInputs();
  const bool accumulates = !op.getBody()->getArgument(accumulator).use_empty();
  const double a = 0.75, b = -1.25;
  for (unsigned probe = 0; probe < 2; ++probe) {
    SmallVector<double> fixed(count), first(count), second(count), mixed(count);
    for (unsigned i = 0; i < count; ++i)
      fixed[i] = 0.3 + 0.7 * double(i + probe) - 0.2 * double(i * i);
    first = fixed, second = fixed, mixed = fixed;
    SmallVector<unsigned> varying = {input};
    if (accumulates)
      varying.push_back(accumulator);
    for (unsigned i : varying) {
      first[i] = 1.5 + double(probe) + 0.1 * i;
      second[i] = -2.25 + 0.5 * double(probe) - 0.3 * i;
      mixed[i] = a * first[i] + b * second[i];
    }
    std::optional<double> f1 = evaluateScalarBody(op, first), f2 = evaluateScalarBody(op, second),
                          fm = evaluateScalarBody(op, mixed);
    if (!f1 || !f2 || !fm)
      return false;
    double expected = a * *f1 + b * *f2;
    if (std::abs(*fm - expected) > 1e-9 * (1.0 + std::abs(expected)))
      return false;
  }
  return true;
}

/// Why `op` reading `operand` does not keep the head blocks, or "" if it
/// does.
std::string explainGeneric(linalg::GenericOp op, OpOperand &operand) {
  if (op->getNumResults() != 1 || op.getNumDpsInits() != 1)
    return "a generic with several results";
  if (!op.isDpsInput(&operand))
    return "accumulates into the value";
  for (OpOperand *other : op.getDpsInputOperands())
    if (other != &operand && other->get() == operand.get())
      return "reads the value twice (not linear)";
  AffineMap map = op.getMatchingIndexingMap(&operand);
  auto last = map.getNumResults() ? dyn_cast<AffineDimExpr>(map.getResults().back()) : nullptr;
  if (!last)
    return "does not index the channels by a loop";
  const unsigned loop = last.getPosition();
  if (op.getIteratorTypesArray()[loop] != utils::IteratorType::parallel)
    return "reduces over the channels";
  for (AffineExpr result : map.getResults().drop_back())
    if (result.isFunctionOfDim(loop))
      return "mixes the channel index with another dimension";
  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(init);
  if (!outMap.getNumResults() || outMap.getResults().back() != last ||
      llvm::any_of(outMap.getResults().drop_back(), [&](AffineExpr e) { return e.isFunctionOfDim(loop); }))
    return "moves the channels out of the last dimension";
  for (OpOperand *other : op.getDpsInputOperands())
    if (other != &operand && op.getMatchingIndexingMap(other).isFunctionOfDim(loop))
      return "combines the channels with another tensor's channels";
  if (!isLinearIn(op, operand.getOperandNumber()))
    return "is not linear in the value";
  if (!op.getBody()->getArgument(op.getNumDpsInputs()).use_empty() && !isZeroInit(init->get()))
    return "accumulates onto a nonzero initial value";
  return "";
}

} // namespace

FailureOr<HeadPath> qopt::matchHeadPath(LinearOp producer, std::string &why) {
  llvm::raw_string_ostream reason(why);
  if (!getConstantTensor(producer.getWeight()) || (producer.getBias() && !getConstantTensor(producer.getBias()))) {
    reason << "the weight or bias is not constant";
    return failure();
  }
  HeadPath path;
  path.producer = producer;
  const int64_t width = cast<RankedTensorType>(producer.getResult().getType()).getShape().back();
  int64_t block = 0; // 0 until a reshape splits the channels into heads
  SmallVector<Value> worklist = {producer.getResult()};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      auto fail = [&](StringRef what) {
        reason << "'" << user->getName() << "' at " << user->getLoc() << " " << what;
        return failure();
      };
      if (auto linear = dyn_cast<LinearOp>(user)) {
        if (use.getOperandNumber() != 0 || !getConstantTensor(linear.getWeight()))
          return fail("reads it as a weight or has a non-constant weight");
        path.consumers.push_back(linear);
        continue;
      }
      if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(user)) {
        int64_t channels = cast<RankedTensorType>(user->getResult(0).getType()).getShape().back();
        int64_t from = cast<RankedTensorType>(value.getType()).getShape().back();
        if (ShapedType::isDynamic(channels))
          return fail("has a dynamic last dimension");
        if (channels < from && isa<tensor::ExpandShapeOp>(user) && block == 0)
          block = channels; // heads split off: [.., heads·d] -> [.., heads, d]
        if (channels % (block ? block : from) != 0)
          return fail("splits the channels across head blocks");
        worklist.push_back(user->getResult(0));
        continue;
      }
      if (auto transpose = dyn_cast<linalg::TransposeOp>(user)) {
        if (transpose.getPermutation().back() != int64_t(transpose.getPermutation().size()) - 1)
          return fail("moves the channels out of the last dimension");
        worklist.push_back(transpose->getResult(0));
        continue;
      }
      if (auto generic = dyn_cast<linalg::GenericOp>(user)) {
        std::string problem = explainGeneric(generic, use);
        if (!problem.empty())
          return fail(problem);
        worklist.push_back(generic->getResult(0));
        continue;
      }
      return fail("is not a reshape, transpose, linear generic or linear layer");
    }
  }
  if (path.consumers.empty()) {
    reason << "reaches no linear layer";
    return failure();
  }
  path.blockSize = block ? block : width;
  for (LinearOp consumer : path.consumers)
    if (cast<RankedTensorType>(consumer.getInput().getType()).getShape().back() % path.blockSize != 0) {
      reason << "the consumer at " << consumer.getLoc() << " does not read whole head blocks";
      return failure();
    }
  return path;
}
