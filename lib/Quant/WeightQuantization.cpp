//===- WeightQuantization.cpp - Quantizing weight matrices ----------------===//

#include "qopt/Quant/WeightQuantization.h"

#include <algorithm>
#include <cmath>

using namespace qopt;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// One group's quantization: scale, zero point, codes.
struct GroupResult {
  float scale = 1.0f;
  uint8_t zero = 0;
  uint8_t exponent = 127; // e8m0 bits, microscaled formats
  std::vector<uint8_t> codes;
  double error = 0.0;
};

/// Quantizes one group for a given range `ratio` of its extremes.
GroupResult quantizeGroup(llvm::ArrayRef<float> values, const NumberFormat &format, bool symmetric,
                          double ratio) {
  GroupResult result;
  result.codes.resize(values.size());
  float lo = 0.0f, hi = 0.0f, absmax = 0.0f;
  for (float v : values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    absmax = std::max(absmax, std::fabs(v));
  }
  lo *= float(ratio);
  hi *= float(ratio);
  absmax *= float(ratio);
  if (format.isMicroscaled()) {
    // OCP MX: a power of two placing the group's maximum at the element
    // format's largest exponent (integers: the largest code).
    int exponent = 0;
    if (absmax > 0) {
      double maxMagnitude = format.getMaxMagnitude();
      exponent = format.isInteger() ? int(std::ceil(std::log2(absmax / maxMagnitude)))
                                    : int(std::floor(std::log2(absmax))) -
                                          int(std::floor(std::log2(maxMagnitude)));
    }
    exponent = std::clamp(exponent, -127, 127);
    result.exponent = uint8_t(exponent + 127);
    result.scale = float(std::ldexp(1.0, exponent));
  } else if (symmetric) {
    double maxMagnitude = format.getMaxMagnitude();
    result.scale = absmax > 0 ? float(absmax / maxMagnitude) : 1.0f;
  } else {
    // Asymmetric integers: [lo, hi] (containing 0) onto [0, 2^b - 1].
    double levels = double(format.getMaxCode());
    result.scale = hi > lo ? float((double(hi) - double(lo)) / levels) : 1.0f;
    double zero = std::nearbyint(-double(lo) / result.scale);
    result.zero = uint8_t(std::clamp(zero, 0.0, levels));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t code = format.encode(values[i] / result.scale + float(result.zero));
    result.codes[i] = uint8_t(code);
    double back = double(result.scale) * (double(format.decode(code)) - double(result.zero));
    result.error += (back - double(values[i])) * (back - double(values[i]));
  }
  return result;
}

} // namespace

std::vector<float> QuantizedMatrix::dequantize(const NumberFormat &format) const {
  std::vector<float> weight(size_t(rows * columns));
  const int64_t groups = (columns + group - 1) / group;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c) {
      int64_t g = r * groups + c / group;
      float zero = zeros.empty() ? 0.0f : float(zeros[size_t(g)]);
      weight[size_t(r * columns + c)] =
          scales[size_t(g)] * (format.decode(codes[size_t(r * columns + c)]) - zero);
    }
  return weight;
}

llvm::Expected<QuantizedMatrix> qopt::quantizeRtn(llvm::ArrayRef<float> weight, int64_t rows,
                                                  int64_t columns, const RtnOptions &options) {
  const NumberFormat &format = options.format;
  if (rows < 0 || columns < 1 || int64_t(weight.size()) != rows * columns)
    return makeError("the weight does not hold rows x columns values");
  int64_t group = options.group <= 0 ? columns : std::min(options.group, columns);
  if (format.needsCodebook())
    return makeError("lookup-table formats need a fitted codebook, not RTN");
  if (format.isMicroscaled() && group != format.getScaleBlock())
    return makeError("microscaled formats quantize in blocks of " + llvm::Twine(format.getScaleBlock()));
  if (!options.symmetric && format.getKind() != FormatKind::UnsignedInt)
    return makeError("asymmetric quantization needs an unsigned integer format (codes with a zero point)");
  if (options.symmetric && format.getKind() == FormatKind::UnsignedInt)
    return makeError("symmetric quantization needs signed codes; use int<b>, not uint<b>");

  QuantizedMatrix result;
  result.rows = rows;
  result.columns = columns;
  result.group = group;
  result.codes.resize(weight.size());
  // The last group of a row is shorter when the group does not divide K.
  const int64_t groups = (columns + group - 1) / group;
  result.scales.resize(size_t(rows * groups));
  if (!options.symmetric)
    result.zeros.resize(size_t(rows * groups));
  if (format.isMicroscaled())
    result.exponents.resize(size_t(rows * groups));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      int64_t length = std::min(group, columns - g * group);
      llvm::ArrayRef<float> values = weight.slice(size_t(r * columns + g * group), size_t(length));
      GroupResult best = quantizeGroup(values, format, options.symmetric, 1.0);
      if (options.clipSearch)
        for (int step = 1; step <= 10; ++step) {
          GroupResult candidate = quantizeGroup(values, format, options.symmetric, 1.0 - 0.05 * step);
          if (candidate.error < best.error)
            best = std::move(candidate);
        }
      size_t index = size_t(r * groups + g);
      result.scales[index] = best.scale;
      if (!options.symmetric)
        result.zeros[index] = best.zero;
      if (format.isMicroscaled())
        result.exponents[index] = best.exponent;
      std::copy(best.codes.begin(), best.codes.end(), result.codes.begin() + r * columns + g * group);
    }
  return result;
}
