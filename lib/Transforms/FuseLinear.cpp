//===- FuseLinear.cpp - matmul (+ bias) with constant weight -> qopt.linear ===//

#include "qopt/Transforms/Passes.h"

#include "DequantizedLinear.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qopt {
#define GEN_PASS_DEF_FUSELINEAR
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// Materializes the [N, K] weight of a linear layer from a constant that is
/// [K, N] (`transposed` = true) or already [N, K].
Value createWeightConstant(PatternRewriter &rewriter, Location loc, ElementsAttr weight,
                           bool transposed) {
  // The transposed blob is named after its source ("w1" -> "w1_nk").
  std::string name = "linear_weight";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(weight))
    name = resource.getRawHandle().getKey().str();
  ElementsAttr nk = transposed ? transposeConstant2D(weight, name + "_nk") : weight;
  if (!nk)
    return {};
  return arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(nk));
}

/// tosa.matmul %x, %w with %w a constant [1, K, N] and zero zero-points.
struct TosaMatMulToLinear : OpRewritePattern<tosa::MatMulOp> {
  TosaMatMulToLinear(MLIRContext *context, llvm::Statistic &counter)
      : OpRewritePattern(context), counter(counter) {}

  LogicalResult matchAndRewrite(tosa::MatMulOp op, PatternRewriter &rewriter) const override {
    ElementsAttr weight = getConstantTensor(op.getB());
    if (!weight)
      return rewriter.notifyMatchFailure(op, "weight is not a constant");
    auto weightType = cast<RankedTensorType>(weight.getType());
    auto inputType = cast<RankedTensorType>(op.getA().getType());
    if (!weightType.hasStaticShape() || weightType.getDimSize(0) != 1)
      return rewriter.notifyMatchFailure(op, "weight must be a static [1, K, N] tensor");
    if (!isa<FloatType>(weightType.getElementType()) ||
        weightType.getElementType() != inputType.getElementType() ||
        inputType.getElementType() != op.getType().getElementType())
      return rewriter.notifyMatchFailure(op, "not a same-type float matmul");
    if (!isZeroConstant(op.getAZp()) || !isZeroConstant(op.getBZp()))
      return rewriter.notifyMatchFailure(op, "non-zero zero points");

    auto kn = RankedTensorType::get(weightType.getShape().drop_front(),
                                    weightType.getElementType());
    Value weightNK = createWeightConstant(rewriter, op.getLoc(), reshapeConstant(weight, kn),
                                          /*transposed=*/true);
    if (!weightNK)
      return rewriter.notifyMatchFailure(op, "weight data is not readable");
    rewriter.replaceOpWithNewOp<LinearOp>(op, op.getType(), op.getA(), weightNK, Value());
    ++counter;
    return success();
  }

  llvm::Statistic &counter;
};

/// linalg.matmul ins(%x, %w) outs(zeros) with %w a constant [K, N], or [N, K]
/// under transposed-B indexing maps.
struct LinalgMatmulToLinear : OpRewritePattern<linalg::MatmulOp> {
  LinalgMatmulToLinear(MLIRContext *context, llvm::Statistic &counter)
      : OpRewritePattern(context), counter(counter) {}

  LogicalResult matchAndRewrite(linalg::MatmulOp op, PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op->getNumResults() != 1)
      return rewriter.notifyMatchFailure(op, "not a tensor matmul");
    bool transposeB;
    if (linalg::MatmulOp::isDefaultIndexingMaps(op.getIndexingMaps()))
      transposeB = false;
    else if (linalg::MatmulTransposeBOp::isDefaultIndexingMaps(op.getIndexingMaps()))
      transposeB = true;
    else
      return rewriter.notifyMatchFailure(op, "indexing maps other than plain or transposed B");
    Value input = op.getInputs()[0];
    ElementsAttr weight = getConstantTensor(op.getInputs()[1]);
    if (!weight || !cast<ShapedType>(weight.getType()).hasStaticShape())
      return rewriter.notifyMatchFailure(op, "weight is not a static constant");
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    Type element = resultType.getElementType();
    if (!isa<FloatType>(element) || getElementTypeOrSelf(input) != element ||
        cast<ShapedType>(weight.getType()).getElementType() != element)
      return rewriter.notifyMatchFailure(op, "not a same-type float matmul");
    if (!isZeroInitialized(op.getOutputs()[0]))
      return rewriter.notifyMatchFailure(op, "accumulates into a non-zero tensor");

    Value weightNK =
        createWeightConstant(rewriter, op.getLoc(), weight, /*transposed=*/!transposeB);
    if (!weightNK)
      return rewriter.notifyMatchFailure(op, "weight data is not readable");
    rewriter.replaceOpWithNewOp<LinearOp>(op, resultType, input, weightNK, Value());
    ++counter;
    return success();
  }

  llvm::Statistic &counter;
};

/// A constant [N] bias behind `value`: a constant whose dimensions are all 1
/// but the last (= N), possibly through a linalg.broadcast of a [N] constant.
Value matchBias(PatternRewriter &rewriter, Location loc, Value value, int64_t numOutputs,
                Type elementType) {
  if (auto broadcast = value.getDefiningOp<linalg::BroadcastOp>()) {
    auto resultRank = cast<ShapedType>(broadcast.getInit().getType()).getRank();
    // Broadcasting a 1-D input along every dimension but the last.
    if (llvm::equal(broadcast.getDimensions(), llvm::seq<int64_t>(0, resultRank - 1)))
      value = broadcast.getInput();
  }
  ElementsAttr attr = getConstantTensor(value);
  if (!attr)
    return {};
  auto type = cast<ShapedType>(attr.getType());
  if (!type.hasStaticShape() || type.getRank() < 1 || type.getElementType() != elementType ||
      type.getShape().back() != numOutputs ||
      !llvm::all_of(type.getShape().drop_back(), [](int64_t d) { return d == 1; }))
    return {};
  auto biasType = RankedTensorType::get({numOutputs}, elementType);
  ElementsAttr bias = reshapeConstant(attr, biasType);
  return bias ? arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(bias)) : Value();
}

/// Replaces `add` (an add of `linearValue` and `other`) by the linear (or
/// quantized linear) that defines `linearValue` with `other` as its bias,
/// if `other` is a constant [N] bias and the linear has none yet.
LogicalResult foldBias(PatternRewriter &rewriter, Operation *add, Value linearValue, Value other) {
  Operation *producer = linearValue.getDefiningOp();
  if (!isa_and_nonnull<LinearOp, QLinearOp>(producer) || !producer->hasOneUse() ||
      producer->getResult(0).getType() != add->getResult(0).getType())
    return failure();
  auto resultType = cast<ShapedType>(linearValue.getType());
  int64_t numOutputs = resultType.getShape().back();
  if (auto linear = dyn_cast<LinearOp>(producer)) {
    if (linear.getBias())
      return failure();
    Value bias = matchBias(rewriter, add->getLoc(), other, numOutputs, resultType.getElementType());
    if (!bias)
      return failure();
    // The layer keeps the matmul's location (its ONNX node name).
    rewriter.replaceOp(add, LinearOp::create(rewriter, linear.getLoc(), linear.getType(), linear.getInput(),
                                             linear.getWeight(), bias));
    return success();
  }
  auto qlinear = cast<QLinearOp>(producer);
  if (qlinear.getBias())
    return failure();
  // The bias constant must come before the qlinear that now uses it.
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(qlinear);
  Value bias = matchBias(rewriter, add->getLoc(), other, numOutputs, resultType.getElementType());
  if (!bias)
    return failure();
  rewriter.modifyOpInPlace(qlinear, [&] { qlinear.getBiasMutable().assign(bias); });
  rewriter.replaceOp(add, qlinear.getResult());
  return success();
}

/// add(qopt.linear without bias, constant bias) -> qopt.linear with bias,
/// for tosa.add, arith.addf and linalg.add in either operand order.
template <typename AddOp>
struct FoldBiasIntoLinear : OpRewritePattern<AddOp> {
  FoldBiasIntoLinear(MLIRContext *context, llvm::Statistic &counter)
      : OpRewritePattern<AddOp>(context), counter(counter) {}

  static std::pair<Value, Value> getAddends(AddOp op) {
    if constexpr (std::is_same_v<AddOp, linalg::AddOp>)
      return {op.getInputs()[0], op.getInputs()[1]};
    else
      return {op->getOperand(0), op->getOperand(1)};
  }

  LogicalResult matchAndRewrite(AddOp op, PatternRewriter &rewriter) const override {
    if (op->getNumResults() != 1 || !isa<RankedTensorType>(op->getResult(0).getType()))
      return failure();
    auto [lhs, rhs] = getAddends(op);
    for (auto [linearValue, other] : {std::pair{lhs, rhs}, std::pair{rhs, lhs}})
      if (succeeded(foldBias(rewriter, op, linearValue, other))) {
        ++counter;
        return success();
      }
    return rewriter.notifyMatchFailure(op, "not a linear plus a constant bias along N");
  }

  llvm::Statistic &counter;
};

/// The importer's broadcasting add: a linalg.generic of two inputs whose
/// body is one addf of them, where one input is a qopt.linear result read
/// with the identity map and the other a constant read only along the last
/// dimension.
struct FoldBiasGenericIntoLinear : OpRewritePattern<linalg::GenericOp> {
  FoldBiasGenericIntoLinear(MLIRContext *context, llvm::Statistic &counter)
      : OpRewritePattern(context), counter(counter) {}

  static bool isAddOfArguments(linalg::GenericOp op) {
    Block &body = op.getRegion().front();
    if (body.getOperations().size() != 2)
      return false;
    auto add = dyn_cast<arith::AddFOp>(body.front());
    auto yield = dyn_cast<linalg::YieldOp>(body.back());
    if (!add || !yield || yield.getNumOperands() != 1 || yield.getOperand(0) != add)
      return false;
    Value a = body.getArgument(0), b = body.getArgument(1);
    return (add.getLhs() == a && add.getRhs() == b) || (add.getLhs() == b && add.getRhs() == a);
  }

  /// The map reads only the last of `rank` dimensions (others constant 0).
  static bool readsOnlyLastDim(AffineMap map, unsigned rank) {
    bool sawLast = false;
    for (AffineExpr expr : map.getResults()) {
      if (auto constant = dyn_cast<AffineConstantExpr>(expr); constant && constant.getValue() == 0)
        continue;
      auto dim = dyn_cast<AffineDimExpr>(expr);
      if (!dim || dim.getPosition() != rank - 1 || sawLast)
        return false;
      sawLast = true;
    }
    return sawLast;
  }

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 || op.getNumResults() != 1 ||
        op.getNumReductionLoops() != 0 || !isAddOfArguments(op))
      return rewriter.notifyMatchFailure(op, "not an elementwise add of two inputs");
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    unsigned rank = op.getNumLoops();
    for (unsigned i = 0; i < 2; ++i) {
      if (!maps[i].isIdentity() || !maps[2].isIdentity() || !readsOnlyLastDim(maps[1 - i], rank))
        continue;
      if (succeeded(foldBias(rewriter, op, op.getDpsInputOperand(i)->get(),
                             op.getDpsInputOperand(1 - i)->get()))) {
        ++counter;
        return success();
      }
    }
    return rewriter.notifyMatchFailure(op, "not a linear plus a constant bias along N");
  }

  llvm::Statistic &counter;
};

struct FuseLinearPass : qopt::impl::FuseLinearBase<FuseLinearPass> {
  using FuseLinearBase::FuseLinearBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    patterns.add<TosaMatMulToLinear, LinalgMatmulToLinear>(context, numLinears);
    populateDequantizedLinearPatterns(patterns, numQLinears);
    patterns.add<FoldBiasIntoLinear<tosa::AddOp>, FoldBiasIntoLinear<arith::AddFOp>,
                 FoldBiasIntoLinear<linalg::AddOp>, FoldBiasGenericIntoLinear>(context,
                                                                               numBiases);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
