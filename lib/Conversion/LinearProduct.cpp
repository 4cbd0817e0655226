//===- LinearProduct.cpp - x W^T + b on tensors ---------------------------===//

#include "LinearProduct.h"

#include "qopt/Support/TensorOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value qopt::buildLinearProduct(OpBuilder &b, Location loc, Value input, Value weightNK, Value bias,
                               RankedTensorType resultType) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t k = inputType.getShape().back();
  int64_t n = resultType.getShape().back();
  int64_t rows = k ? inputType.getNumElements() / k : 0;
  Type elementType = resultType.getElementType();

  Value rowsByK = buildStaticReshape(b, loc, input, {rows, k});
  auto productType = RankedTensorType::get({rows, n}, elementType);
  Value product = linalg::MatmulTransposeBOp::create(b, loc, TypeRange{productType},
                                                     ValueRange{rowsByK, weightNK},
                                                     ValueRange{buildZeroFilled(b, loc, productType)})
                      .getResult(0);
  if (bias) {
    MLIRContext *context = b.getContext();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(2, context);
    AffineMap column = AffineMap::get(2, 0, {b.getAffineDimExpr(1)}, context);
    Value init = tensor::EmptyOp::create(b, loc, productType.getShape(), elementType);
    product = linalg::GenericOp::create(
                  b, loc, TypeRange{productType}, ValueRange{product, bias}, ValueRange{init},
                  ArrayRef<AffineMap>{identity, column, identity},
                  ArrayRef<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::parallel},
                  [](OpBuilder &nb, Location l, ValueRange args) {
                    linalg::YieldOp::create(nb, l, ValueRange{arith::AddFOp::create(nb, l, args[0], args[1])});
                  })
                  .getResult(0);
  }
  return buildStaticReshape(b, loc, product, resultType.getShape());
}
