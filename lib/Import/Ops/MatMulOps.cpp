//===- MatMulOps.cpp - ONNX MatMul and Gemm -------------------------------===//
//
// A MatMul by a 2-D right operand (the weight of a linear layer) becomes a
// linalg.matmul over the left operand's rows, with leading dimensions
// collapsed, so that qopt-fuse-linear sees it. Batched products become a
// linalg.generic with a reduction, broadcasting batch dimensions through
// their indexing maps.
//
//===----------------------------------------------------------------------===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"
#include "../TensorBuilders.h"

#include "qopt/Support/TensorOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace qopt;

namespace {

/// [..., M, K] x [K, N]: rows flattened into one linalg.matmul.
Value buildMatmulByMatrix(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  int64_t k = lhsType.getShape().back(), n = rhsType.getDimSize(1);
  int64_t rows = lhsType.getNumElements() / std::max<int64_t>(k, 1);
  Value lhs2d = buildStaticReshape(b, loc, lhs, {rows, k});
  auto resultType = RankedTensorType::get({rows, n}, lhsType.getElementType());
  Value product = linalg::MatmulOp::create(b, loc, TypeRange{resultType}, ValueRange{lhs2d, rhs},
                                           ValueRange{buildZeroFilled(b, loc, resultType)})
                      .getResult(0);
  SmallVector<int64_t> shape(lhsType.getShape());
  shape.back() = n;
  return buildStaticReshape(b, loc, product, shape);
}

/// [..., M, K] x [..., K, N] with broadcast batch dimensions.
Value buildBatchedMatmul(NodeImporter &node, Value lhs, Value rhs) {
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  std::optional<SmallVector<int64_t>> batch = broadcastShapes(
      {lhsType.getShape().drop_back(2), rhsType.getShape().drop_back(2)});
  if (!batch) {
    node.emitError() << "batch dimensions do not broadcast";
    return {};
  }
  const unsigned batchRank = batch->size();
  // Loops: batch..., m, k, n: the innermost loop walks a row of the result
  // and of the right operand (unit stride), which vectorizes.
  const unsigned m = batchRank, k = batchRank + 1, n = batchRank + 2, rank = batchRank + 3;
  auto operandMap = [&](RankedTensorType type, unsigned row, unsigned col) {
    SmallVector<AffineExpr> exprs;
    unsigned offset = batchRank - (type.getRank() - 2);
    for (unsigned i = 0; i + 2 < type.getRank(); ++i)
      exprs.push_back(type.getDimSize(i) == 1 && (*batch)[offset + i] != 1
                          ? b.getAffineConstantExpr(0)
                          : b.getAffineDimExpr(offset + i));
    exprs.push_back(b.getAffineDimExpr(row));
    exprs.push_back(b.getAffineDimExpr(col));
    return AffineMap::get(rank, 0, exprs, b.getContext());
  };
  SmallVector<AffineExpr> resultExprs;
  for (unsigned i = 0; i < batchRank; ++i)
    resultExprs.push_back(b.getAffineDimExpr(i));
  resultExprs.push_back(b.getAffineDimExpr(m));
  resultExprs.push_back(b.getAffineDimExpr(n));
  SmallVector<AffineMap> maps = {operandMap(lhsType, m, k), operandMap(rhsType, k, n),
                                 AffineMap::get(rank, 0, resultExprs, b.getContext())};
  SmallVector<int64_t> shape(*batch);
  shape.push_back(lhsType.getDimSize(lhsType.getRank() - 2));
  shape.push_back(rhsType.getShape().back());
  auto resultType = RankedTensorType::get(shape, lhsType.getElementType());
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  iterators[k] = utils::IteratorType::reduction;
  return buildMultiplyAccumulate(b, loc, ValueRange{lhs, rhs}, maps, iterators, resultType);
}

LogicalResult importMatMul(NodeImporter &node) {
  Value lhs = node.getInput(0), rhs = node.getInput(1);
  if (!lhs || !rhs)
    return node.emitError() << "needs 2 inputs";
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  if (!isa<FloatType>(lhsType.getElementType()) ||
      lhsType.getElementType() != rhsType.getElementType())
    return node.emitError() << "needs float inputs of one type, got "
                            << lhsType.getElementType() << " and " << rhsType.getElementType();
  if (lhsType.getRank() == 0 || rhsType.getRank() == 0)
    return node.emitError() << "inputs must have rank >= 1";
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  // numpy.matmul: a 1-D operand gains a unit dimension that the result drops.
  bool vectorLhs = lhsType.getRank() == 1, vectorRhs = rhsType.getRank() == 1;
  if (vectorLhs)
    lhs = buildStaticReshape(b, loc, lhs, {1, lhsType.getDimSize(0)});
  if (vectorRhs)
    rhs = buildStaticReshape(b, loc, rhs, {rhsType.getDimSize(0), 1});
  lhsType = cast<RankedTensorType>(lhs.getType());
  rhsType = cast<RankedTensorType>(rhs.getType());
  int64_t k = lhsType.getShape().back();
  if (rhsType.getDimSize(rhsType.getRank() - 2) != k)
    return node.emitError() << "reduction sizes differ: " << k << " and "
                            << rhsType.getDimSize(rhsType.getRank() - 2);
  Value result = rhsType.getRank() == 2 ? buildMatmulByMatrix(b, loc, lhs, rhs)
                                        : buildBatchedMatmul(node, lhs, rhs);
  if (!result)
    return failure();
  SmallVector<int64_t> shape(cast<RankedTensorType>(result.getType()).getShape());
  if (vectorRhs)
    shape.erase(shape.end() - 1);
  if (vectorLhs)
    shape.erase(shape.end() - (vectorRhs ? 1 : 2));
  node.setOutput(0, buildStaticReshape(b, loc, result, shape));
  return success();
}

/// Y = alpha * A' B' + beta * C.
LogicalResult importGemm(NodeImporter &node) {
  Value a = node.getInput(0), bMatrix = node.getInput(1), c = node.getInput(2);
  if (!a || !bMatrix)
    return node.emitError() << "needs inputs A and B";
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(bMatrix.getType());
  if (aType.getRank() != 2 || bType.getRank() != 2)
    return node.emitError() << "A and B must be 2-D";
  Type elementType = aType.getElementType();
  if (!isa<FloatType>(elementType) || bType.getElementType() != elementType)
    return node.emitError() << "needs float inputs of one type";
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  bool transA = node.getInt("transA", 0), transB = node.getInt("transB", 0);
  if (transA) {
    auto transposedType = RankedTensorType::get({aType.getDimSize(1), aType.getDimSize(0)}, elementType);
    Value init = tensor::EmptyOp::create(b, loc, transposedType.getShape(), elementType);
    a = linalg::TransposeOp::create(b, loc, a, init, b.getDenseI64ArrayAttr({1, 0})).getResult()[0];
    aType = transposedType;
  }
  int64_t m = aType.getDimSize(0), k = aType.getDimSize(1);
  int64_t bk = bType.getDimSize(transB ? 1 : 0), n = bType.getDimSize(transB ? 0 : 1);
  if (bk != k)
    return node.emitError() << "reduction sizes differ: " << k << " and " << bk;
  auto resultType = RankedTensorType::get({m, n}, elementType);
  Value zeros = buildZeroFilled(b, loc, resultType);
  Value product =
      transB ? linalg::MatmulTransposeBOp::create(b, loc, TypeRange{resultType}, ValueRange{a, bMatrix},
                                                  ValueRange{zeros})
                   .getResult(0)
             : linalg::MatmulOp::create(b, loc, TypeRange{resultType}, ValueRange{a, bMatrix},
                                        ValueRange{zeros})
                   .getResult(0);
  float alpha = node.getFloat("alpha", 1.0f), beta = node.getFloat("beta", 1.0f);
  SmallVector<Value> operands = {product};
  if (c && beta != 0.0f)
    operands.push_back(c);
  if (alpha == 1.0f && operands.size() == 1) {
    node.setOutput(0, product);
    return success();
  }
  Value result = buildElementwise(node, operands, elementType,
                                  [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                    Value y = args[0];
                                    if (alpha != 1.0f)
                                      y = arith::MulFOp::create(nb, l, buildScalar(nb, l, elementType, alpha), y);
                                    if (args.size() > 1) {
                                      Value term = args[1];
                                      if (beta != 1.0f)
                                        term = arith::MulFOp::create(nb, l, buildScalar(nb, l, elementType, beta), term);
                                      y = arith::AddFOp::create(nb, l, y, term);
                                    }
                                    return y;
                                  });
  if (!result)
    return failure();
  if (cast<RankedTensorType>(result.getType()).getShape() != resultType.getShape())
    return node.emitError() << "C does not broadcast to [" << m << ", " << n << "]";
  node.setOutput(0, result);
  return success();
}

} // namespace

void qopt::registerMatMulOps(OnnxOpRegistry &registry) {
  registry.add("", "MatMul", {1, 9, 13}, importMatMul);
  registry.add("", "Gemm", {7, 9, 11, 13}, importGemm);
}
