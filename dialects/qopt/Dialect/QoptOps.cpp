//===- QoptOps.cpp - qopt operations --------------------------------------===//

#include "qopt/Dialect/QoptOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
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

int64_t QLinearOp::getNumOutputs() { return getPacked().getType().getDimSize(0); }

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

LogicalResult QLinearOp::verify() {
  NumberFormat format = getFormat().getValue();
  auto input = getInput().getType();
  auto packed = getPacked().getType();
  auto scales = getScales().getType();
  if (input.getRank() < 1)
    return emitOpError("input must have at least one dimension (the reduction K)");
  if (packed.getRank() != 2 || !packed.hasStaticShape())
    return emitOpError() << "packed weight must be a static 2-D tensor, not "
                         << formatShape(packed.getShape());
  int64_t numOutputs = getNumOutputs();
  int64_t reduction = getReductionSize();
  if (ShapedType::isDynamic(reduction))
    return emitOpError("the input's last dimension (the reduction K) must be static");

  // Groups are consecutive runs of `group` codes; the last one may be
  // shorter (K = 172 in groups of 32: five of 32 and one of 12).
  int64_t group = getGroup();
  if (group > reduction)
    return emitOpError() << "group size " << group << " exceeds the reduction size K = "
                         << reduction;
  if (format.isMicroscaled() && group != format.getScaleBlock())
    return emitOpError() << "microscaled format " << format.str()
                         << " shares one scale per " << format.getScaleBlock()
                         << " codes, but group = " << group;
  int64_t numGroups = (reduction + group - 1) / group;

  // Packed storage: row_major keeps each row's codes densely in its own bytes.
  int64_t rowBytes = format.getPackedBytes(reduction);
  std::string sizeReason = "format " + format.getBaseName() + " with N = " +
                           std::to_string(numOutputs) + ", K = " +
                           std::to_string(reduction) + " (" +
                           std::to_string(format.getCodeBits()) +
                           " bits per code, row_major)";
  if (failed(verifyShape(*this, "packed weight", packed, {numOutputs, rowBytes}, sizeReason)))
    return failure();

  std::string groupReason = "N = " + std::to_string(numOutputs) + " rows of ceil(K / group) = " +
                            "ceil(" + std::to_string(reduction) + " / " + std::to_string(group) +
                            ") = " + std::to_string(numGroups) + " groups";
  if (failed(verifyShape(*this, "scales", scales, {numOutputs, numGroups}, groupReason)) ||
      failed(verifyScaleElementType(*this, format, scales.getElementType(), "scales")))
    return failure();

  if (Value zeros = getZeros()) {
    if (!format.allowsZeroPoint())
      return emitOpError() << "zero points need a non-microscaled integer format, not "
                           << format.str();
    if (failed(verifyShape(*this, "zeros", cast<ShapedType>(zeros.getType()),
                           {numOutputs, numGroups}, groupReason)))
      return failure();
  }

  Value codebook = getCodebook();
  if (format.needsCodebook() != bool(codebook))
    return format.needsCodebook()
               ? emitOpError() << "format " << format.str() << " needs a codebook operand"
               : emitOpError() << "format " << format.str()
                               << " has fixed code values and takes no codebook";
  if (codebook) {
    auto type = cast<RankedTensorType>(codebook.getType());
    int64_t levels = int64_t(1) << format.getCodeBits();
    SmallVector<int64_t> expected;
    if (type.getRank() == 2)
      expected = {numOutputs, levels};
    else if (type.getRank() == 3)
      expected = {numOutputs, numGroups, levels};
    else
      expected = {levels};
    if (failed(verifyShape(*this, "codebook", type, expected,
                           format.str() + " (per tensor [L], per channel [N, L] or per "
                                          "group [N, G, L], L = levels)")))
      return failure();
  }

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

  if (auto act = getActAttr()) {
    if (!isa<Float32Type, Float16Type, BFloat16Type>(input.getElementType()))
      return emitOpError("quantized activations need an f32, f16 or bf16 input");
  }
  return verifyLinearResult(*this, input, getResult().getType(), numOutputs);
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
  if (size < 2 || !llvm::isPowerOf2_64(size))
    return emitOpError() << "size must be a power of two >= 2, not " << size;
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
