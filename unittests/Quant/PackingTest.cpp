//===- PackingTest.cpp - row_major packing ---------------------------------===//

#include "qopt/Quant/Packing.h"

#include <gtest/gtest.h>

#include <random>

using namespace qopt;

namespace {

TEST(Packing, Int4IsLowNibbleFirst) {
  // As ONNX Runtime's MatMulNBits: code 2j in the low nibble of byte j.
  std::vector<uint8_t> codes = {0x1, 0x2, 0x3, 0xF};
  std::vector<uint8_t> packed = packRowMajor(codes, 1, 4, 4);
  EXPECT_EQ(packed, (std::vector<uint8_t>{0x21, 0xF3}));
}

TEST(Packing, ThreeBitFieldsCrossBytes) {
  // Codes 7, 0, 5 at bits 0, 3, 6: 0b111 | 0b000 << 3 | 0b101 << 6 = 0x147.
  std::vector<uint8_t> packed = packRowMajor({7, 0, 5}, 1, 3, 3);
  EXPECT_EQ(packed, (std::vector<uint8_t>{0x47, 0x01}));
}

TEST(Packing, RoundTripsEveryWidthAndOddShapes) {
  std::mt19937 rng(3);
  for (unsigned bits = 1; bits <= 8; ++bits)
    for (int64_t k : {1, 3, 7, 8, 33, 64}) {
      const int64_t n = 5;
      std::vector<uint8_t> codes(size_t(n * k));
      for (uint8_t &c : codes)
        c = uint8_t(rng() & ((1u << bits) - 1));
      std::vector<uint8_t> packed = packRowMajor(codes, n, k, bits);
      ASSERT_EQ(int64_t(packed.size()), n * getPackedRowBytes(k, bits));
      EXPECT_EQ(unpackRowMajor(packed, n, k, bits), codes) << bits << " bits, k = " << k;
    }
}

} // namespace
