//===- ResizeOps.cpp - ONNX Resize ----------------------------------------===//
//
// Resize-11+ with nearest, linear and cubic modes and every coordinate
// transformation; Resize-10 and Upsample-7/9 (asymmetric coordinates). These interpolations are separable, so the tensor is
// resized one axis at a time. Shapes are static, so for each resized axis
// the taps of every output index (input indices and weights, plus a constant
// for extrapolated positions) are computed at import time; each axis becomes
// a linalg.generic that reduces over the taps, reading the input with
// tensor.extract at the tabled indices.
//
//===----------------------------------------------------------------------===//

#include "../NodeImporter.h"
#include "../OnnxOpRegistry.h"
#include "../TensorBuilders.h"

#include "onnx/onnx-ml.pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace qopt;

namespace {

struct ResizeOptions {
  std::string mode, coordinates, nearest;
  double cubicA = -0.75, extrapolation = 0.0;
  bool excludeOutside = false;
};

/// Taps of one output index along one axis.
struct Taps {
  SmallVector<int64_t> indices;
  SmallVector<double> weights;
  double constant = 0.0; // added to the result: the extrapolation value
};

/// The input coordinate of output index `o` (ONNX Resize, "coordinate
/// transformation mode"). As in ONNX's reference, the modes that need an
/// output length use scale * in (not rounded), which is the output size
/// when sizes were given.
double sourceCoordinate(const ResizeOptions &options, int64_t o, int64_t in, int64_t out,
                        double scale, double roiStart, double roiEnd) {
  const std::string &mode = options.coordinates;
  const double length = scale * double(in);
  if (mode == "align_corners")
    return length == 1.0 ? 0.0 : double(o) * double(in - 1) / (length - 1.0);
  if (mode == "asymmetric")
    return double(o) / scale;
  if (mode == "pytorch_half_pixel")
    return length > 1.0 ? (double(o) + 0.5) / scale - 0.5 : 0.0;
  if (mode == "tf_crop_and_resize")
    return length > 1.0
               ? roiStart * double(in - 1) + double(o) * (roiEnd - roiStart) * double(in - 1) / (length - 1.0)
               : 0.5 * (roiStart + roiEnd) * double(in - 1);
  if (mode == "tf_half_pixel_for_nn") // Resize-11 only (TensorFlow's half_pixel_centers)
    return (double(o) + 0.5) / scale;
  if (mode == "half_pixel_symmetric") {
    double adjustment = double(out) / length;
    double center = double(in) / 2.0;
    return center * (1.0 - adjustment) + (double(o) + 0.5) / scale - 0.5;
  }
  return (double(o) + 0.5) / scale - 0.5; // half_pixel
}

int64_t roundNearest(const std::string &mode, double x) {
  double floor = std::floor(x);
  double fraction = x - floor;
  if (mode == "floor")
    return int64_t(floor);
  if (mode == "ceil")
    return int64_t(std::ceil(x));
  if (fraction == 0.5)
    return int64_t(mode == "round_prefer_ceil" ? floor + 1 : floor);
  return int64_t(std::round(x));
}

/// Keys' cubic convolution kernel with parameter a.
double cubicWeight(double distance, double a) {
  double d = std::fabs(distance);
  if (d <= 1)
    return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2)
    return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0.0;
}

Taps computeTaps(const ResizeOptions &options, int64_t o, int64_t in, int64_t out, double scale,
                 double roiStart, double roiEnd) {
  Taps taps;
  double x = sourceCoordinate(options, o, in, out, scale, roiStart, roiEnd);
  if (options.coordinates == "tf_crop_and_resize" && (x < 0 || x > double(in - 1))) {
    taps.indices = {0};
    taps.weights = {0.0};
    taps.constant = options.extrapolation;
    return taps;
  }
  auto clampIndex = [&](int64_t i) { return std::clamp<int64_t>(i, 0, in - 1); };
  if (options.mode == "nearest" && options.nearest == "simple") {
    // Upsample and Resize-10, as ONNX Runtime runs them: the source index
    // truncates when enlarging and rounds up when shrinking.
    taps.indices = {clampIndex(scale < 1.0 ? int64_t(std::ceil(x)) : int64_t(x))};
    taps.weights = {1.0};
  } else if (options.mode == "nearest") {
    taps.indices = {clampIndex(roundNearest(options.nearest, x))};
    taps.weights = {1.0};
  } else if (options.mode == "linear") {
    double floor = std::floor(x), r = x - floor;
    taps.indices = {clampIndex(int64_t(floor)), clampIndex(int64_t(floor) + 1)};
    taps.weights = {1.0 - r, r};
  } else { // cubic
    double floor = std::floor(x), r = x - floor;
    double total = 0;
    for (int64_t k = -1; k <= 2; ++k) {
      int64_t index = int64_t(floor) + k;
      double weight = cubicWeight(r - double(k), options.cubicA);
      if (options.excludeOutside && (index < 0 || index >= in))
        weight = 0;
      taps.indices.push_back(clampIndex(index));
      taps.weights.push_back(weight);
      total += weight;
    }
    if (options.excludeOutside && total != 0)
      for (double &w : taps.weights)
        w /= total;
  }
  return taps;
}

/// Resizes `input` along `axis` to `out` elements with tabled taps.
Value resizeAxis(NodeImporter &node, Value input, int64_t axis, int64_t out,
                 ArrayRef<Taps> taps) {
  OpBuilder &b = node.getBuilder();
  Location loc = node.getLoc();
  auto type = cast<RankedTensorType>(input.getType());
  Type elementType = type.getElementType();
  size_t tapCount = 0;
  for (const Taps &t : taps)
    tapCount = std::max(tapCount, t.indices.size());
  SmallVector<int64_t> indexTable;
  SmallVector<float> weightTable, constantTable;
  for (const Taps &t : taps) {
    for (size_t k = 0; k < tapCount; ++k) {
      indexTable.push_back(k < t.indices.size() ? t.indices[k] : 0);
      weightTable.push_back(k < t.weights.size() ? float(t.weights[k]) : 0.0f);
    }
    constantTable.push_back(float(t.constant));
  }
  auto tableType = [&](Type element) {
    return RankedTensorType::get({out, int64_t(tapCount)}, element);
  };
  Value indices = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(tableType(b.getIndexType()), ArrayRef<int64_t>(indexTable)));
  Value weights = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(tableType(b.getF32Type()), ArrayRef<float>(weightTable)));
  Value constants = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(RankedTensorType::get({out}, b.getF32Type()),
                                     ArrayRef<float>(constantTable)));

  // Loops: the output dimensions, then the taps (a reduction).
  const int64_t rank = type.getRank();
  const unsigned loops = rank + 1, tapDim = rank;
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = out;
  SmallVector<AffineMap> maps = {
      AffineMap::get(loops, 0, {b.getAffineDimExpr(axis), b.getAffineDimExpr(tapDim)}, b.getContext()),
      AffineMap::get(loops, 0, {b.getAffineDimExpr(axis), b.getAffineDimExpr(tapDim)}, b.getContext()),
      AffineMap::getMultiDimIdentityMap(loops, b.getContext()).getMajorSubMap(rank)};
  SmallVector<utils::IteratorType> iterators(loops, utils::IteratorType::parallel);
  iterators[tapDim] = utils::IteratorType::reduction;
  auto outType = RankedTensorType::get(shape, elementType);
  // The init holds the per-position constant (extrapolation value or zero).
  Value init = buildElementwise(
      node, {buildStaticReshape(b, loc, constants, [&] {
               SmallVector<int64_t> s(rank, 1);
               s[axis] = out;
               return s;
             }())},
      elementType,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return elementType == args[0].getType() ? args[0]
                                                : arith::TruncFOp::create(nb, l, elementType, args[0]).getResult();
      },
      shape);
  return linalg::GenericOp::create(
             b, loc, TypeRange{outType}, ValueRange{indices, weights}, ValueRange{init}, maps, iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               SmallVector<Value> coordinates;
               for (int64_t d = 0; d < rank; ++d)
                 coordinates.push_back(d == axis ? args[0] : linalg::IndexOp::create(nb, l, d).getResult());
               Value element = tensor::ExtractOp::create(nb, l, input, coordinates);
               Value weight = args[1];
               if (weight.getType() != elementType)
                 weight = arith::TruncFOp::create(nb, l, elementType, weight);
               Value product = arith::MulFOp::create(nb, l, element, weight);
               linalg::YieldOp::create(nb, l, ValueRange{arith::AddFOp::create(nb, l, args[2], product)});
             })
      .getResult(0);
}

/// Resizes `x` along `axes` to `sizes` with `scales` (both per dimension).
/// An output size computed in double from a file's scales, or nullopt when
/// it is not a finite size in [0, 2^40] (an int64 conversion of anything
/// else is undefined).
std::optional<int64_t> toOutputSize(double size) {
  if (!(size >= 0.0 && size <= double(int64_t(1) << 40)))
    return std::nullopt;
  return int64_t(size);
}

LogicalResult resize(NodeImporter &node, Value x, const ResizeOptions &options,
                     ArrayRef<int64_t> axes, ArrayRef<int64_t> sizes, ArrayRef<double> scales,
                     ArrayRef<double> roiStart, ArrayRef<double> roiEnd) {
  auto type = cast<RankedTensorType>(x.getType());
  // Bounds well above any image or feature map, so that a corrupt scale
  // is an error here rather than gigabytes of taps and index tensors.
  constexpr int64_t kMaxAxisLength = int64_t(1) << 20, kMaxElements = int64_t(1) << 32;
  double elements = 1.0;
  for (int64_t d = 0; d < type.getRank(); ++d)
    elements *= double(llvm::is_contained(axes, d) ? sizes[d] : type.getDimSize(d));
  if (elements > double(kMaxElements))
    return node.emitError() << "would resize to " << elements << " elements (at most " << kMaxElements << ")";
  Value result = x;
  for (int64_t axis : axes) {
    int64_t in = type.getDimSize(axis), out = sizes[axis];
    if (out < 1 || out > kMaxAxisLength)
      return node.emitError() << "axis " << axis << " would resize to " << out << " elements (at most "
                              << kMaxAxisLength << " per axis)";
    if (out == in && scales[axis] == 1.0 && options.coordinates != "tf_crop_and_resize")
      continue;
    SmallVector<Taps> taps;
    for (int64_t o = 0; o < out; ++o)
      taps.push_back(computeTaps(options, o, in, out, scales[axis], roiStart[axis], roiEnd[axis]));
    result = resizeAxis(node, result, axis, out, taps);
    if (!result)
      return failure();
  }
  node.setOutput(0, result);
  return success();
}

/// Upsample-7 (scales attribute), Upsample-9 and Resize-10 (scales input):
/// nearest or linear with asymmetric coordinates; the output size is
/// floor(input size * scale).
LogicalResult importLegacyResize(NodeImporter &node, bool scalesAttribute) {
  Value x = node.getInput(0);
  if (!x)
    return node.emitError() << "needs an input";
  auto type = cast<RankedTensorType>(x.getType());
  if (!isa<FloatType>(type.getElementType()))
    return node.emitError() << "needs a float input";
  const int64_t rank = type.getRank();
  ResizeOptions options;
  options.mode = node.getString("mode", "nearest");
  if (options.mode == "bilinear")
    options.mode = "linear"; // Upsample-7's spelling
  if (options.mode != "nearest" && options.mode != "linear")
    return node.emitError() << "unknown mode '" << options.mode << "' (nearest or linear)";
  options.coordinates = "asymmetric";
  options.nearest = "simple";
  SmallVector<double> scales;
  if (scalesAttribute) {
    const onnx::AttributeProto *attribute = node.getAttribute("scales");
    if (!attribute)
      return node.emitError() << "needs a scales attribute";
    scales.assign(attribute->floats().begin(), attribute->floats().end());
  } else {
    auto given = node.hasInput(1) ? dyn_cast_or_null<DenseFPElementsAttr>(node.getConstantAttr(1))
                                  : DenseFPElementsAttr();
    if (!given)
      return node.emitError() << "needs constant float scales";
    for (const APFloat &v : given.getValues<APFloat>())
      scales.push_back(v.convertToDouble());
  }
  if (int64_t(scales.size()) != rank)
    return node.emitError() << "scales must hold one value per dimension (" << rank << ")";
  SmallVector<int64_t> sizes;
  for (int64_t d = 0; d < rank; ++d) {
    if (!(scales[d] > 0))
      return node.emitError() << "scales must be positive";
    std::optional<int64_t> size = toOutputSize(std::floor(double(type.getDimSize(d)) * scales[d]));
    if (!size)
      return node.emitError() << "scale " << scales[d] << " of dimension " << d << " gives no valid output size";
    sizes.push_back(*size);
  }
  SmallVector<double> roiStart(rank, 0.0), roiEnd(rank, 1.0);
  return resize(node, x, options, llvm::to_vector(llvm::seq<int64_t>(0, rank)), sizes, scales,
                roiStart, roiEnd);
}

LogicalResult importResize(NodeImporter &node) {
  if (node.getOpset() < 11)
    return importLegacyResize(node, /*scalesAttribute=*/false);
  Value x = node.getInput(0);
  if (!x)
    return node.emitError() << "needs an input";
  auto type = cast<RankedTensorType>(x.getType());
  if (!isa<FloatType>(type.getElementType()))
    return node.emitError() << "needs a float input";
  const int64_t rank = type.getRank();
  ResizeOptions options;
  options.mode = node.getString("mode", "nearest");
  options.coordinates = node.getString("coordinate_transformation_mode", "half_pixel");
  options.nearest = node.getString("nearest_mode", "round_prefer_floor");
  options.cubicA = node.getFloat("cubic_coeff_a", -0.75f);
  options.extrapolation = node.getFloat("extrapolation_value", 0.0f);
  options.excludeOutside = node.getInt("exclude_outside", 0);
  if (options.mode != "nearest" && options.mode != "linear" && options.mode != "cubic")
    return node.emitError() << "unknown mode '" << options.mode << "'";
  // The coordinate transformations of each version (tf_half_pixel_for_nn
  // is Resize-11's only; half_pixel_symmetric came with 18).
  const int64_t opset = node.getOpset();
  llvm::SmallVector<llvm::StringRef> known = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                              "asymmetric", "tf_crop_and_resize"};
  if (opset < 13)
    known.push_back("tf_half_pixel_for_nn");
  if (opset >= 18)
    known.push_back("half_pixel_symmetric");
  if (!llvm::is_contained(known, options.coordinates))
    return node.emitError() << "coordinate_transformation_mode '" << options.coordinates
                            << "' does not exist in Resize at opset " << opset;
  if (options.nearest != "round_prefer_floor" && options.nearest != "round_prefer_ceil" &&
      options.nearest != "floor" && options.nearest != "ceil")
    return node.emitError() << "unknown nearest_mode '" << options.nearest << "'";
  if (node.getInt("antialias", 0))
    return node.emitError() << "antialias is not supported";

  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  if (std::optional<SmallVector<int64_t>> given = node.getInts("axes")) {
    std::optional<SmallVector<int64_t>> resolved = resolveAxesInOrder(node, *given, rank);
    if (!resolved)
      return failure();
    axes = *resolved;
  }
  // roi (input 1), scales (input 2), sizes (input 3): constants.
  SmallVector<double> roiStart(rank, 0.0), roiEnd(rank, 1.0);
  if (node.hasInput(1)) {
    auto roi = dyn_cast_or_null<DenseFPElementsAttr>(node.getConstantAttr(1));
    if (roi && roi.getNumElements() == int64_t(2 * axes.size())) {
      SmallVector<double> values;
      for (const APFloat &v : roi.getValues<APFloat>())
        values.push_back(v.convertToDouble());
      for (auto [i, axis] : llvm::enumerate(axes)) {
        roiStart[axis] = values[i];
        roiEnd[axis] = values[axes.size() + i];
      }
    } else if (roi && roi.getNumElements() != 0) {
      return node.emitError() << "roi must hold a start and an end per axis";
    }
  }
  SmallVector<double> scales(rank, 1.0);
  SmallVector<int64_t> sizes(type.getShape());
  std::optional<SmallVector<int64_t>> givenSizes = node.hasInput(3) ? node.getConstantInts(3) : std::nullopt;
  auto givenScales = node.hasInput(2) ? dyn_cast_or_null<DenseFPElementsAttr>(node.getConstantAttr(2))
                                      : DenseFPElementsAttr();
  if (givenSizes && !givenSizes->empty()) {
    if (givenSizes->size() != axes.size())
      return node.emitError() << "sizes must hold one size per axis";
    std::string policy = node.getString("keep_aspect_ratio_policy", "stretch");
    double common = policy == "not_larger" ? 1e300 : 0.0;
    for (auto [i, axis] : llvm::enumerate(axes)) {
      double ratio = double((*givenSizes)[i]) / double(type.getDimSize(axis));
      common = policy == "not_larger" ? std::min(common, ratio) : std::max(common, ratio);
    }
    for (auto [i, axis] : llvm::enumerate(axes)) {
      if (policy == "stretch") {
        sizes[axis] = (*givenSizes)[i];
        scales[axis] = double(sizes[axis]) / double(type.getDimSize(axis));
      } else {
        scales[axis] = common;
        std::optional<int64_t> size = toOutputSize(std::round(common * double(type.getDimSize(axis))));
        if (!size)
          return node.emitError() << "sizes give no valid output size along axis " << axis;
        sizes[axis] = *size;
      }
    }
  } else if (givenScales && givenScales.getNumElements() == int64_t(axes.size())) {
    SmallVector<double> values;
    for (const APFloat &v : givenScales.getValues<APFloat>())
      values.push_back(v.convertToDouble());
    for (auto [i, axis] : llvm::enumerate(axes)) {
      scales[axis] = values[i];
      double extent = options.coordinates == "tf_crop_and_resize" ? roiEnd[axis] - roiStart[axis] : 1.0;
      std::optional<int64_t> size = toOutputSize(std::floor(double(type.getDimSize(axis)) * extent * values[i]));
      if (!size)
        return node.emitError() << "scale " << values[i] << " of axis " << axis << " gives no valid output size";
      sizes[axis] = *size;
    }
  } else {
    return node.emitError() << "needs constant scales or sizes";
  }

  return resize(node, x, options, axes, sizes, scales, roiStart, roiEnd);
}

} // namespace

void qopt::registerResizeOps(OnnxOpRegistry &registry) {
  registry.add("", "Resize", {10, 11, 13, 18, 19}, importResize);
  registry.add("", "Upsample", {7},
               [](NodeImporter &node) { return importLegacyResize(node, /*scalesAttribute=*/true); });
  registry.add("", "Upsample", {9, 10},
               [](NodeImporter &node) { return importLegacyResize(node, /*scalesAttribute=*/false); });
}
