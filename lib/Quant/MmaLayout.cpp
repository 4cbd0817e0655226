//===- MmaLayout.cpp - Packed weights in mma.sync fragment order ----------===//

#include "qopt/Quant/MmaLayout.h"

#include "qopt/Quant/CodePlacement.h"

#include <cassert>
#include <cstring>

using namespace qopt;

bool MmaLayout::supports(unsigned bits, int64_t n, int64_t k, int64_t group, std::string *reason) {
  auto fail = [&](const std::string &why) {
    if (reason)
      *reason = why;
    return false;
  };
  if (bits != 4 && bits != 8)
    return fail("the tensor-core layout holds 4- or 8-bit codes");
  if (n <= 0 || k <= 0 || k % kStepK || group % kStepK || k % group)
    return fail("the tensor-core layout needs K and the group to be multiples of 16 and K a multiple of "
                "the group");
  return true;
}

void MmaLayout::locate(int64_t column, int64_t kk, int64_t &byte, unsigned &shift) const {
  const int64_t tile = column / getTileColumns(), inTile = column % getTileColumns();
  const int64_t subtile = inTile / kSubtileN, g = inTile % kSubtileN;
  const int64_t step = kk / kStepK, inStep = kk % kStepK;
  const int64_t high8 = inStep / 8;      // b23 rather than b01
  const int64_t t = (inStep % 8) / 2;    // lane % 4
  const int64_t odd = inStep % 2;        // the f16x2 register's high half
  const int64_t lane = 4 * g + t;
  int64_t byteInLane;
  if (bits == 4) {
    const int64_t word = subtile / 2, pair = (subtile % 2) * 2 + high8;
    const int64_t bit = 4 * pair + 16 * odd;
    byteInLane = 4 * word + bit / 8;
    shift = unsigned(bit % 8);
  } else {
    byteInLane = 4 * subtile + high8 + 2 * odd;
    shift = 0;
  }
  byte = tile * getTileBytes() + step * kStepBytes + lane * kLaneBytes + byteInLane;
}

int64_t MmaLayout::locateGroupValue(int64_t column, int64_t g) const {
  const int64_t tileN = getTileColumns();
  const int64_t tile = column / tileN, inTile = column % tileN;
  return (tile * getNumGroups() + g) * tileN + (inTile % kSubtileN) * getSubtiles() + inTile / kSubtileN;
}

std::vector<uint8_t> qopt::packMmaTiles(const MmaLayout &layout, llvm::ArrayRef<uint8_t> codes) {
  assert(MmaLayout::supports(layout.bits, layout.n, layout.k, layout.group) &&
         int64_t(codes.size()) == layout.n * layout.k);
  return placeCodes(layout, codes, layout.getNumTiles() * layout.getTileBytes());
}

std::vector<uint8_t> qopt::unpackMmaTiles(const MmaLayout &layout, llvm::ArrayRef<uint8_t> packed) {
  assert(int64_t(packed.size()) == layout.getNumTiles() * layout.getTileBytes());
  return gatherCodes(layout, packed);
}

std::vector<char> qopt::tileGroupValues(const MmaLayout &layout, llvm::ArrayRef<char> values,
                                        unsigned elementBytes) {
  const int64_t groups = layout.getNumGroups();
  assert(int64_t(values.size()) == layout.n * groups * elementBytes);
  std::vector<char> result(size_t(layout.getNumTiles() * groups * layout.getTileColumns() * elementBytes), 0);
  for (int64_t column = 0; column < layout.n; ++column)
    for (int64_t g = 0; g < groups; ++g)
      std::memcpy(&result[size_t(layout.locateGroupValue(column, g) * elementBytes)],
                  &values[size_t((column * groups + g) * elementBytes)], elementBytes);
  return result;
}
