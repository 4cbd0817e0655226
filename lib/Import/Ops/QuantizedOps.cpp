//===- QuantizedOps.cpp - pre-quantized ONNX: MatMulNBits -----------------===//
//
// com.microsoft MatMulNBits becomes qopt.qlinear as it is: its B
// [N, K/block, block*bits/8] is already the row_major packing of uint<bits>
// codes (low bits first), its scales are [N, K/block], and its zero points
// (packed like B, default 2^(bits-1)) are unpacked at import time.
//
//===----------------------------------------------------------------------===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"
#include "../TensorBuilders.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace qopt;

namespace {

LogicalResult importMatMulNBits(NodeImporter &node) {
  Value a = node.getInput(0), b = node.getInput(1), scales = node.getInput(2);
  if (!a || !b || !scales)
    return node.emitError() << "needs A, B and scales";
  if (node.hasInput(4))
    return node.emitError() << "g_idx (act-order) is not supported";
  auto aType = cast<RankedTensorType>(a.getType());
  Type floatType = aType.getElementType();
  if (!isa<FloatType>(floatType) || aType.getRank() < 1)
    return node.emitError() << "A must be a float tensor";
  int64_t k = node.getInt("K", 0), n = node.getInt("N", 0), bits = node.getInt("bits", 4),
          block = node.getInt("block_size", 0);
  if (aType.getShape().back() != k || n <= 0 || block <= 0)
    return node.emitError() << "K, N and block_size must be positive and K must be A's last dimension";
  if (bits != 2 && bits != 4 && bits != 8)
    return node.emitError() << bits << "-bit MatMulNBits is not supported";
  if (k % block)
    return node.emitError() << "K = " << k << " must be a multiple of block_size = " << block;
  int64_t blocks = k / block, rowBytes = k * bits / 8;
  OpBuilder &builder = node.getBuilder();
  Location loc = node.getLoc();
  auto bType = cast<RankedTensorType>(b.getType());
  if (bType.getNumElements() != n * rowBytes || !bType.getElementType().isInteger(8))
    return node.emitError() << "B must hold N * K * bits / 8 = " << n * rowBytes << " bytes";
  Value packed = buildStaticReshape(builder, loc, b, {n, rowBytes});
  auto scalesType = cast<RankedTensorType>(scales.getType());
  if (scalesType.getNumElements() != n * blocks)
    return node.emitError() << "scales must hold N * K / block_size = " << n * blocks << " values";
  Value scaleGrid = buildStaticReshape(builder, loc, scales, {n, blocks});

  // Zero points: packed like B (bits per value, low bits first, each row
  // padded to whole bytes), or 2^(bits-1) when absent.
  SmallVector<int8_t> zeros(n * blocks, int8_t(1 << (bits - 1)));
  if (node.hasInput(3)) {
    auto zeroType = cast<RankedTensorType>(node.getInput(3).getType());
    auto dense = dyn_cast_or_null<DenseIntElementsAttr>(node.getConstantAttr(3));
    std::optional<ArrayRef<char>> bytes;
    SmallVector<char> denseBytes;
    if (!zeroType.getElementType().isInteger(8))
      return node.emitError() << "float zero points are not supported";
    if (dense) {
      for (const APInt &v : dense.getValues<APInt>())
        denseBytes.push_back(char(v.getZExtValue()));
      bytes = ArrayRef<char>(denseBytes);
    } else if (ElementsAttr attr = node.getConstantAttr(3)) {
      bytes = getConstantBytes(attr);
    }
    int64_t perRow = (blocks * bits + 7) / 8;
    if (!bytes || int64_t(bytes->size()) != n * perRow)
      return node.emitError() << "zero points must be a constant of N * ceil(blocks * bits / 8) = "
                              << n * perRow << " bytes";
    for (int64_t row = 0; row < n; ++row)
      for (int64_t g = 0; g < blocks; ++g) {
        uint8_t byte = uint8_t((*bytes)[row * perRow + g * bits / 8]);
        zeros[row * blocks + g] = int8_t((byte >> ((g * bits) % 8)) & ((1 << bits) - 1));
      }
  }
  auto zeroGridType = RankedTensorType::get({n, blocks}, builder.getI8Type());
  Value zeroGrid = arith::ConstantOp::create(
      builder, loc, DenseElementsAttr::get(zeroGridType, ArrayRef<int8_t>(zeros)));
  Value bias = node.getInput(5);

  std::optional<NumberFormat> format = NumberFormat::get(FormatKind::UnsignedInt, unsigned(bits), 0);
  SmallVector<int64_t> resultShape(aType.getShape());
  resultShape.back() = n;
  auto resultType = RankedTensorType::get(resultShape, floatType);
  auto op = QLinearOp::create(builder, loc, resultType, a, packed, scaleGrid, zeroGrid,
                              /*codebook=*/Value(), bias, Value(), Value(), Value(),
                              FormatAttr::get(builder.getContext(), *format),
                              builder.getI64IntegerAttr(block),
                              PackedLayoutAttr::get(builder.getContext(), PackedLayout::row_major),
                              /*act=*/nullptr);
  node.setOutput(0, op.getResult());
  return success();
}

} // namespace

void qopt::registerQuantizedOps(OnnxOpRegistry &registry) {
  registry.add("com.microsoft", "MatMulNBits", 1, importMatMulNBits);
}
