//===- WeightQuantization.cpp - Quantizing weight matrices ----------------===//

#include "qopt/Quant/WeightQuantization.h"

#include "qopt/Quant/Codebook.h"

#include <algorithm>
#include <cmath>

using namespace qopt;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The scale for a group whose range is cut to `ratio` of its extremes.
GroupScale scaleForRange(llvm::ArrayRef<float> values, const NumberFormat &format, bool symmetric,
                         double ratio) {
  GroupScale result;
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
  return result;
}

double squaredError(llvm::ArrayRef<float> values, const NumberFormat &format, const GroupScale &scale) {
  double error = 0.0;
  for (float v : values) {
    double back = scale.decode(format, scale.encode(format, v));
    error += (back - double(v)) * (back - double(v));
  }
  return error;
}

} // namespace

float QuantizedMatrix::decodeValue(const NumberFormat &format, int64_t row, uint32_t code) const {
  if (!format.needsCodebook())
    return format.decode(code);
  const int64_t levels = int64_t(1) << format.getCodeBits();
  return codebooks[size_t((codebookRows == 1 ? 0 : row) * levels + code)];
}

std::vector<float> QuantizedMatrix::dequantize(const NumberFormat &format) const {
  std::vector<float> weight(size_t(rows * columns));
  const int64_t groups = (columns + group - 1) / group;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c) {
      int64_t g = r * groups + c / group;
      float zero = zeros.empty() ? 0.0f : float(zeros[size_t(g)]);
      weight[size_t(r * columns + c)] =
          scales[size_t(g)] * (decodeValue(format, r, codes[size_t(r * columns + c)]) - zero);
    }
  return weight;
}

GroupScale qopt::chooseGroupScale(llvm::ArrayRef<float> values, const NumberFormat &format,
                                  bool symmetric, bool clipSearch) {
  GroupScale best = scaleForRange(values, format, symmetric, 1.0);
  if (!clipSearch)
    return best;
  double bestError = squaredError(values, format, best);
  for (int step = 1; step <= 10; ++step) {
    GroupScale candidate = scaleForRange(values, format, symmetric, 1.0 - 0.05 * step);
    double error = squaredError(values, format, candidate);
    if (error < bestError) {
      best = candidate;
      bestError = error;
    }
  }
  return best;
}

llvm::Expected<int64_t> qopt::checkQuantizationOptions(const RtnOptions &options, int64_t rows,
                                                       int64_t columns, size_t size) {
  const NumberFormat &format = options.format;
  if (rows < 0 || columns < 1 || int64_t(size) != rows * columns)
    return makeError("the weight does not hold rows x columns values");
  int64_t group = options.group <= 0 ? columns : std::min(options.group, columns);
  if (format.needsCodebook() && !options.symmetric)
    return makeError("lookup-table codes have no zero point; quantize them symmetric");
  if (!options.columnImportance.empty() && int64_t(options.columnImportance.size()) != columns)
    return makeError("the column importance has " + llvm::Twine(options.columnImportance.size()) +
                     " values for " + llvm::Twine(columns) + " columns");
  if (format.isMicroscaled() && group != format.getScaleBlock())
    return makeError("microscaled formats quantize in blocks of " + llvm::Twine(format.getScaleBlock()));
  if (!options.symmetric && format.getKind() != FormatKind::UnsignedInt)
    return makeError("asymmetric quantization needs an unsigned integer format (codes with a zero point)");
  if (options.symmetric && format.getKind() == FormatKind::UnsignedInt)
    return makeError("symmetric quantization needs signed codes; use int<b>, not uint<b>");
  return group;
}

QuantizedMatrix QuantizedMatrix::allocate(int64_t rows, int64_t columns, int64_t group,
                                          const NumberFormat &format, bool symmetric) {
  QuantizedMatrix result;
  result.rows = rows;
  result.columns = columns;
  result.group = group;
  result.codes.resize(size_t(rows * columns));
  // The last group of a row is shorter when the group does not divide K.
  const int64_t groups = result.getGroupsPerRow();
  result.scales.resize(size_t(rows * groups));
  if (!symmetric)
    result.zeros.resize(size_t(rows * groups));
  if (format.isMicroscaled())
    result.exponents.resize(size_t(rows * groups));
  return result;
}

void QuantizedMatrix::setScale(int64_t row, int64_t groupIndex, const GroupScale &scale) {
  size_t index = size_t(row * getGroupsPerRow() + groupIndex);
  scales[index] = scale.scale;
  if (!zeros.empty())
    zeros[index] = scale.zero;
  if (!exponents.empty())
    exponents[index] = scale.exponent;
}

/// lut<N>: codebooks fitted by weighted k-means, codes to the nearest entry.
/// Per channel (group = columns): one codebook per row of the raw weights,
/// scale 1. Grouped: absmax scales per group, one codebook over all the
/// normalized values, each weighing importance * scale^2 (its error in
/// weight units).
static QuantizedMatrix quantizeWithCodebooks(llvm::ArrayRef<float> weight, int64_t rows, int64_t columns,
                                             int64_t group, const RtnOptions &options) {
  const NumberFormat &format = options.format;
  const unsigned levels = 1u << format.getCodeBits();
  QuantizedMatrix result = QuantizedMatrix::allocate(rows, columns, group, format, /*symmetric=*/true);
  const int64_t groups = result.getGroupsPerRow();
  auto importance = [&](int64_t c) {
    return options.columnImportance.empty() ? 1.0f : options.columnImportance[size_t(c)];
  };
  if (group >= columns) {
    result.codebookRows = rows;
    result.codebooks.resize(size_t(rows) * levels);
    std::vector<float> weights(static_cast<size_t>(columns));
    for (int64_t c = 0; c < columns; ++c)
      weights[size_t(c)] = importance(c);
    for (int64_t r = 0; r < rows; ++r) {
      llvm::ArrayRef<float> row = weight.slice(size_t(r * columns), size_t(columns));
      std::vector<float> codebook = fitCodebook(row, weights, levels);
      std::copy(codebook.begin(), codebook.end(), result.codebooks.begin() + r * levels);
      result.setScale(r, 0, GroupScale());
      for (int64_t c = 0; c < columns; ++c)
        result.codes[size_t(r * columns + c)] = uint8_t(encodeNearest(codebook, row[size_t(c)]));
    }
    return result;
  }
  std::vector<float> normalized(weight.size()), weights(weight.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      int64_t begin = g * group, length = std::min(group, columns - begin);
      float absmax = 0.0f;
      for (int64_t i = 0; i < length; ++i)
        absmax = std::max(absmax, std::fabs(weight[size_t(r * columns + begin + i)]));
      GroupScale scale;
      scale.scale = absmax > 0.0f ? absmax : 1.0f;
      result.setScale(r, g, scale);
      for (int64_t i = 0; i < length; ++i) {
        size_t index = size_t(r * columns + begin + i);
        normalized[index] = weight[index] / scale.scale;
        weights[index] = importance(begin + i) * scale.scale * scale.scale;
      }
    }
  result.codebookRows = 1;
  result.codebooks = fitCodebook(normalized, weights, levels);
  for (size_t i = 0; i < normalized.size(); ++i)
    result.codes[i] = uint8_t(encodeNearest(result.codebooks, normalized[i]));
  return result;
}

llvm::Expected<QuantizedMatrix> qopt::quantizeRtn(llvm::ArrayRef<float> weight, int64_t rows,
                                                  int64_t columns, const RtnOptions &options) {
  llvm::Expected<int64_t> group = checkQuantizationOptions(options, rows, columns, weight.size());
  if (!group)
    return group.takeError();
  const NumberFormat &format = options.format;
  if (format.needsCodebook())
    return quantizeWithCodebooks(weight, rows, columns, *group, options);
  QuantizedMatrix result = QuantizedMatrix::allocate(rows, columns, *group, format, options.symmetric);
  const int64_t groups = result.getGroupsPerRow();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      int64_t begin = g * *group, length = std::min(*group, columns - begin);
      llvm::ArrayRef<float> values = weight.slice(size_t(r * columns + begin), size_t(length));
      GroupScale scale = chooseGroupScale(values, format, options.symmetric, options.clipSearch);
      result.setScale(r, g, scale);
      for (int64_t i = 0; i < length; ++i)
        result.codes[size_t(r * columns + begin + i)] = uint8_t(scale.encode(format, values[size_t(i)]));
    }
  return result;
}
