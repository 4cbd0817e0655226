//===- PanelLayoutTest.cpp - panel16 / panel16_dot packing ----------------===//

#include "qopt/Quant/PanelLayout.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace qopt;

namespace {

PanelLayout makeLayout(bool dot, unsigned bits, int64_t n, int64_t k, int64_t group) {
  PanelLayout layout;
  layout.dotProduct = dot;
  layout.bits = bits;
  layout.n = n;
  layout.k = k;
  layout.group = group;
  return layout;
}

TEST(PanelLayout, FourBitPairsShareAByte) {
  // Row 1, codes 0 and 1: byte 1 of the first step, low nibble first.
  PanelLayout layout = makeLayout(false, 4, 2, 2, 2);
  std::vector<uint8_t> codes = {0x1, 0x2, 0x3, 0x4};
  std::vector<uint8_t> packed = packPanels(layout, codes);
  ASSERT_EQ(packed.size(), 16u);
  EXPECT_EQ(packed[0], 0x21);
  EXPECT_EQ(packed[1], 0x43);
  EXPECT_EQ(packed[2], 0x00); // rows past N are zero codes
}

TEST(PanelLayout, DotStepsHoldFourCodesPerLane) {
  // 8-bit: lane j = bytes 4j..4j+3 = codes k..k+3 of row j.
  PanelLayout layout = makeLayout(true, 8, 1, 4, 4);
  std::vector<uint8_t> packed = packPanels(layout, {10, 11, 12, 13});
  ASSERT_EQ(packed.size(), 64u);
  EXPECT_EQ((std::vector<uint8_t>(packed.begin(), packed.begin() + 4)), (std::vector<uint8_t>{10, 11, 12, 13}));
  // 4-bit: 8 codes per lane, k..k+3 low nibbles, k+4..k+7 high nibbles.
  PanelLayout four = makeLayout(true, 4, 1, 8, 8);
  std::vector<uint8_t> nibbles = packPanels(four, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ((std::vector<uint8_t>(nibbles.begin(), nibbles.begin() + 4)),
            (std::vector<uint8_t>{0x51, 0x62, 0x73, 0x84}));
}

TEST(PanelLayout, GroupsArePaddedToWholeSteps) {
  // K = 10 in groups of 4: 4, 4, 2 codes; dot 4-bit steps take 8 codes, so
  // each group is one 64-byte step.
  PanelLayout layout = makeLayout(true, 4, 17, 10, 4);
  EXPECT_EQ(layout.getNumPanels(), 2);
  EXPECT_EQ(layout.getNumGroups(), 3);
  EXPECT_EQ(layout.getGroupOffset(1), 64);
  EXPECT_EQ(layout.getPanelBytes(), 3 * 64);
}

TEST(PanelLayout, RoundTripsOddShapes) {
  std::mt19937 rng(7);
  for (bool dot : {false, true})
    for (unsigned bits : {4u, 8u})
      for (auto [n, k, group] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {17, 33, 32}, {40, 100, 32},
                                 {16, 77, 77}, {5, 64, 64}, {33, 200, 7}}) {
        PanelLayout layout = makeLayout(dot, bits, n, k, group);
        std::vector<uint8_t> codes(size_t(n * k));
        for (uint8_t &c : codes)
          c = uint8_t(rng() & ((1u << bits) - 1));
        std::vector<uint8_t> packed = packPanels(layout, codes);
        ASSERT_EQ(int64_t(packed.size()), layout.getNumPanels() * layout.getPanelBytes());
        EXPECT_EQ(unpackPanels(layout, packed), codes)
            << (dot ? "panel16_dot " : "panel16 ") << bits << " bits, n " << n << " k " << k << " group " << group;
      }
}

TEST(PanelLayout, GroupValuesMoveToPanels) {
  PanelLayout layout = makeLayout(false, 4, 17, 64, 32);
  std::vector<float> scales(17 * 2);
  for (size_t i = 0; i < scales.size(); ++i)
    scales[i] = float(i + 1);
  llvm::ArrayRef<char> bytes(reinterpret_cast<const char *>(scales.data()), scales.size() * sizeof(float));
  std::vector<char> panels = panelizeGroupValues(layout, bytes, sizeof(float));
  ASSERT_EQ(panels.size(), size_t(2 * 2 * 16 * sizeof(float)));
  auto at = [&](int64_t p, int64_t g, int64_t lane) {
    float value;
    std::memcpy(&value, &panels[size_t(((p * 2 + g) * 16 + lane) * sizeof(float))], sizeof(float));
    return value;
  };
  EXPECT_EQ(at(0, 1, 3), scales[3 * 2 + 1]);
  EXPECT_EQ(at(1, 0, 0), scales[16 * 2 + 0]);
  EXPECT_EQ(at(1, 0, 1), 0.0f); // padding rows
}

} // namespace
