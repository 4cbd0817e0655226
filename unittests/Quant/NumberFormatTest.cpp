//===- NumberFormatTest.cpp - Number formats against references -----------===//
//
// The mini-float tables and rounding are checked against llvm::APFloat's
// implementation of the same OCP formats, an independent reference.
//
//===----------------------------------------------------------------------===//

#include "qopt/Quant/NumberFormat.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace qopt;

namespace {

NumberFormat parse(llvm::StringRef text) {
  std::string error;
  std::optional<NumberFormat> format = NumberFormat::parse(text, &error);
  EXPECT_TRUE(format.has_value()) << text.str() << ": " << error;
  return *format;
}

const llvm::fltSemantics &semanticsOf(FormatKind kind) {
  switch (kind) {
  case FormatKind::Float8E4M3:
    return llvm::APFloat::Float8E4M3FN();
  case FormatKind::Float6E3M2:
    return llvm::APFloat::Float6E3M2FN();
  default:
    return llvm::APFloat::Float4E2M1FN();
  }
}

TEST(NumberFormat, NamesRoundTrip) {
  for (const char *name : {"int2", "int3", "int4", "int8", "uint2", "uint4", "uint8",
                           "fp8_e4m3", "fp6_e3m2", "fp4_e2m1", "nf4", "lut<16>", "lut<2>"})
    EXPECT_EQ(parse(name).str(), name);
  EXPECT_EQ(parse("mxfp4").str(), "fp4_e2m1, mx = 32");
  EXPECT_EQ(parse("mxfp6_e3m2").str(), "fp6_e3m2, mx = 32");
  EXPECT_EQ(parse("mxfp8_e4m3").str(), "fp8_e4m3, mx = 32");
  EXPECT_EQ(parse("mxint8").str(), "int8, mx = 32");
}

TEST(NumberFormat, RejectsWhatIsNotAFormat) {
  for (const char *name : {"int1", "int9", "uint16", "int", "fp8", "lut<12>", "lut<512>",
                           "mxuint4", "mxnf4", "float"}) {
    std::string error;
    EXPECT_FALSE(NumberFormat::parse(name, &error).has_value()) << name;
    EXPECT_FALSE(error.empty()) << name;
  }
}

TEST(NumberFormat, CodeBitsAndPackedSizes) {
  EXPECT_EQ(parse("int3").getCodeBits(), 3u);
  EXPECT_EQ(parse("fp6_e3m2").getCodeBits(), 6u);
  EXPECT_EQ(parse("lut<16>").getCodeBits(), 4u);
  EXPECT_EQ(parse("int4").getPackedBytes(64), 32u);
  EXPECT_EQ(parse("int3").getPackedBytes(64), 24u);
  EXPECT_EQ(parse("int3").getPackedBytes(5), 2u); // 15 bits round up
  EXPECT_EQ(parse("fp6_e3m2").getPackedBytes(4), 3u);
}

TEST(NumberFormat, IntegerRanges) {
  EXPECT_EQ(parse("int4").getMinCode(), -8);
  EXPECT_EQ(parse("int4").getMaxCode(), 7);
  EXPECT_EQ(parse("int2").getMinCode(), -2);
  EXPECT_EQ(parse("uint3").getMaxCode(), 7);
  EXPECT_EQ(parse("int8").getMaxMagnitude(), 127.0f);
}

TEST(NumberFormat, IntegerEncodeRoundsHalfToEvenAndSaturates) {
  NumberFormat int4 = parse("int4");
  EXPECT_EQ(int4.decode(int4.encode(2.5f)), 2.0f);
  EXPECT_EQ(int4.decode(int4.encode(3.5f)), 4.0f);
  EXPECT_EQ(int4.decode(int4.encode(-2.5f)), -2.0f);
  EXPECT_EQ(int4.decode(int4.encode(-0.5f)), 0.0f);
  EXPECT_EQ(int4.decode(int4.encode(2.51f)), 3.0f);
  EXPECT_EQ(int4.decode(int4.encode(100.0f)), 7.0f);
  EXPECT_EQ(int4.decode(int4.encode(-100.0f)), -8.0f);
  EXPECT_EQ(int4.encode(-1.0f), 0xFu); // two's complement in a 4-bit field
  EXPECT_EQ(int4.encode(NAN), 0u);
  NumberFormat uint4 = parse("uint4");
  EXPECT_EQ(uint4.decode(uint4.encode(-3.0f)), 0.0f);
  EXPECT_EQ(uint4.decode(uint4.encode(15.5f)), 15.0f);
  // Every code of every integer width decodes to itself and back.
  for (const char *name : {"int2", "int3", "int4", "int8", "uint2", "uint5", "uint8"}) {
    NumberFormat format = parse(name);
    for (int32_t v = format.getMinCode(); v <= format.getMaxCode(); ++v)
      EXPECT_EQ(format.decode(format.encode(float(v))), float(v)) << name << " " << v;
  }
}

TEST(NumberFormat, Fp4E2M1TableIsTheOcpTable) {
  const float expected[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                              -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};
  llvm::ArrayRef<float> table = parse("fp4_e2m1").getDecodeTable();
  ASSERT_EQ(table.size(), 16u);
  for (unsigned code = 0; code < 16; ++code) {
    EXPECT_EQ(table[code], expected[code]) << code;
    EXPECT_EQ(std::signbit(table[code]), std::signbit(expected[code])) << code;
  }
}

TEST(NumberFormat, MiniFloatTablesMatchAPFloat) {
  for (const char *name : {"fp8_e4m3", "fp6_e3m2", "fp4_e2m1"}) {
    NumberFormat format = parse(name);
    const llvm::fltSemantics &semantics = semanticsOf(format.getKind());
    llvm::ArrayRef<float> table = format.getDecodeTable();
    ASSERT_EQ(table.size(), size_t(1) << format.getCodeBits()) << name;
    for (uint32_t code = 0; code < table.size(); ++code) {
      llvm::APFloat reference(semantics, llvm::APInt(format.getCodeBits(), code));
      float expected = reference.convertToFloat();
      if (std::isnan(expected))
        EXPECT_TRUE(std::isnan(table[code])) << name << " code " << code;
      else
        EXPECT_EQ(table[code], expected) << name << " code " << code;
    }
  }
  EXPECT_EQ(parse("fp8_e4m3").getMaxMagnitude(), 448.0f);
  EXPECT_EQ(parse("fp6_e3m2").getMaxMagnitude(), 28.0f);
}

TEST(NumberFormat, MiniFloatEncodeMatchesAPFloatRoundToNearestEven) {
  std::mt19937 rng(7);
  for (const char *name : {"fp8_e4m3", "fp6_e3m2", "fp4_e2m1"}) {
    NumberFormat format = parse(name);
    const llvm::fltSemantics &semantics = semanticsOf(format.getKind());
    float max = format.getMaxMagnitude();
    std::vector<float> values;
    std::uniform_real_distribution<float> uniform(-max, max);
    for (int i = 0; i < 20000; ++i)
      values.push_back(uniform(rng) * (i % 3 == 0 ? 1.0f : 1.0f / 64)); // include subnormals
    // Exact midpoints between neighbouring codes are where ties-to-even matters.
    llvm::ArrayRef<float> table = format.getDecodeTable();
    for (uint32_t code = 0; code + 1 < (1u << (format.getCodeBits() - 1)); ++code)
      if (!std::isnan(table[code + 1]))
        values.push_back((table[code] + table[code + 1]) / 2);
    for (float value : values) {
      llvm::APFloat reference(value);
      bool losesInfo = false;
      reference.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
      float expected = reference.convertToFloat();
      float actual = format.decode(format.encode(value));
      EXPECT_EQ(actual, expected) << name << " value " << value;
    }
  }
}

TEST(NumberFormat, MiniFloatEncodeSaturates) {
  NumberFormat fp8 = parse("fp8_e4m3");
  EXPECT_EQ(fp8.decode(fp8.encode(1e6f)), 448.0f);
  EXPECT_EQ(fp8.decode(fp8.encode(-1e6f)), -448.0f);
  EXPECT_EQ(fp8.decode(fp8.encode(INFINITY)), 448.0f);
  NumberFormat fp4 = parse("fp4_e2m1");
  EXPECT_EQ(fp4.decode(fp4.encode(7.0f)), 6.0f);
  EXPECT_EQ(fp4.decode(fp4.encode(5.0f)), 4.0f); // tie between 4 (even) and 6
  EXPECT_EQ(fp4.decode(fp4.encode(2.5f)), 2.0f); // tie between 2 (even) and 3
}

TEST(NumberFormat, NormalFloat4) {
  NumberFormat nf4 = parse("nf4");
  llvm::ArrayRef<float> table = nf4.getDecodeTable();
  ASSERT_EQ(table.size(), 16u);
  EXPECT_EQ(table.front(), -1.0f);
  EXPECT_EQ(table.back(), 1.0f);
  EXPECT_EQ(table[7], 0.0f);
  for (unsigned i = 1; i < 16; ++i)
    EXPECT_LT(table[i - 1], table[i]);
  // Nearest level, saturating at +-1.
  for (unsigned code = 0; code < 16; ++code)
    EXPECT_EQ(nf4.encode(table[code]), code);
  EXPECT_EQ(nf4.encode(2.0f), 15u);
  EXPECT_EQ(nf4.encode(0.03f), 7u);
  EXPECT_EQ(nf4.encode(0.05f), 8u);
}

TEST(NumberFormat, Microscaling) {
  NumberFormat mxfp4 = parse("mxfp4");
  EXPECT_TRUE(mxfp4.isMicroscaled());
  EXPECT_EQ(mxfp4.getScaleBlock(), 32u);
  EXPECT_FALSE(mxfp4.allowsZeroPoint());
  EXPECT_FALSE(NumberFormat::get(FormatKind::UnsignedInt, 4, 32).has_value());
  EXPECT_FALSE(NumberFormat::get(FormatKind::Float4E2M1, 4, 24).has_value());
  EXPECT_TRUE(NumberFormat::get(FormatKind::Float4E2M1, 4, 16).has_value());
  EXPECT_NE(*NumberFormat::get(FormatKind::Float4E2M1, 4, 16), mxfp4);
}

} // namespace
