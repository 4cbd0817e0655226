//===- CodePlacement.h - Packing codes by a layout's locate() ---*- C++ -*-===//
//
// The kernel layouts (PanelLayout, MmaLayout) each say where code (n, k) of
// an [n, k] code matrix lives: `locate(n, k, byte, shift)`. Packing and
// unpacking follow from that alone.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_CODEPLACEMENT_H
#define QOPT_QUANT_CODEPLACEMENT_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace qopt {

/// Calls `visit(index of code (n, k) in [n, k], byte, shift)` for every code.
template <typename Layout, typename Visit>
void forEachPlacedCode(const Layout &layout, Visit visit) {
  for (int64_t n = 0; n < layout.n; ++n)
    for (int64_t k = 0; k < layout.k; ++k) {
      int64_t byte;
      unsigned shift;
      layout.locate(n, k, byte, shift);
      visit(size_t(n * layout.k + k), size_t(byte), shift);
    }
}

/// [n, k] codes (one per byte, low `layout.bits` bits used) placed into
/// `totalBytes` zero bytes where `layout.locate` says.
template <typename Layout>
std::vector<uint8_t> placeCodes(const Layout &layout, llvm::ArrayRef<uint8_t> codes, int64_t totalBytes) {
  std::vector<uint8_t> packed(size_t(totalBytes), 0);
  const uint8_t mask = uint8_t((1u << layout.bits) - 1);
  forEachPlacedCode(layout, [&](size_t code, size_t byte, unsigned shift) {
    packed[byte] |= uint8_t((codes[code] & mask) << shift);
  });
  return packed;
}

/// The inverse of placeCodes: [n, k] codes, one per byte.
template <typename Layout>
std::vector<uint8_t> gatherCodes(const Layout &layout, llvm::ArrayRef<uint8_t> packed) {
  std::vector<uint8_t> codes(size_t(layout.n * layout.k));
  const uint8_t mask = uint8_t((1u << layout.bits) - 1);
  forEachPlacedCode(layout, [&](size_t code, size_t byte, unsigned shift) {
    codes[code] = uint8_t((packed[byte] >> shift) & mask);
  });
  return codes;
}

} // namespace qopt

#endif // QOPT_QUANT_CODEPLACEMENT_H
