//===- MmaLayout.h - Packed weights in mma.sync fragment order --*- C++ -*-===//
//
// The tensor-core GPU kernel of qopt.qlinear (PackedLayout::mma_sm80)
// computes out = x · Wᵀ with `mma.sync.m16n8k16` (f16 in, f32 accumulate):
// x is the A operand (16 rows × 16 k), the weight the B operand (16 k × 8
// output columns n). PTX fixes which elements each lane holds; with
// g = lane / 4 and t = lane % 4, lane holds of a B tile the two f16x2
// registers
//
//   b01 = (k 2t, k 2t+1) of column g,  b23 = (k 2t+8, k 2t+9) of column g.
//
// The layout stores the codes so that one 16-byte load per lane per k step
// of 16 yields its B registers for a whole column tile of 256 / bits
// columns (subtiles j of 8 columns: column 8j + g of the tile), and a warp's
// 32 loads are one contiguous 512-byte read. The 16 bytes are four 32-bit
// words; a word yields f16x2 registers by masking a pair of fields, one in
// each 16-bit half (code c becomes the f16 1024 + c by OR-ing 0x6400 into
// the half: the dequantization needs no integer-to-float conversion):
//
//   4-bit: word w holds subtiles 2w and 2w+1; pair p (p < 4) is the
//          nibbles at bits 4p (low half) and 16 + 4p (high half):
//          p = 0: b01 of subtile 2w, 1: b23 of 2w, 2: b01 of 2w+1, 3: b23
//          of 2w+1; the low half is the pair's even k.
//   8-bit: word w holds subtile w; pair 0 is bytes 0 and 2 (b01), pair 1
//          bytes 1 and 3 (b23).
//
// Column tiles are stored one after another, each as its K / 16 k steps of
// 512 bytes: packed is [ceil(N / tileN), K / 16 * 512] i8. Codes keep their
// bits (two's complement for signed formats); columns past N are zero
// codes. Scales and zero points become [ceil(N / tileN), G, tileN], the
// value of tile column 8j + g at index g * (tileN / 8) + j, so that a lane
// reads the values of all its columns at once (zero past N).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_MMALAYOUT_H
#define QOPT_QUANT_MMALAYOUT_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qopt {

struct MmaLayout {
  static constexpr int64_t kStepK = 16;      // k of one mma (m16n8k16)
  static constexpr int64_t kSubtileN = 8;    // n of one mma
  static constexpr int64_t kLanes = 32;      // a warp
  static constexpr int64_t kLaneBytes = 16;  // one load per lane per k step
  static constexpr int64_t kStepBytes = kLanes * kLaneBytes;

  unsigned bits = 4; // 4 or 8
  int64_t n = 0, k = 0, group = 0;

  /// Whether the layout can hold an [n, k] weight in groups of `group`:
  /// 4- or 8-bit codes, k and the group whole k steps, whole groups. If
  /// not, why, in `reason`.
  static bool supports(unsigned bits, int64_t n, int64_t k, int64_t group, std::string *reason = nullptr);

  /// Columns of one tile (all subtiles a lane's 16 bytes feed).
  int64_t getTileColumns() const { return kLaneBytes * 8 / bits / 4 * kSubtileN; }
  int64_t getSubtiles() const { return getTileColumns() / kSubtileN; }
  int64_t getNumTiles() const { return (n + getTileColumns() - 1) / getTileColumns(); }
  int64_t getNumSteps() const { return k / kStepK; }
  int64_t getNumGroups() const { return (k + group - 1) / group; }
  int64_t getTileBytes() const { return getNumSteps() * kStepBytes; }

  /// Where code (column, kk) lives: byte index in the packed [tiles,
  /// tileBytes] array and its bit shift (0 or 4) within that byte.
  void locate(int64_t column, int64_t kk, int64_t &byte, unsigned &shift) const;
  /// Index of column `column`'s value in the [tiles, G, tileN] scales of
  /// group `g`.
  int64_t locateGroupValue(int64_t column, int64_t g) const;
};

/// Packs [n, k] codes (one per byte, low `bits` bits used) into
/// [tiles, tileBytes] bytes.
std::vector<uint8_t> packMmaTiles(const MmaLayout &layout, llvm::ArrayRef<uint8_t> codes);

/// The inverse of packMmaTiles: [n, k] codes, one per byte.
std::vector<uint8_t> unpackMmaTiles(const MmaLayout &layout, llvm::ArrayRef<uint8_t> packed);

/// [n, G] per-group values (raw elements of `elementBytes` bytes) as
/// [tiles, G, tileN], zero bytes for the columns past n.
std::vector<char> tileGroupValues(const MmaLayout &layout, llvm::ArrayRef<char> values, unsigned elementBytes);

} // namespace qopt

#endif // QOPT_QUANT_MMALAYOUT_H
