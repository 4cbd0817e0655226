//===- PackWeights.cpp - row_major weights -> the target kernels' layouts --===//

#include "qopt/Transforms/Passes.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Quant/PanelLayout.h"
#include "qopt/Quant/Packing.h"
#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

namespace qopt {
#define GEN_PASS_DEF_PACKWEIGHTS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// Weight formats the float-activation CPU kernels decode in registers.
bool hasCpuFloatKernel(NumberFormat format) {
  switch (format.getKind()) {
  case FormatKind::SignedInt:
  case FormatKind::UnsignedInt:
    return true;
  case FormatKind::Float4E2M1:
  case FormatKind::NormalFloat4:
    return format.getCodeBits() == 4;
  case FormatKind::Float8E4M3:
    return format.getCodeBits() == 8;
  default:
    return false;
  }
}

/// The panel layout the CPU kernels want for `op`, or std::nullopt when no
/// kernel covers it.
std::optional<PackedLayout> chooseCpuLayout(QLinearOp op) {
  NumberFormat format = op.getFormat().getValue();
  if (op.getLayout() != PackedLayout::row_major || op.getCodebook() || op.getOutlierRowPtr() ||
      !op.getInput().getType().getElementType().isF32() ||
      !PanelLayout::supportsBits(format.getCodeBits()))
    return std::nullopt;
  if (op.getZeros() && !cast<ShapedType>(op.getZeros().getType()).getElementType().isInteger(8))
    return std::nullopt;
  if (ActQuantAttr act = op.getActAttr()) {
    NumberFormat actFormat = act.getFormat();
    if (actFormat.getKind() != FormatKind::SignedInt || actFormat.getCodeBits() != 8 ||
        !format.isInteger() || format.isMicroscaled())
      return std::nullopt;
    return PackedLayout::panel16_dot;
  }
  if (!hasCpuFloatKernel(format))
    return std::nullopt;
  return PackedLayout::panel16;
}

/// The [N, G] constant `value` as [P, G, 16] panels, or null if unreadable.
Value panelizeConstant(OpBuilder &builder, Location loc, Value value, const PanelLayout &layout,
                       StringRef name) {
  ElementsAttr attr = getConstantTensor(value);
  if (!attr)
    return {};
  Type elementType = attr.getShapedType().getElementType();
  std::optional<std::vector<char>> bytes = copyConstantBytes(attr);
  if (!bytes)
    return {};
  unsigned elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  std::vector<char> panels = panelizeGroupValues(layout, *bytes, elementBytes);
  auto type = RankedTensorType::get({layout.getNumPanels(), layout.getNumGroups(), PanelLayout::kRows},
                                    elementType);
  return createBlobConstant(builder, loc, type, ArrayRef<char>(panels), name);
}

/// True if `op` has unsigned codes with constant zero points all equal to
/// the middle code 2^(bits-1).
bool hasMidpointZeros(QLinearOp op, NumberFormat format) {
  if (!op.getZeros() || format.getKind() != FormatKind::UnsignedInt)
    return false;
  ElementsAttr attr = getConstantTensor(op.getZeros());
  std::optional<std::vector<char>> bytes = attr ? copyConstantBytes(attr) : std::nullopt;
  const uint8_t midpoint = uint8_t(1u << (format.getCodeBits() - 1));
  return bytes && llvm::all_of(*bytes, [&](char zero) { return uint8_t(zero) == midpoint; });
}

struct PackWeightsPass : qopt::impl::PackWeightsBase<PackWeightsPass> {
  using PackWeightsBase::PackWeightsBase;

  void runOnOperation() override {
    if (target != "cpu") {
      getOperation()->emitError() << "qopt-pack-weights: unknown target '" << target
                                  << "' (available: cpu)";
      return signalPassFailure();
    }
    SmallVector<QLinearOp> layers;
    getOperation()->walk([&](QLinearOp op) { layers.push_back(op); });
    for (QLinearOp op : layers)
      if (std::optional<PackedLayout> layout = chooseCpuLayout(op))
        if (succeeded(pack(op, *layout)))
          ++numPacked;
  }

  LogicalResult pack(QLinearOp op, PackedLayout kind) {
    NumberFormat format = op.getFormat().getValue();
    PanelLayout layout;
    layout.dotProduct = kind == PackedLayout::panel16_dot;
    layout.bits = format.getCodeBits();
    layout.n = op.getNumOutputs();
    layout.k = op.getReductionSize();
    layout.group = op.getGroup();
    ElementsAttr packedAttr = getConstantTensor(op.getPacked());
    std::optional<std::vector<char>> packedBytes =
        packedAttr ? copyConstantBytes(packedAttr) : std::nullopt;
    if (!packedBytes)
      return failure(); // not a constant: the reference lowering handles it
    ArrayRef<uint8_t> rowMajor(reinterpret_cast<const uint8_t *>(packedBytes->data()), packedBytes->size());
    std::vector<uint8_t> codes = unpackRowMajor(rowMajor, layout.n, layout.k, layout.bits);

    // Unsigned codes whose zero points are all 2^(bits-1) (MatMulNBits
    // without zero points) are the signed format with the top bit flipped:
    // c - 2^(bits-1) is the two's complement reading of c ^ 2^(bits-1).
    // The kernels then skip the zero-point work and its storage.
    bool dropZeros = hasMidpointZeros(op, format);
    if (dropZeros) {
      for (uint8_t &code : codes)
        code ^= uint8_t(1u << (layout.bits - 1));
      format = *NumberFormat::get(FormatKind::SignedInt, layout.bits, 0);
    }
    std::vector<uint8_t> panels = packPanels(layout, codes);

    OpBuilder builder(op);
    Location loc = op.getLoc();
    Value scales = panelizeConstant(builder, loc, op.getScales(), layout, "qscales");
    Value zeros = op.getZeros() && !dropZeros
                      ? panelizeConstant(builder, loc, op.getZeros(), layout, "qzeros")
                      : Value();
    if (!scales || (op.getZeros() && !dropZeros && !zeros))
      return failure();
    Value packed = createBlobConstant(
        builder, loc,
        RankedTensorType::get({layout.getNumPanels(), layout.getPanelBytes()}, builder.getI8Type()),
        ArrayRef<uint8_t>(panels), "qcodes");
    op.getPackedMutable().assign(packed);
    op.getScalesMutable().assign(scales);
    if (zeros)
      op.getZerosMutable().assign(zeros);
    else if (dropZeros)
      op.getZerosMutable().clear();
    op.setFormatAttr(FormatAttr::get(op.getContext(), format));
    op.setLayout(kind);
    return success();
  }
};

} // namespace
