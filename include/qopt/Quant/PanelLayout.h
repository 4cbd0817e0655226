//===- PanelLayout.h - Panel-major packed weights for CPU kernels -*- C++ -*-===//
//
// The CPU kernels of qopt.qlinear read weights in panels of 16 output rows,
// so that one vector register holds one value of each of 16 rows and the
// kernel needs no horizontal reductions. A panel stores its groups one after
// another; a group is a sequence of steps, and a step holds `step` codes of
// each of the 16 rows. Two layouts (PackedLayout::panel16 and panel16_dot)
// times two code widths give four step shapes, lane j = row 16p + j:
//
//   panel16,     8-bit: 16 bytes; byte j = code k of lane j
//   panel16,     4-bit: 16 bytes; byte j = code k | code (k+1) << 4
//   panel16_dot, 8-bit: 64 bytes; byte 4j+i = code (k+i)           (i < 4)
//   panel16_dot, 4-bit: 64 bytes; byte 4j+i = code (k+i) | code (k+4+i) << 4
//
// panel16 feeds float multiply-adds; panel16_dot feeds 4-way int8 dot
// products (vpdpbusd): each 32-bit lane holds 4 consecutive codes of its row.
// Codes keep their bits (two's complement for signed formats). A group whose
// length is not a multiple of `step` is padded with zero codes; rows past N
// in the last panel are zero codes too. Scales and zero points move to
// [P, G, 16] (zero for the padding rows).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_PANELLAYOUT_H
#define QOPT_QUANT_PANELLAYOUT_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace qopt {

struct PanelLayout {
  static constexpr int64_t kRows = 16; // rows per panel (one AVX-512 f32/i32 vector)

  bool dotProduct = false; // panel16_dot rather than panel16
  unsigned bits = 4;       // 4 or 8
  int64_t n = 0, k = 0, group = 0;

  static bool supportsBits(unsigned bits) { return bits == 4 || bits == 8; }

  int64_t getNumPanels() const { return (n + kRows - 1) / kRows; }
  int64_t getNumGroups() const { return (k + group - 1) / group; }
  int64_t getGroupStart(int64_t g) const { return g * group; }
  int64_t getGroupLength(int64_t g) const;
  /// Codes of one row per step.
  int64_t getStep() const;
  /// Bytes of one step (all 16 rows).
  int64_t getStepBytes() const { return kRows * (dotProduct ? 4 : 1); }
  int64_t getNumSteps(int64_t g) const { return (getGroupLength(g) + getStep() - 1) / getStep(); }
  /// Codes of a full group after padding to whole steps.
  int64_t getPaddedGroupCodes() const { return (group + getStep() - 1) / getStep() * getStep(); }
  /// Bytes between the starts of consecutive groups in a panel.
  int64_t getGroupStride() const { return getPaddedGroupCodes() / getStep() * getStepBytes(); }
  /// Byte offset of group `g` within a panel.
  int64_t getGroupOffset(int64_t g) const;
  int64_t getPanelBytes() const { return getGroupOffset(getNumGroups()); }
  /// Where code (row, kk) lives: byte index in the packed [P, panelBytes]
  /// array, and the bit shift (0 or 4) within that byte.
  void locate(int64_t row, int64_t kk, int64_t &byte, unsigned &shift) const;
};

/// Packs [n, k] codes (one per byte, low `bits` bits used) into
/// [P, panelBytes] bytes.
std::vector<uint8_t> packPanels(const PanelLayout &layout, llvm::ArrayRef<uint8_t> codes);

/// The inverse of packPanels: [n, k] codes, one per byte.
std::vector<uint8_t> unpackPanels(const PanelLayout &layout, llvm::ArrayRef<uint8_t> packed);

/// [n, G] per-group values (raw elements of `elementBytes` bytes) as
/// [P, G, 16], zero bytes for the rows past n.
std::vector<char> panelizeGroupValues(const PanelLayout &layout, llvm::ArrayRef<char> values,
                                      unsigned elementBytes);

} // namespace qopt

#endif // QOPT_QUANT_PANELLAYOUT_H
