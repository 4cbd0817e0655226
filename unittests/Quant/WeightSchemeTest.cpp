//===- WeightSchemeTest.cpp - Parsing and sizing weight schemes -----------===//

#include "qopt/Quant/WeightScheme.h"

#include <gtest/gtest.h>

using namespace qopt;

namespace {

TEST(WeightSchemeTest, ParsesAndPrintsBack) {
  for (const char *text : {"int8", "int4-g32", "int3-g128", "int2-g16", "nf4-g64", "fp4_e2m1-g32", "mxfp4_e2m1",
                           "uint4-g32"}) {
    std::string error;
    std::optional<WeightScheme> scheme = WeightScheme::parse(text, &error);
    ASSERT_TRUE(scheme) << text << ": " << error;
    EXPECT_EQ(scheme->str(), text);
  }
  std::optional<WeightScheme> mx = WeightScheme::parse("mxfp4");
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->group, 32);
}

TEST(WeightSchemeTest, CountsCodesAndScales) {
  // int4 in groups of 32 with f32 scales: 4 + 32 / 32 bits.
  EXPECT_DOUBLE_EQ(WeightScheme::parse("int4-g32")->getBitsPerWeight(8, 256), 5.0);
  // Per channel: one scale per row of 64.
  EXPECT_DOUBLE_EQ(WeightScheme::parse("int8")->getBitsPerWeight(8, 64), 8.5);
  // A short last group still has a scale: 100 = 3 * 32 + 4.
  EXPECT_DOUBLE_EQ(WeightScheme::parse("int4-g32")->getBitsPerWeight(8, 100), 4.0 + 4 * 32.0 / 100);
  // A row of 100 int3 codes takes 38 bytes (300 bits rounded up).
  EXPECT_DOUBLE_EQ(WeightScheme::parse("int3-g32")->getBitsPerWeight(8, 100), (38 * 8 + 4 * 32.0) / 100);
  // e8m0 scales are one byte per 32.
  EXPECT_DOUBLE_EQ(WeightScheme::parse("mxfp4")->getBitsPerWeight(8, 64), 4.25);
  // lut<16> per channel: 16 f32 values per row of 256, and a scale.
  EXPECT_DOUBLE_EQ(WeightScheme::parse("lut<16>")->getBitsPerWeight(8, 256), 4.0 + 32.0 / 256 + 16 * 32.0 / 256);
  // lut<16>-g32: one codebook for the 8 x 256 matrix.
  EXPECT_DOUBLE_EQ(WeightScheme::parse("lut<16>-g32")->getBitsPerWeight(8, 256), 5.0 + 16 * 32.0 / (8 * 256));
}

TEST(WeightSchemeTest, RejectsBadText) {
  std::string error;
  EXPECT_FALSE(WeightScheme::parse("int4-g0", &error));
  EXPECT_NE(error.find("bad group"), std::string::npos);
  EXPECT_FALSE(WeightScheme::parse("int9-g32", &error));
  EXPECT_FALSE(WeightScheme::parse("mxfp4-g16", &error));
  EXPECT_NE(error.find("own block"), std::string::npos);
  EXPECT_FALSE(WeightScheme::parse("lut<17>-g32", &error));
  EXPECT_FALSE(parseWeightSchemes("int8,int4-gx", &error));
}

} // namespace
