//===- PackWeights.cpp - row_major weights -> the target kernels' layouts --===//

#include "qopt/Transforms/Passes.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Quant/MmaLayout.h"
#include "qopt/Quant/PanelLayout.h"
#include "qopt/Quant/Packing.h"
#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

#include <functional>

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
  case FormatKind::Lookup: // a 16-entry codebook: a table permute or gather
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
  // Codebooks per tensor or per channel (not per group) and outliers have
  // float-activation kernels.
  auto codebookType = op.getCodebook() ? cast<RankedTensorType>(op.getCodebook().getType()) : nullptr;
  if (codebookType && (codebookType.getRank() > 2 || !codebookType.getElementType().isF32()))
    return std::nullopt;
  if (op.getLayout() != PackedLayout::row_major || ((op.getCodebook() || op.getOutlierRowPtr()) && op.getAct()) ||
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

/// Where a layout puts a weight's codes and per-group values: the packed
/// [rows, bytes] codes, and [N, G] values (raw elements) in their new shape.
struct TargetLayout {
  PackedLayout kind;
  std::function<std::vector<uint8_t>(ArrayRef<uint8_t> codes)> packCodes;
  SmallVector<int64_t, 2> packedShape;
  std::function<std::vector<char>(ArrayRef<char> values, unsigned elementBytes)> moveGroupValues;
  SmallVector<int64_t, 3> groupValuesShape;
};

TargetLayout getPanelTarget(PackedLayout kind, unsigned bits, int64_t n, int64_t k, int64_t group) {
  PanelLayout layout;
  layout.dotProduct = kind == PackedLayout::panel16_dot;
  layout.bits = bits;
  layout.n = n;
  layout.k = k;
  layout.group = group;
  return {kind,
          [layout](ArrayRef<uint8_t> codes) { return packPanels(layout, codes); },
          {layout.getNumPanels(), layout.getPanelBytes()},
          [layout](ArrayRef<char> values, unsigned bytes) { return panelizeGroupValues(layout, values, bytes); },
          {layout.getNumPanels(), layout.getNumGroups(), PanelLayout::kRows}};
}

TargetLayout getMmaTarget(unsigned bits, int64_t n, int64_t k, int64_t group) {
  MmaLayout layout;
  layout.bits = bits;
  layout.n = n;
  layout.k = k;
  layout.group = group;
  return {PackedLayout::mma_sm80,
          [layout](ArrayRef<uint8_t> codes) { return packMmaTiles(layout, codes); },
          {layout.getNumTiles(), layout.getTileBytes()},
          [layout](ArrayRef<char> values, unsigned bytes) { return tileGroupValues(layout, values, bytes); },
          {layout.getNumTiles(), layout.getNumGroups(), layout.getTileColumns()}};
}

/// The [N, G] constant `value` moved by `target`, or null if unreadable.
Value moveGroupConstant(OpBuilder &builder, Location loc, Value value, const TargetLayout &target,
                        StringRef name) {
  ElementsAttr attr = getConstantTensor(value);
  if (!attr)
    return {};
  Type elementType = attr.getShapedType().getElementType();
  std::optional<std::vector<char>> bytes = copyConstantBytes(attr);
  if (!bytes)
    return {};
  unsigned elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  std::vector<char> moved = target.moveGroupValues(*bytes, elementBytes);
  auto type = RankedTensorType::get(target.groupValuesShape, elementType);
  return createBlobConstant(builder, loc, type, ArrayRef<char>(moved), name);
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

/// Whether the tensor-core GPU kernel should take `op`: a row_major
/// qlinear with f32 activations of at least `minRows` rows (fewer are the
/// GEMV kernel's, which reads row_major), 4- or 8-bit integer codes and
/// shapes the layout holds.
bool wantsMmaLayout(QLinearOp op, int64_t minRows) {
  NumberFormat format = op.getFormat().getValue();
  auto input = op.getInput().getType();
  if (op.getLayout() != PackedLayout::row_major || op.getCodebook() || op.getOutlierRowPtr() || op.getAct() ||
      !input.hasStaticShape() || !input.getElementType().isF32() || !format.isInteger() || format.isMicroscaled())
    return false;
  if (op.getZeros() && !isa<IntegerType>(cast<ShapedType>(op.getZeros().getType()).getElementType()))
    return false;
  const int64_t k = op.getReductionSize();
  return input.getNumElements() / k >= minRows &&
         MmaLayout::supports(format.getCodeBits(), op.getNumOutputs(), k, op.getGroup());
}

struct PackWeightsPass : qopt::impl::PackWeightsBase<PackWeightsPass> {
  using PackWeightsBase::PackWeightsBase;

  void runOnOperation() override {
    const bool gpu = target == "sm_80" || target == "sm_90";
    if (target != "cpu" && !gpu) {
      getOperation()->emitError() << "qopt-pack-weights: unknown target '" << target
                                  << "' (available: cpu, sm_80, sm_90)";
      return signalPassFailure();
    }
    SmallVector<QLinearOp> layers;
    getOperation()->walk([&](QLinearOp op) { layers.push_back(op); });
    for (QLinearOp op : layers) {
      std::optional<PackedLayout> layout;
      if (gpu)
        layout = wantsMmaLayout(op, gemmMinRows) ? std::optional(PackedLayout::mma_sm80) : std::nullopt;
      else
        layout = chooseCpuLayout(op);
      if (layout && succeeded(pack(op, *layout)))
        ++numPacked;
    }
  }

  LogicalResult pack(QLinearOp op, PackedLayout kind) {
    NumberFormat format = op.getFormat().getValue();
    const unsigned bits = format.getCodeBits();
    const int64_t n = op.getNumOutputs(), k = op.getReductionSize();
    TargetLayout target = kind == PackedLayout::mma_sm80 ? getMmaTarget(bits, n, k, op.getGroup())
                                                         : getPanelTarget(kind, bits, n, k, op.getGroup());
    ElementsAttr packedAttr = getConstantTensor(op.getPacked());
    std::optional<std::vector<char>> packedBytes =
        packedAttr ? copyConstantBytes(packedAttr) : std::nullopt;
    if (!packedBytes)
      return failure(); // not a constant: the reference lowering handles it
    ArrayRef<uint8_t> rowMajor(reinterpret_cast<const uint8_t *>(packedBytes->data()), packedBytes->size());
    std::vector<uint8_t> codes = unpackRowMajor(rowMajor, n, k, bits);

    // Unsigned codes whose zero points are all 2^(bits-1) (MatMulNBits
    // without zero points) are the signed format with the top bit flipped:
    // c - 2^(bits-1) is the two's complement reading of c ^ 2^(bits-1).
    // The kernels then skip the zero-point work and its storage.
    bool dropZeros = hasMidpointZeros(op, format);
    if (dropZeros) {
      for (uint8_t &code : codes)
        code ^= uint8_t(1u << (bits - 1));
      format = *NumberFormat::get(FormatKind::SignedInt, bits, 0);
    }
    std::vector<uint8_t> moved = target.packCodes(codes);

    OpBuilder builder(op);
    Location loc = op.getLoc();
    Value scales = moveGroupConstant(builder, loc, op.getScales(), target, "qscales");
    Value zeros = op.getZeros() && !dropZeros ? moveGroupConstant(builder, loc, op.getZeros(), target, "qzeros")
                                              : Value();
    if (!scales || (op.getZeros() && !dropZeros && !zeros))
      return failure();
    Value packed = createBlobConstant(builder, loc, RankedTensorType::get(target.packedShape, builder.getI8Type()),
                                      ArrayRef<uint8_t>(moved), "qcodes");
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
