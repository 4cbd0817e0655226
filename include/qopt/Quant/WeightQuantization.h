//===- WeightQuantization.h - Quantizing weight matrices --------*- C++ -*-===//
//
// Round-to-nearest (RTN) quantization of an [N, K] weight matrix into codes
// of a NumberFormat with one scale (and, for asymmetric integers, one zero
// point) per group of `group` consecutive elements of a row:
//
//   W[n, k] ~= scale[n, g] * (value(code[n, k]) - zero[n, g]),  g = k / group
//
// Lookup-table formats (lut<N>) round to the nearest entry of codebooks
// fitted to the weights (Codebook.h): one per output channel (SqueezeLLM)
// when the scale is per channel (which is then 1), or one for the whole
// matrix over the group-normalized values when scales are per group.
//
// Plain C++ (no MLIR): the quantization passes call it, tests call it
// directly.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_WEIGHTQUANTIZATION_H
#define QOPT_QUANT_WEIGHTQUANTIZATION_H

#include "qopt/Quant/NumberFormat.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace qopt {

struct RtnOptions {
  NumberFormat format = NumberFormat::signedInt(4);
  /// Elements per scale along K (0 or >= K: per channel); when it does not
  /// divide K the last group of each row is shorter.
  int64_t group = 128;
  /// Symmetric: scale from the absolute maximum, no zero point. Asymmetric
  /// (integer formats only): scale from max - min, codes unsigned with a
  /// zero point; the format must then be an unsigned integer format.
  bool symmetric = true;
  /// Search, per group, the clipping ratio of the range (1.0 down to 0.5)
  /// that minimizes the group's squared error, instead of the full range.
  bool clipSearch = false;
  /// lut<N>: the weight of column k's errors in the codebook fit (the input
  /// Hessian's diagonal); empty: all equal.
  std::vector<float> columnImportance;
};

/// The scale (and zero point, or e8m0 exponent) of one group of weights.
struct GroupScale {
  float scale = 1.0f;
  uint8_t zero = 0;       // asymmetric integers
  uint8_t exponent = 127; // e8m0 bits, microscaled formats

  /// The code of `value` under this scale (round half to even, saturating).
  uint32_t encode(const NumberFormat &format, float value) const {
    return format.encode(value / scale + float(zero));
  }
  /// The weight a code stands for.
  float decode(const NumberFormat &format, uint32_t code) const {
    return scale * (format.decode(code) - float(zero));
  }
};

struct QuantizedMatrix {
  int64_t rows = 0, columns = 0, group = 0;
  std::vector<uint8_t> codes;  // [rows, columns], one code per element (low bits)
  std::vector<float> scales;   // [rows, ceil(columns / group)]; e8m0 formats: powers of two
  std::vector<uint8_t> zeros;  // [rows, ceil(columns / group)] when asymmetric, else empty
  std::vector<uint8_t> exponents; // e8m0 scale bytes (microscaled formats), else empty
  /// lut<N>: [codebookRows, N] code values, codebookRows = rows (per
  /// channel) or 1 (one per matrix); else empty.
  std::vector<float> codebooks;
  int64_t codebookRows = 0;

  /// Zero-filled storage for a [rows, columns] matrix in `format`.
  static QuantizedMatrix allocate(int64_t rows, int64_t columns, int64_t group,
                                  const NumberFormat &format, bool symmetric);
  int64_t getGroupsPerRow() const { return (columns + group - 1) / group; }
  void setScale(int64_t row, int64_t groupIndex, const GroupScale &scale);

  /// The value code `code` of row `row` stands for before scaling.
  float decodeValue(const NumberFormat &format, int64_t row, uint32_t code) const;
  /// The dequantized weight, [rows, columns].
  std::vector<float> dequantize(const NumberFormat &format) const;
};

/// Chooses a group's scale from its values: the full range, or with
/// `clipSearch` the clipping ratio (1.0 down to 0.5) of least squared error.
GroupScale chooseGroupScale(llvm::ArrayRef<float> values, const NumberFormat &format,
                            bool symmetric, bool clipSearch);

/// Checks that `options` can quantize a [rows, columns] matrix and returns
/// the effective group size (columns for per-channel).
llvm::Expected<int64_t> checkQuantizationOptions(const RtnOptions &options, int64_t rows,
                                                 int64_t columns, size_t size);

/// RTN-quantizes `weight` ([rows, columns], row major), fitting codebooks
/// first for lookup-table formats. Errors: microscaled formats with another
/// group than their block, signedness not matching `symmetric` (lookup
/// tables are symmetric), importance not one per column, or
/// mismatched sizes.
llvm::Expected<QuantizedMatrix> quantizeRtn(llvm::ArrayRef<float> weight, int64_t rows,
                                            int64_t columns, const RtnOptions &options);

} // namespace qopt

#endif // QOPT_QUANT_WEIGHTQUANTIZATION_H
