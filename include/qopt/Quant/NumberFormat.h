//===- NumberFormat.h - Number formats of quantized codes -------*- C++ -*-===//
//
// A NumberFormat says how one quantized code is stored and what real value it
// stands for before scaling: two's-complement or unsigned integers of 2..8
// bits, the OCP low-bit floats (fp8_e4m3, fp6_e3m2, fp4_e2m1), NormalFloat4,
// and lookup tables (lut<N>, values from a codebook operand). Any of the
// signed formats may be microscaled: a shared power-of-two (e8m0) scale per
// block of `scaleBlock` codes, as in the OCP Microscaling spec (mxfp4 =
// fp4_e2m1 with one e8m0 scale per 32 codes).
//
// This header is plain C++ (no MLIR) so that numerics code and tests can use
// it directly; the `#qopt.format<...>` attribute wraps one NumberFormat.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_NUMBERFORMAT_H
#define QOPT_QUANT_NUMBERFORMAT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace qopt {

enum class FormatKind : uint8_t {
  SignedInt,    // int2..int8: codes in [-2^(b-1), 2^(b-1)-1]
  UnsignedInt,  // uint2..uint8: codes in [0, 2^b - 1]
  Float8E4M3,   // OCP fp8 E4M3 (finite-only, NaN = S.1111.111), max 448
  Float6E3M2,   // OCP fp6 E3M2 (finite-only, no NaN), max 28
  Float4E2M1,   // OCP fp4 E2M1 (finite-only, no NaN), max 6
  NormalFloat4, // NF4 (QLoRA, Dettmers et al. 2023): 16 quantiles of N(0,1) in [-1, 1]
  Lookup,       // lut<N>: N = 2^bits values from a codebook operand
};

class NumberFormat {
public:
  /// Builds a format; returns std::nullopt and sets `error` when the
  /// combination is not a format (int9, lut<12>, mx on an unsigned format...).
  static std::optional<NumberFormat> get(FormatKind kind, unsigned codeBits,
                                         unsigned scaleBlock,
                                         std::string *error = nullptr);
  static NumberFormat signedInt(unsigned bits) {
    return NumberFormat(FormatKind::SignedInt, bits, 0);
  }

  /// Parses the textual name of a format without microscaling: "int4",
  /// "uint8", "fp8_e4m3", "fp6_e3m2", "fp4_e2m1", "nf4", "lut<16>"; and the
  /// OCP microscaled short names "mxint8", "mxfp8_e4m3", "mxfp6_e3m2",
  /// "mxfp4" (block of 32).
  static std::optional<NumberFormat> parse(llvm::StringRef text,
                                           std::string *error = nullptr);

  FormatKind getKind() const { return kind; }
  /// Bits one code occupies in packed storage.
  unsigned getCodeBits() const { return codeBits; }
  /// Codes per shared e8m0 scale; 0 when the format is not microscaled.
  unsigned getScaleBlock() const { return scaleBlock; }
  bool isMicroscaled() const { return scaleBlock != 0; }

  bool isInteger() const {
    return kind == FormatKind::SignedInt || kind == FormatKind::UnsignedInt;
  }
  bool isMiniFloat() const {
    return kind == FormatKind::Float8E4M3 || kind == FormatKind::Float6E3M2 ||
           kind == FormatKind::Float4E2M1;
  }
  bool needsCodebook() const { return kind == FormatKind::Lookup; }
  /// Zero points (asymmetric quantization) make sense for integer codes only.
  bool allowsZeroPoint() const { return isInteger() && !isMicroscaled(); }

  /// Smallest and largest integer code (integer formats only).
  int32_t getMinCode() const;
  int32_t getMaxCode() const;
  /// Largest finite magnitude before scaling (qmax for integers, 448 for
  /// fp8_e4m3, 1 for nf4; undefined for lookup tables).
  float getMaxMagnitude() const;

  /// The value of every code, indexed by its bit pattern, for mini-floats and
  /// nf4 (2^codeBits entries; NaN patterns decode to NaN). Empty for integer
  /// and lookup formats.
  llvm::ArrayRef<float> getDecodeTable() const;

  /// Round-to-nearest code for an already scaled value, ties to even (the
  /// integer value for integers, the even mantissa for floats), saturating at
  /// the largest finite magnitude, as ONNX QuantizeLinear specifies. NaN maps
  /// to code 0. Not defined for lookup tables (codebooks are per tensor).
  uint32_t encode(float scaled) const;
  /// The value a code stands for before scaling (two's complement for signed
  /// integers: code bits are read as a `codeBits`-wide field).
  float decode(uint32_t code) const;

  /// Bytes that `numCodes` densely packed codes occupy.
  uint64_t getPackedBytes(uint64_t numCodes) const {
    return (numCodes * codeBits + 7) / 8;
  }

  /// The name without microscaling ("int4", "fp4_e2m1", "lut<16>").
  std::string getBaseName() const;
  /// The canonical text of the format, as the `#qopt.format<...>` attribute
  /// prints it: the base name, then ", mx = N" when microscaled
  /// ("int4", "fp4_e2m1, mx = 32").
  std::string str() const;

  bool operator==(const NumberFormat &other) const {
    return kind == other.kind && codeBits == other.codeBits &&
           scaleBlock == other.scaleBlock;
  }
  bool operator!=(const NumberFormat &other) const { return !(*this == other); }

private:
  NumberFormat(FormatKind kind, unsigned codeBits, unsigned scaleBlock)
      : kind(kind), codeBits(codeBits), scaleBlock(scaleBlock) {}

  FormatKind kind;
  uint8_t codeBits;
  uint16_t scaleBlock;
};

inline llvm::hash_code hash_value(const NumberFormat &format) {
  return llvm::hash_combine(static_cast<uint8_t>(format.getKind()),
                            format.getCodeBits(), format.getScaleBlock());
}

} // namespace qopt

#endif // QOPT_QUANT_NUMBERFORMAT_H
