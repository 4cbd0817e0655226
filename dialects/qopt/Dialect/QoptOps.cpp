//===- QoptOps.cpp - qopt operations --------------------------------------===//

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Quant/MmaLayout.h"
#include "qopt/Quant/PanelLayout.h"
#include "qopt/Support/Hadamard.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/MathExtras.h"

#include <string>

using namespace mlir;
using namespace qopt;

//===----------------------------------------------------------------------===//
// Shape helpers shared by the verifiers
//===----------------------------------------------------------------------===//

/// "[32, ?, 4]": how shapes appear in diagnostics.
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (i)
      text += ", ";
    text += ShapedType::isDynamic(dim) ? "?" : std::to_string(dim);
  }
  return text + "]";
}

static bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static bool shapesCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  return a.size() == b.size() && llvm::all_of(llvm::zip_equal(a, b), [](auto dims) {
           return dimsCompatible(std::get<0>(dims), std::get<1>(dims));
         });
}

/// Checks that `actual` has shape `expected` (dynamic dims match anything).
static LogicalResult verifyShape(Operation *op, StringRef what, ShapedType actual,
                                 ArrayRef<int64_t> expected, StringRef why) {
  if (shapesCompatible(actual.getShape(), expected))
    return success();
  return op->emitOpError() << "expected " << what << " of shape " << formatShape(expected)
                           << " for " << why << ", got " << formatShape(actual.getShape());
}

/// The shape of a linear layer's output: the input's with its last
/// dimension replaced by `numOutputs`.
static SmallVector<int64_t> linearResultShape(ShapedType input, int64_t numOutputs) {
  SmallVector<int64_t> shape(input.getShape());
  shape.back() = numOutputs;
  return shape;
}

static LogicalResult verifyLinearResult(Operation *op, ShapedType input, ShapedType result,
                                        int64_t numOutputs) {
  if (input.getElementType() != result.getElementType())
    return op->emitOpError() << "result element type " << result.getElementType()
                             << " differs from the input's " << input.getElementType();
  return verifyShape(op, "result", result, linearResultShape(input, numOutputs),
                     "an input of shape " + formatShape(input.getShape()) + " and N = " +
                         std::to_string(numOutputs) + " outputs");
}

static LogicalResult verifyBias(Operation *op, Value bias, int64_t numOutputs) {
  if (!bias)
    return success();
  return verifyShape(op, "bias", cast<ShapedType>(bias.getType()), {numOutputs},
                     "N = " + std::to_string(numOutputs) + " outputs");
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto weight = cast<RankedTensorType>(getWeight().getType());
  if (input.getRank() < 1)
    return emitOpError("input must have at least one dimension (the reduction K)");
  if (weight.getRank() != 2)
    return emitOpError() << "weight must be 2-D [N, K], not of rank " << weight.getRank();
  int64_t reduction = input.getShape().back();
  if (!dimsCompatible(weight.getDimSize(1), reduction))
    return emitOpError() << "weight [N, K] = " << formatShape(weight.getShape())
                         << " does not match the input's last dimension K = " << reduction;
  if (weight.getElementType() != input.getElementType())
    return emitOpError() << "weight element type " << weight.getElementType()
                         << " differs from the input's " << input.getElementType();
  if (failed(verifyBias(*this, getBias(), weight.getDimSize(0))))
    return failure();
  return verifyLinearResult(*this, input, getResult().getType(), weight.getDimSize(0));
}

//===----------------------------------------------------------------------===//
// QLinearOp
//===----------------------------------------------------------------------===//

int64_t QLinearOp::getNumOutputs() { return getResult().getType().getShape().back(); }

int64_t QLinearOp::getReductionSize() { return getInput().getType().getShape().back(); }

/// Scales of non-microscaled formats are ordinary floats; microscaled ones are
/// e8m0 exponents.
static LogicalResult verifyScaleElementType(Operation *op, NumberFormat format,
                                            Type elementType, StringRef what) {
  if (format.isMicroscaled()) {
    if (!isa<Float8E8M0FNUType>(elementType))
      return op->emitOpError() << what << " of microscaled format " << format.str()
                               << " must be f8E8M0FNU, not " << elementType;
    return success();
  }
  if (!isa<Float16Type, BFloat16Type, Float32Type>(elementType))
    return op->emitOpError() << what << " must be f16, bf16 or f32, not " << elementType;
  return success();
}

/// The shapes of a kernel layout's packed codes and of its scales and zero
/// points (`gridShape`), and the scales' element type; `reason` explains the
/// shapes in errors.
static LogicalResult verifyKernelLayoutShapes(Operation *op, NumberFormat format, ShapedType packed,
                                              ArrayRef<int64_t> packedShape, ShapedType scales, Value zeros,
                                              ArrayRef<int64_t> gridShape, const std::string &reason) {
  if (failed(verifyShape(op, "packed weight", packed, packedShape, reason)) ||
      failed(verifyShape(op, "scales", scales, gridShape, reason)) ||
      failed(verifyScaleElementType(op, format, scales.getElementType(), "scales")))
    return failure();
  if (!zeros)
    return success();
  if (!format.allowsZeroPoint())
    return op->emitOpError() << "zero points need a non-microscaled integer format, not " << format.str();
  return verifyShape(op, "zeros", cast<ShapedType>(zeros.getType()), gridShape, reason);
}

/// The packed weight, scales and zeros of a panel layout (see
/// qopt/Quant/PanelLayout.h).
static FailureOr<int64_t> verifyPanelWeight(Operation *op, NumberFormat format, int64_t group,
                                            int64_t numOutputs, int64_t reduction, ShapedType packed,
                                            ShapedType scales, Value zeros, bool dotProduct) {
  if (!PanelLayout::supportsBits(format.getCodeBits()) || (format.needsCodebook() && dotProduct))
    return op->emitOpError() << "panel layouts hold 4- or 8-bit codes (codebooks: panel16 only), not "
                             << format.str();
  PanelLayout layout;
  layout.dotProduct = dotProduct;
  layout.bits = format.getCodeBits();
  layout.n = numOutputs;
  layout.k = reduction;
  layout.group = group;
  std::string reason = "N = " + std::to_string(numOutputs) + ", K = " + std::to_string(reduction) +
                       ", group " + std::to_string(group) + " in panels of 16 rows";
  if (failed(verifyKernelLayoutShapes(op, format, packed, {layout.getNumPanels(), layout.getPanelBytes()}, scales,
                                      zeros, {layout.getNumPanels(), layout.getNumGroups(), PanelLayout::kRows},
                                      reason)))
    return failure();
  return layout.getNumGroups();
}

/// The packed weight, scales and zero points of the tensor-core layout
/// (see qopt/Quant/MmaLayout.h).
static FailureOr<int64_t> verifyMmaWeight(Operation *op, NumberFormat format, int64_t group, int64_t numOutputs,
                                          int64_t reduction, ShapedType packed, ShapedType scales, Value zeros) {
  std::string unsupported;
  if (format.needsCodebook() || format.isMicroscaled() ||
      !MmaLayout::supports(format.getCodeBits(), numOutputs, reduction, group, &unsupported))
    return op->emitOpError() << "mma_sm80 cannot hold " << format.str() << " with K = " << reduction
                             << ", group " << group
                             << (unsupported.empty() ? std::string(": it holds 4- and 8-bit codes of fixed value")
                                                     : ": " + unsupported);
  MmaLayout layout;
  layout.bits = format.getCodeBits();
  layout.n = numOutputs;
  layout.k = reduction;
  layout.group = group;
  std::string reason = "N = " + std::to_string(numOutputs) + ", K = " + std::to_string(reduction) + ", group " +
                       std::to_string(group) + " in tiles of " + std::to_string(layout.getTileColumns()) +
                       " columns";
  if (failed(verifyKernelLayoutShapes(op, format, packed, {layout.getNumTiles(), layout.getTileBytes()}, scales, zeros,
                                      {layout.getNumTiles(), layout.getNumGroups(), layout.getTileColumns()},
                                      reason)))
    return failure();
  return layout.getNumGroups();
}

/// Checks the packed codes, scales and zero points of an [N, K] weight
/// matrix quantized in groups of `group` codes (the last one of a row may
/// be shorter), in storage `layout`. Returns the number of groups per row.
static FailureOr<int64_t> verifyQuantizedWeight(Operation *op, NumberFormat format, int64_t group,
                                                int64_t numOutputs, int64_t reduction,
                                                ShapedType packed, ShapedType scales, Value zeros,
                                                PackedLayout layout = PackedLayout::row_major) {
  // Bounded so that no size of the layouts below overflows 64 bits.
  constexpr int64_t kMaxWeightDim = int64_t(1) << 32;
  if (numOutputs > kMaxWeightDim || reduction > kMaxWeightDim)
    return op->emitOpError() << "a weight of N = " << numOutputs << " rows and K = " << reduction
                             << " columns: both must be at most 2^32";
  if (group > reduction)
    return op->emitOpError() << "group size " << group << " exceeds the reduction size K = "
                             << reduction;
  if (format.isMicroscaled() && group != format.getScaleBlock())
    return op->emitOpError() << "microscaled format " << format.str()
                             << " shares one scale per " << format.getScaleBlock()
                             << " codes, but group = " << group;
  int64_t numGroups = (reduction + group - 1) / group;

  if (layout == PackedLayout::mma_sm80)
    return verifyMmaWeight(op, format, group, numOutputs, reduction, packed, scales, zeros);
  if (layout != PackedLayout::row_major)
    return verifyPanelWeight(op, format, group, numOutputs, reduction, packed, scales, zeros,
                             layout == PackedLayout::panel16_dot);

  // Packed storage: row_major keeps each row's codes densely in its own bytes.
  int64_t rowBytes = format.getPackedBytes(reduction);
  std::string sizeReason = "format " + format.getBaseName() + " with N = " +
                           std::to_string(numOutputs) + ", K = " +
                           std::to_string(reduction) + " (" +
                           std::to_string(format.getCodeBits()) +
                           " bits per code, row_major)";
  if (failed(verifyShape(op, "packed weight", packed, {numOutputs, rowBytes}, sizeReason)))
    return failure();

  std::string groupReason = "N = " + std::to_string(numOutputs) + " rows of ceil(K / group) = " +
                            "ceil(" + std::to_string(reduction) + " / " + std::to_string(group) +
                            ") = " + std::to_string(numGroups) + " groups";
  if (failed(verifyShape(op, "scales", scales, {numOutputs, numGroups}, groupReason)) ||
      failed(verifyScaleElementType(op, format, scales.getElementType(), "scales")))
    return failure();

  if (zeros) {
    if (!format.allowsZeroPoint())
      return op->emitOpError() << "zero points need a non-microscaled integer format, not "
                               << format.str();
    if (failed(verifyShape(op, "zeros", cast<ShapedType>(zeros.getType()),
                           {numOutputs, numGroups}, groupReason)))
      return failure();
  }
  return numGroups;
}

static LogicalResult verifyActivationInput(Operation *op, ActQuantAttr act, ShapedType input) {
  if (act && !isa<Float32Type, Float16Type, BFloat16Type>(input.getElementType()))
    return op->emitOpError("quantized activations need an f32, f16 or bf16 input");
  return success();
}

/// A codebook is there exactly for lut<N> formats, with N levels per
/// tensor [N], per channel [rows, N] or per group [rows, groups, N].
static LogicalResult verifyCodebook(Operation *op, NumberFormat format, Value codebook, int64_t rows,
                                    int64_t groups) {
  if (format.needsCodebook() != bool(codebook))
    return format.needsCodebook()
               ? op->emitOpError() << "format " << format.str() << " needs a codebook operand"
               : op->emitOpError() << "format " << format.str()
                                   << " has fixed code values and takes no codebook";
  if (!codebook)
    return success();
  auto type = cast<RankedTensorType>(codebook.getType());
  int64_t levels = int64_t(1) << format.getCodeBits();
  SmallVector<int64_t> expected;
  if (type.getRank() == 2)
    expected = {rows, levels};
  else if (type.getRank() == 3)
    expected = {rows, groups, levels};
  else
    expected = {levels};
  return verifyShape(op, "codebook", type, expected,
                     format.str() + " (per tensor [L], per channel [N, L] or per group [N, G, L], L = levels)");
}

LogicalResult QLinearOp::verify() {
  NumberFormat format = getFormat().getValue();
  auto input = getInput().getType();
  auto packed = getPacked().getType();
  if (input.getRank() < 1)
    return emitOpError("input must have at least one dimension (the reduction K)");
  if (packed.getRank() != 2 || !packed.hasStaticShape())
    return emitOpError() << "packed weight must be a static 2-D tensor, not "
                         << formatShape(packed.getShape());
  int64_t reduction = getReductionSize();
  if (ShapedType::isDynamic(reduction))
    return emitOpError("the input's last dimension (the reduction K) must be static");
  // (getNumOutputs() reads the result's last dimension: not of a scalar.)
  if (getResult().getType().getRank() < 1 || ShapedType::isDynamic(getNumOutputs()))
    return emitOpError("the result's last dimension (the output features N) must be static");
  int64_t numOutputs = getNumOutputs();
  if (getLayout() != PackedLayout::row_major && getLayout() != PackedLayout::panel16 &&
      (getCodebook() || getOutlierRowPtr()))
    return emitOpError("only the row_major and panel16 layouts take a codebook or outliers");
  FailureOr<int64_t> numGroups = verifyQuantizedWeight(*this, format, getGroup(), numOutputs, reduction,
                                                       packed, getScales().getType(), getZeros(),
                                                       getLayout());
  if (failed(numGroups))
    return failure();

  if (failed(verifyCodebook(*this, format, getCodebook(), numOutputs, *numGroups)))
    return failure();
  if (failed(verifyBias(*this, getBias(), numOutputs)))
    return failure();

  // Outliers: CSR over the [N, K] weight, all three arrays or none.
  Value rowPtr = getOutlierRowPtr(), cols = getOutlierCols(), values = getOutlierValues();
  if (bool(rowPtr) != bool(cols) || bool(cols) != bool(values))
    return emitOpError("outliers need all of row_ptr, cols and values");
  if (rowPtr) {
    auto rowPtrType = cast<RankedTensorType>(rowPtr.getType());
    auto colsType = cast<RankedTensorType>(cols.getType());
    auto valuesType = cast<RankedTensorType>(values.getType());
    if (failed(verifyShape(*this, "outlier row_ptr", rowPtrType, {numOutputs + 1},
                           "CSR over N = " + std::to_string(numOutputs) + " rows")))
      return failure();
    if (colsType.getRank() != 1 || valuesType.getRank() != 1 ||
        !dimsCompatible(colsType.getDimSize(0), valuesType.getDimSize(0)))
      return emitOpError() << "outlier cols " << formatShape(colsType.getShape())
                           << " and values " << formatShape(valuesType.getShape())
                           << " must be 1-D of the same length";
    if (rowPtrType.getElementType() != colsType.getElementType())
      return emitOpError("outlier row_ptr and cols must have the same index type");
  }

  if (failed(verifyActivationInput(*this, getActAttr(), input)))
    return failure();
  return verifyLinearResult(*this, input, getResult().getType(), numOutputs);
}

//===----------------------------------------------------------------------===//
// Conv2DOp and QConv2DOp
//===----------------------------------------------------------------------===//

/// Checks the geometry of a 2-D convolution of `input` [N, C, H, W] by a
/// [F, C / groups, KH, KW] weight and its [N, F, OH, OW] result.
static LogicalResult verifyConv2D(Operation *op, ShapedType input, ShapedType result,
                                  int64_t numOutputs, int64_t weightChannels,
                                  ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> dilations, ArrayRef<int64_t> pads,
                                  int64_t groups) {
  if (input.getRank() != 4 || !input.hasStaticShape())
    return op->emitOpError() << "input must be a static [N, C, H, W] tensor, not "
                             << formatShape(input.getShape());
  if (kernel.size() != 2 || strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
    return op->emitOpError("needs 2 kernel sizes, strides and dilations and 4 pads "
                           "[top, left, bottom, right]");
  if (llvm::any_of(llvm::concat<const int64_t>(kernel, strides, dilations),
                   [](int64_t v) { return v < 1; }) ||
      llvm::any_of(pads, [](int64_t v) { return v < 0; }))
    return op->emitOpError("kernel sizes, strides and dilations must be positive, pads non-negative");
  int64_t channels = input.getDimSize(1);
  if (channels % groups || numOutputs % groups || weightChannels != channels / groups)
    return op->emitOpError() << "C = " << channels << " input and F = " << numOutputs
                             << " output channels do not split into " << groups
                             << " groups of " << weightChannels << " weight channels";
  SmallVector<int64_t> expected = {input.getDimSize(0), numOutputs};
  for (int i = 0; i < 2; ++i) {
    // Sizes, dilations and pads are attributes: any int64 (overflow checked).
    std::optional<int64_t> extent = llvm::checkedMulAdd<int64_t>(kernel[i] - 1, dilations[i], 1);
    std::optional<int64_t> padded = llvm::checkedAdd<int64_t>(input.getDimSize(2 + i), pads[i]);
    if (padded)
      padded = llvm::checkedAdd<int64_t>(*padded, pads[2 + i]);
    if (!extent || !padded)
      return op->emitOpError() << "the window or the padded input of spatial dimension " << i
                               << " overflows 64-bit sizes";
    int64_t span = *padded - *extent;
    if (span < 0)
      return op->emitOpError() << "the " << *extent << "-wide window is larger than the padded input";
    expected.push_back(span / strides[i] + 1);
  }
  if (input.getElementType() != result.getElementType())
    return op->emitOpError() << "result element type " << result.getElementType()
                             << " differs from the input's " << input.getElementType();
  return verifyShape(op, "result", result, expected, "this convolution geometry");
}

LogicalResult Conv2DOp::verify() {
  auto weight = cast<RankedTensorType>(getWeight().getType());
  if (weight.getRank() != 4 || !weight.hasStaticShape())
    return emitOpError() << "weight must be a static [F, C / groups, KH, KW] tensor, not "
                         << formatShape(weight.getShape());
  if (weight.getElementType() != getInput().getType().getElementType())
    return emitOpError() << "weight element type " << weight.getElementType()
                         << " differs from the input's " << getInput().getType().getElementType();
  int64_t numOutputs = weight.getDimSize(0);
  if (failed(verifyBias(*this, getBias(), numOutputs)))
    return failure();
  return verifyConv2D(*this, getInput().getType(), getResult().getType(), numOutputs,
                      weight.getDimSize(1), weight.getShape().drop_front(2), getStrides(),
                      getDilations(), getPads(), getGroups());
}

int64_t QConv2DOp::getNumOutputs() { return getPacked().getType().getDimSize(0); }

int64_t QConv2DOp::getReductionSize() {
  ArrayRef<int64_t> kernel = getKernel();
  int64_t product = 1;
  for (int64_t size : kernel)
    product *= size;
  return getInput().getType().getDimSize(1) / getGroups() * product;
}

LogicalResult QConv2DOp::verify() {
  auto input = getInput().getType();
  auto packed = getPacked().getType();
  if (packed.getRank() != 2 || !packed.hasStaticShape())
    return emitOpError() << "packed weight must be a static 2-D tensor, not "
                         << formatShape(packed.getShape());
  if (input.getRank() != 4 || !input.hasStaticShape())
    return emitOpError() << "input must be a static [N, C, H, W] tensor, not "
                         << formatShape(input.getShape());
  if (getKernel().size() != 2)
    return emitOpError("kernel must be [KH, KW]");
  int64_t numOutputs = getNumOutputs();
  if (failed(verifyConv2D(*this, input, getResult().getType(), numOutputs,
                          input.getDimSize(1) / getGroups(), getKernel(), getStrides(),
                          getDilations(), getPads(), getGroups())))
    return failure();
  NumberFormat format = getFormat().getValue();
  if (getLayout() != PackedLayout::row_major)
    return emitOpError("convolution weights are packed row_major");
  // getReductionSize(), overflow checked (kernel sizes are any positive int64).
  std::optional<int64_t> reduction = llvm::checkedMul<int64_t>(input.getDimSize(1) / getGroups(), getKernel()[0]);
  if (reduction)
    reduction = llvm::checkedMul<int64_t>(*reduction, getKernel()[1]);
  if (!reduction)
    return emitOpError("the reduction size C / groups * KH * KW overflows 64 bits");
  FailureOr<int64_t> numGroups = verifyQuantizedWeight(*this, format, getGroup(), numOutputs, *reduction,
                                                       packed, getScales().getType(), getZeros());
  if (failed(numGroups) || failed(verifyCodebook(*this, format, getCodebook(), numOutputs, *numGroups)) ||
      failed(verifyBias(*this, getBias(), numOutputs)))
    return failure();
  if (ActQuantAttr act = getActAttr(); act && act.getGranularity() != Granularity::per_tensor)
    return emitOpError("convolutions take per-tensor activation scales");
  return verifyActivationInput(*this, getActAttr(), input);
}

//===----------------------------------------------------------------------===//
// NormOp
//===----------------------------------------------------------------------===//

LogicalResult NormOp::verify() {
  auto input = getInput().getType();
  if (input.getRank() < 1)
    return emitOpError("input must have at least one dimension to normalize");
  int64_t channels = input.getShape().back();
  std::string reason = "the normalized (last) dimension of size " +
                       (ShapedType::isDynamic(channels) ? "?" : std::to_string(channels));
  if (failed(verifyShape(*this, "gamma", getGamma().getType(), {channels}, reason)))
    return failure();
  if (getBeta() &&
      failed(verifyShape(*this, "beta", getBeta().getType(), {channels}, reason)))
    return failure();
  float epsilon = getEpsilon().convertToFloat();
  if (!(epsilon >= 0.0f) || !std::isfinite(epsilon))
    return emitOpError() << "epsilon must be finite and non-negative, not " << epsilon;
  return success();
}

//===----------------------------------------------------------------------===//
// HadamardOp
//===----------------------------------------------------------------------===//

LogicalResult HadamardOp::verify() {
  auto input = getInput().getType();
  int64_t size = getSize();
  if (size < 2 || !factorHadamard(size))
    return emitOpError() << "size " << size << " has no Hadamard matrix here: "
                         << (size < 2 ? std::string("it must be at least 2") : explainNoHadamard(size));
  if (input.getRank() < 1 || ShapedType::isDynamic(input.getShape().back()))
    return emitOpError("input needs a static last dimension to rotate");
  int64_t channels = input.getShape().back();
  if (channels % size != 0)
    return emitOpError() << "size " << size << " does not divide the last dimension "
                         << channels;
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

static LogicalResult verifyCodeType(Operation *op, FormatAttr format, Type elementType) {
  Type expected = format.getCodeStorageType();
  if (elementType != expected)
    return op->emitOpError() << "codes of format " << format.getValue().str()
                             << " are stored as " << expected << ", not " << elementType;
  return success();
}

LogicalResult QuantizeOp::verify() {
  ActQuantAttr scheme = getScheme();
  auto input = getInput().getType();
  auto codes = cast<RankedTensorType>(getCodes().getType());
  if (input.getRank() < 1)
    return emitOpError("input must have at least one dimension");
  if (failed(verifyShape(*this, "codes", codes, input.getShape(), "the input's shape")))
    return failure();
  if (failed(verifyCodeType(*this, FormatAttr::get(getContext(), scheme.getFormat()),
                            codes.getElementType())))
    return failure();
  SmallVector<int64_t> scaleShape(input.getRank(), 1);
  if (scheme.getGranularity() == Granularity::per_token)
    std::copy(input.getShape().begin(), input.getShape().end() - 1, scaleShape.begin());
  return verifyShape(*this, "scales", getScales().getType(), scaleShape,
                     std::string("quantizing ") +
                         stringifyGranularity(scheme.getGranularity()).str() +
                         " an input of shape " + formatShape(input.getShape()));
}

/// A scale (or zero point) dimension covers the codes' dimension if it is 1,
/// equal to it, or divides it into blocks.
static bool broadcastsOver(int64_t scaleDim, int64_t codeDim) {
  if (ShapedType::isDynamic(scaleDim) || ShapedType::isDynamic(codeDim) || scaleDim == 1)
    return true;
  return scaleDim > 0 && codeDim % scaleDim == 0;
}

LogicalResult DequantizeOp::verify() {
  NumberFormat format = getFormat().getValue();
  auto codes = cast<RankedTensorType>(getCodes().getType());
  auto scales = getScales().getType();
  if (format.needsCodebook())
    return emitOpError() << "format " << format.str()
                         << " needs a codebook; use qopt.qlinear for lookup-table codes";
  if (failed(verifyCodeType(*this, getFormatAttr(), codes.getElementType())) ||
      failed(verifyScaleElementType(*this, format, scales.getElementType(), "scales")))
    return failure();
  if (scales.getRank() != codes.getRank() ||
      !llvm::all_of(llvm::zip_equal(scales.getShape(), codes.getShape()), [](auto dims) {
        return broadcastsOver(std::get<0>(dims), std::get<1>(dims));
      }))
    return emitOpError() << "scales of shape " << formatShape(scales.getShape())
                         << " do not broadcast over codes of shape "
                         << formatShape(codes.getShape())
                         << " (each dimension must be 1, equal, or a divisor for blocks)";
  if (Value zeros = getZeros()) {
    if (!format.allowsZeroPoint())
      return emitOpError() << "zero points need a non-microscaled integer format, not "
                           << format.str();
    if (failed(verifyShape(*this, "zeros", cast<ShapedType>(zeros.getType()),
                           scales.getShape(), "the scales' shape")))
      return failure();
  }
  return verifyShape(*this, "result", getResult().getType(), codes.getShape(), "the codes' shape");
}

#define GET_OP_CLASSES
#include "qopt/Dialect/QoptOps.cpp.inc"
