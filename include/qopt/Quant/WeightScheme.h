//===- WeightScheme.h - A weight format with its scale grouping -*- C++ -*-===//
//
// What one layer's weights are quantized to: a number format and the number
// of weights that share a scale, written "int4-g32", "nf4-g64", "int8"
// (per output channel), "mxfp4" (its own block), "lut<16>" (a fitted
// codebook per output channel), "lut<16>-g32" (one fitted codebook for
// the layer, scales per group of 32). The unit of mixed
// precision: bit allocation chooses one scheme per layer and
// qopt-quantize-weights honours it (the `qopt.weight_scheme` attribute).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_WEIGHTSCHEME_H
#define QOPT_QUANT_WEIGHTSCHEME_H

#include "qopt/Quant/NumberFormat.h"

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace qopt {

/// The layer attribute (a string, WeightScheme::str()) that overrides
/// qopt-quantize-weights' format and group for that layer.
constexpr llvm::StringLiteral kWeightSchemeAttr = "qopt.weight_scheme";

/// The schemes bit allocation chooses from unless told otherwise: 2 to 8
/// bits, fine and coarse groups, integer and 4-bit float codes, and fitted
/// 3- and 4-bit codebooks.
constexpr llvm::StringLiteral kDefaultAllocationCandidates =
    "int8,int6-g128,int4-g128,int4-g32,int3-g128,int3-g32,int2-g128,int2-g32,nf4-g64,fp4_e2m1-g32,"
    "lut<16>-g32,lut<8>-g32";

struct WeightScheme {
  NumberFormat format = NumberFormat::signedInt(4);
  /// Weights per scale along a row; 0: one scale per output channel.
  int64_t group = 0;

  /// "int4-g32", "int8" (per channel), "mxfp4"; std::nullopt with `error`
  /// set when the text is not one.
  static std::optional<WeightScheme> parse(llvm::StringRef text, std::string *error = nullptr);
  std::string str() const;

  /// Storage of a [rows, columns] weight in bits per weight: codes (each
  /// row packed into whole bytes), plus
  /// one f32 scale (e8m0 byte when microscaled) per group of a row, plus
  /// the f32 codebooks of lookup tables (per row when the scale is per
  /// channel, else one).
  double getBitsPerWeight(int64_t rows, int64_t columns) const;
};

/// The candidate list "int8,int4-g32,..." parsed; std::nullopt with `error`
/// naming the bad entry.
std::optional<std::vector<WeightScheme>> parseWeightSchemes(llvm::StringRef list, std::string *error = nullptr);

} // namespace qopt

#endif // QOPT_QUANT_WEIGHTSCHEME_H
