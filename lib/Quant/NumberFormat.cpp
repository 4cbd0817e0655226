//===- NumberFormat.cpp - Number formats of quantized codes ---------------===//

#include "qopt/Quant/NumberFormat.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <array>
#include <cmath>
#include <limits>
#include <mutex>
#include <vector>

using namespace qopt;

namespace {

/// Layout of a sign/exponent/mantissa float without infinities (the OCP
/// "FN" formats); `hasNaN` says whether the all-ones pattern is NaN.
struct MiniFloatLayout {
  unsigned exponentBits;
  unsigned mantissaBits;
  bool hasNaN;
};

/// Code width of the formats whose width is fixed by their kind.
unsigned getFixedCodeBits(FormatKind kind) {
  return kind == FormatKind::Float8E4M3 ? 8 : kind == FormatKind::Float6E3M2 ? 6 : 4;
}

MiniFloatLayout getMiniFloatLayout(FormatKind kind) {
  switch (kind) {
  case FormatKind::Float8E4M3:
    return {4, 3, true};
  case FormatKind::Float6E3M2:
    return {3, 2, false};
  default:
    return {2, 1, false}; // Float4E2M1
  }
}

float decodeMiniFloat(MiniFloatLayout layout, uint32_t code) {
  const unsigned mantissaMask = (1u << layout.mantissaBits) - 1;
  const unsigned exponentMask = (1u << layout.exponentBits) - 1;
  const int bias = (1 << (layout.exponentBits - 1)) - 1;
  const unsigned mantissa = code & mantissaMask;
  const unsigned exponent = (code >> layout.mantissaBits) & exponentMask;
  const bool negative = (code >> (layout.mantissaBits + layout.exponentBits)) & 1;
  if (layout.hasNaN && exponent == exponentMask && mantissa == mantissaMask)
    return std::numeric_limits<float>::quiet_NaN();
  const float fraction = float(mantissa) / float(1u << layout.mantissaBits);
  const float magnitude =
      exponent == 0 ? std::ldexp(fraction, 1 - bias)                // subnormal
                    : std::ldexp(1.0f + fraction, int(exponent) - bias);
  return negative ? -magnitude : magnitude;
}

/// NF4 levels from QLoRA (Dettmers et al. 2023, Appendix E), as shipped in
/// bitsandbytes: code i is the i-th value, ascending.
constexpr std::array<float, 16> kNormalFloat4Levels = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f};

std::vector<float> buildMiniFloatTable(FormatKind kind, unsigned bits) {
  std::vector<float> table(size_t(1) << bits);
  for (uint32_t code = 0; code < table.size(); ++code)
    table[code] = decodeMiniFloat(getMiniFloatLayout(kind), code);
  return table;
}

/// Picks, among `candidates` (codes with finite values), the one nearest to
/// `value`, preferring the even code on a tie.
uint32_t nearestCode(llvm::ArrayRef<float> table, llvm::ArrayRef<uint32_t> candidates,
                     float value) {
  uint32_t best = candidates.front();
  float bestDistance = std::fabs(table[best] - value);
  for (uint32_t code : candidates.drop_front()) {
    float distance = std::fabs(table[code] - value);
    if (distance < bestDistance ||
        (distance == bestDistance && (code & 1) == 0 && (best & 1) != 0)) {
      best = code;
      bestDistance = distance;
    }
  }
  return best;
}

} // namespace

/// The codes below `limit` whose values are finite, for the table formats;
/// built once per format kind.
static llvm::ArrayRef<uint32_t> finiteCodesUpTo(FormatKind kind, uint32_t limit) {
  static std::vector<uint32_t> cache[size_t(FormatKind::Lookup) + 1];
  static std::once_flag once[size_t(FormatKind::Lookup) + 1];
  std::vector<uint32_t> &codes = cache[size_t(kind)];
  std::call_once(once[size_t(kind)], [&] {
    llvm::ArrayRef<float> table =
        kind == FormatKind::NormalFloat4
            ? llvm::ArrayRef<float>(kNormalFloat4Levels)
            : NumberFormat::get(kind, getFixedCodeBits(kind), 0)->getDecodeTable();
    for (uint32_t code = 0; code < limit; ++code)
      if (!std::isnan(table[code]))
        codes.push_back(code);
  });
  return codes;
}

std::optional<NumberFormat> NumberFormat::get(FormatKind kind, unsigned codeBits,
                                              unsigned scaleBlock, std::string *error) {
  auto fail = [&](const std::string &message) -> std::optional<NumberFormat> {
    if (error)
      *error = message;
    return std::nullopt;
  };
  switch (kind) {
  case FormatKind::SignedInt:
  case FormatKind::UnsignedInt:
    if (codeBits < 2 || codeBits > 8)
      return fail("integer formats have 2 to 8 bits, not " + std::to_string(codeBits));
    break;
  case FormatKind::Float8E4M3:
    if (codeBits != 8)
      return fail("fp8_e4m3 codes have 8 bits");
    break;
  case FormatKind::Float6E3M2:
    if (codeBits != 6)
      return fail("fp6_e3m2 codes have 6 bits");
    break;
  case FormatKind::Float4E2M1:
  case FormatKind::NormalFloat4:
    if (codeBits != 4)
      return fail("fp4_e2m1 and nf4 codes have 4 bits");
    break;
  case FormatKind::Lookup:
    if (codeBits < 1 || codeBits > 8)
      return fail("lookup tables have 2 to 256 entries (a power of two)");
    break;
  }
  if (scaleBlock != 0) {
    bool scalable = kind == FormatKind::SignedInt || (kind >= FormatKind::Float8E4M3 &&
                                                      kind <= FormatKind::Float4E2M1);
    if (!scalable)
      return fail("microscaling (shared e8m0 scales) applies to signed integer and "
                  "fp8/fp6/fp4 formats only");
    if (!llvm::isPowerOf2_32(scaleBlock) || scaleBlock < 2 || scaleBlock > 1024)
      return fail("microscaling block must be a power of two in [2, 1024], not " +
                  std::to_string(scaleBlock));
  }
  return NumberFormat(kind, codeBits, scaleBlock);
}

std::optional<NumberFormat> NumberFormat::parse(llvm::StringRef text, std::string *error) {
  constexpr unsigned kOcpBlock = 32; // OCP Microscaling spec v1.0, Table 1
  unsigned scaleBlock = 0;
  if (text.consume_front("mx")) {
    scaleBlock = kOcpBlock;
    if (text == "fp4") // the spec's short name of mxfp4 (E2M1 elements)
      text = "fp4_e2m1";
  }
  unsigned bits = 0;
  if (text.consume_front("lut<") && text.consume_back(">")) {
    unsigned entries = 0;
    if (text.getAsInteger(10, entries) || !llvm::isPowerOf2_32(entries) || entries < 2 ||
        entries > 256) {
      if (error)
        *error = "lut<N> needs N a power of two in [2, 256], not '" + text.str() + "'";
      return std::nullopt;
    }
    return get(FormatKind::Lookup, llvm::Log2_32(entries), scaleBlock, error);
  }
  std::optional<FormatKind> kind = llvm::StringSwitch<std::optional<FormatKind>>(text)
                                       .Case("fp8_e4m3", FormatKind::Float8E4M3)
                                       .Case("fp6_e3m2", FormatKind::Float6E3M2)
                                       .Case("fp4_e2m1", FormatKind::Float4E2M1)
                                       .Case("nf4", FormatKind::NormalFloat4)
                                       .Default(std::nullopt);
  if (kind) {
    return get(*kind, getFixedCodeBits(*kind), scaleBlock, error);
  }
  llvm::StringRef digits = text;
  if (digits.consume_front("uint"))
    kind = FormatKind::UnsignedInt;
  else if (digits.consume_front("int"))
    kind = FormatKind::SignedInt;
  if (kind && !digits.empty() && !digits.getAsInteger(10, bits))
    return get(*kind, bits, scaleBlock, error);
  if (error)
    *error = "unknown number format '" + text.str() +
             "' (expected int2..int8, uint2..uint8, fp8_e4m3, fp6_e3m2, fp4_e2m1, nf4, "
             "lut<N>, or an mx form: mxint8, mxfp8_e4m3, mxfp6_e3m2, mxfp4)";
  return std::nullopt;
}

int32_t NumberFormat::getMinCode() const {
  return kind == FormatKind::SignedInt ? -(1 << (codeBits - 1)) : 0;
}

int32_t NumberFormat::getMaxCode() const {
  return kind == FormatKind::SignedInt ? (1 << (codeBits - 1)) - 1 : (1 << codeBits) - 1;
}

float NumberFormat::getMaxMagnitude() const {
  switch (kind) {
  case FormatKind::SignedInt:
  case FormatKind::UnsignedInt:
    return float(getMaxCode());
  case FormatKind::Float8E4M3:
    return 448.0f;
  case FormatKind::Float6E3M2:
    return 28.0f;
  case FormatKind::Float4E2M1:
    return 6.0f;
  case FormatKind::NormalFloat4:
    return 1.0f;
  case FormatKind::Lookup:
    break;
  }
  return std::numeric_limits<float>::quiet_NaN();
}

llvm::ArrayRef<float> NumberFormat::getDecodeTable() const {
  static const std::vector<float> fp8 = buildMiniFloatTable(FormatKind::Float8E4M3, 8);
  static const std::vector<float> fp6 = buildMiniFloatTable(FormatKind::Float6E3M2, 6);
  static const std::vector<float> fp4 = buildMiniFloatTable(FormatKind::Float4E2M1, 4);
  switch (kind) {
  case FormatKind::Float8E4M3:
    return fp8;
  case FormatKind::Float6E3M2:
    return fp6;
  case FormatKind::Float4E2M1:
    return fp4;
  case FormatKind::NormalFloat4:
    return kNormalFloat4Levels;
  default:
    return {};
  }
}

uint32_t NumberFormat::encode(float scaled) const {
  if (std::isnan(scaled))
    return 0;
  const uint32_t codeMask = (1u << codeBits) - 1;
  if (isInteger()) {
    // nearbyint rounds half to even in the default rounding mode.
    float rounded = std::nearbyint(scaled);
    rounded = std::fmin(std::fmax(rounded, float(getMinCode())), float(getMaxCode()));
    return uint32_t(int32_t(rounded)) & codeMask;
  }
  llvm::ArrayRef<float> table = getDecodeTable();
  if (kind == FormatKind::NormalFloat4)
    return nearestCode(table, finiteCodesUpTo(kind, 16), std::fmin(std::fmax(scaled, -1.0f), 1.0f));
  // Mini-floats: search the finite non-negative half, then set the sign bit.
  const uint32_t signBit = 1u << (codeBits - 1);
  float magnitude = std::fmin(std::fabs(scaled), getMaxMagnitude());
  uint32_t code = nearestCode(table, finiteCodesUpTo(kind, signBit), magnitude);
  return std::signbit(scaled) ? (code | signBit) : code;
}

float NumberFormat::decode(uint32_t code) const {
  code &= (1u << codeBits) - 1;
  if (kind == FormatKind::SignedInt) {
    int32_t value = int32_t(code << (32 - codeBits)) >> (32 - codeBits); // sign-extend
    return float(value);
  }
  if (kind == FormatKind::UnsignedInt)
    return float(code);
  llvm::ArrayRef<float> table = getDecodeTable();
  return table.empty() ? std::numeric_limits<float>::quiet_NaN() : table[code];
}

std::string NumberFormat::getBaseName() const {
  switch (kind) {
  case FormatKind::SignedInt:
    return "int" + std::to_string(codeBits);
  case FormatKind::UnsignedInt:
    return "uint" + std::to_string(codeBits);
  case FormatKind::Float8E4M3:
    return "fp8_e4m3";
  case FormatKind::Float6E3M2:
    return "fp6_e3m2";
  case FormatKind::Float4E2M1:
    return "fp4_e2m1";
  case FormatKind::NormalFloat4:
    return "nf4";
  case FormatKind::Lookup:
    return "lut<" + std::to_string(1u << codeBits) + ">";
  }
  return "?";
}

std::string NumberFormat::str() const {
  std::string name = getBaseName();
  if (isMicroscaled())
    name += ", mx = " + std::to_string(scaleBlock);
  return name;
}
