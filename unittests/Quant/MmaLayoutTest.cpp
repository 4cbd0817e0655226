//===- MmaLayoutTest.cpp - mma_sm80 packing against the PTX fragments -----===//
//
// Decodes packed tiles the way the GPU kernel does (16 bytes per lane, four
// little-endian words, fields paired across the 16-bit halves) and checks
// every field against the element PTX puts in that lane's register of the
// B operand of mma.sync.m16n8k16 (row k = 2t + half + 8 * reg, column g;
// g = lane / 4, t = lane % 4).
//
//===----------------------------------------------------------------------===//

#include "qopt/Quant/MmaLayout.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace qopt;

namespace {

MmaLayout makeLayout(unsigned bits, int64_t n, int64_t k, int64_t group) {
  MmaLayout layout;
  layout.bits = bits;
  layout.n = n;
  layout.k = k;
  layout.group = group;
  return layout;
}

std::vector<uint8_t> randomCodes(const MmaLayout &layout, std::mt19937 &rng) {
  std::vector<uint8_t> codes(size_t(layout.n * layout.k));
  for (uint8_t &code : codes)
    code = uint8_t(rng() & ((1u << layout.bits) - 1));
  return codes;
}

TEST(MmaLayout, TileShapes) {
  EXPECT_EQ(makeLayout(4, 64, 16, 16).getTileColumns(), 64);
  EXPECT_EQ(makeLayout(8, 64, 16, 16).getTileColumns(), 32);
  MmaLayout layout = makeLayout(4, 100, 64, 32);
  EXPECT_EQ(layout.getNumTiles(), 2);
  EXPECT_EQ(layout.getTileBytes(), 4 * 512);
  EXPECT_FALSE(MmaLayout::supports(4, 64, 40, 40));  // K not whole k steps
  EXPECT_FALSE(MmaLayout::supports(4, 64, 96, 64));  // K not whole groups
  EXPECT_FALSE(MmaLayout::supports(3, 64, 64, 64));
  EXPECT_TRUE(MmaLayout::supports(8, 5, 64, 32));
}

TEST(MmaLayout, LanesLoadTheirBFragments) {
  std::mt19937 rng(11);
  for (unsigned bits : {4u, 8u}) {
    MmaLayout layout = makeLayout(bits, 70, 48, 16);
    std::vector<uint8_t> codes = randomCodes(layout, rng);
    std::vector<uint8_t> packed = packMmaTiles(layout, codes);
    ASSERT_EQ(int64_t(packed.size()), layout.getNumTiles() * layout.getTileBytes());
    const uint32_t mask = (1u << bits) - 1;
    const int64_t pairsPerWord = bits == 4 ? 4 : 2;
    for (int64_t tile = 0; tile < layout.getNumTiles(); ++tile)
      for (int64_t step = 0; step < layout.getNumSteps(); ++step)
        for (int64_t lane = 0; lane < MmaLayout::kLanes; ++lane) {
          const uint8_t *bytes = &packed[size_t(tile * layout.getTileBytes() + step * MmaLayout::kStepBytes +
                                                lane * MmaLayout::kLaneBytes)];
          const int64_t g = lane / 4, t = lane % 4;
          for (int64_t w = 0; w < 4; ++w) {
            uint32_t word = uint32_t(bytes[4 * w]) | uint32_t(bytes[4 * w + 1]) << 8 |
                            uint32_t(bytes[4 * w + 2]) << 16 | uint32_t(bytes[4 * w + 3]) << 24;
            for (int64_t p = 0; p < pairsPerWord; ++p) {
              const unsigned shift = unsigned(p * bits);
              const int64_t subtile = bits == 4 ? 2 * w + p / 2 : w, reg = p % 2;
              const int64_t column = tile * layout.getTileColumns() + 8 * subtile + g;
              for (int64_t half = 0; half < 2; ++half) {
                uint32_t field = (word >> (shift + 16 * half)) & mask;
                int64_t kk = step * 16 + 2 * t + half + 8 * reg;
                uint32_t expected = column < layout.n ? codes[size_t(column * layout.k + kk)] : 0;
                ASSERT_EQ(field, expected) << bits << "-bit, tile " << tile << " step " << step << " lane " << lane
                                           << " word " << w << " pair " << p << " half " << half;
              }
            }
          }
        }
    EXPECT_EQ(unpackMmaTiles(layout, packed), codes);
  }
}

TEST(MmaLayout, GroupValuesFollowTheLanes) {
  // Lane g of tile column 8j + g reads index g * subtiles + j of its group.
  MmaLayout layout = makeLayout(4, 70, 64, 32);
  std::vector<float> values(size_t(layout.n * layout.getNumGroups()));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = float(i + 1);
  std::vector<char> raw(reinterpret_cast<const char *>(values.data()),
                        reinterpret_cast<const char *>(values.data() + values.size()));
  std::vector<char> tiled = tileGroupValues(layout, raw, sizeof(float));
  ASSERT_EQ(int64_t(tiled.size()), layout.getNumTiles() * layout.getNumGroups() * 64 * int64_t(sizeof(float)));
  auto at = [&](int64_t tile, int64_t group, int64_t index) {
    float value;
    std::memcpy(&value, &tiled[size_t(((tile * layout.getNumGroups() + group) * 64 + index) * sizeof(float))],
                sizeof(float));
    return value;
  };
  // Column 8 * 3 + 5 = 29 of tile 0, group 1.
  EXPECT_EQ(at(0, 1, 5 * 8 + 3), values[29 * 2 + 1]);
  // Column 64 + 8 * 0 + 5 = 69 (the last), and 70 (past N) is zero.
  EXPECT_EQ(at(1, 0, 5 * 8 + 0), values[69 * 2]);
  EXPECT_EQ(at(1, 0, 6 * 8 + 0), 0.0f);
}

} // namespace
