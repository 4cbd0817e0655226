//===- WeightQuantizationTest.cpp - RTN against direct formulas ------------===//

#include "qopt/Quant/WeightQuantization.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace qopt;

namespace {

std::vector<float> randomWeight(int64_t n, int64_t k, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> w(size_t(n * k));
  for (float &v : w)
    v = normal(rng);
  return w;
}

RtnOptions options(const char *format, int64_t group, bool symmetric = true, bool clip = false) {
  RtnOptions o;
  o.format = *NumberFormat::parse(format);
  o.group = group;
  o.symmetric = symmetric;
  o.clipSearch = clip;
  return o;
}

TEST(Rtn, SymmetricInt4ErrorIsAtMostHalfAStep) {
  const int64_t n = 8, k = 64;
  std::vector<float> w = randomWeight(n, k, 1);
  QuantizedMatrix q = cantFail(quantizeRtn(w, n, k, options("int4", 32)));
  std::vector<float> back = q.dequantize(*NumberFormat::parse("int4"));
  for (int64_t i = 0; i < n * k; ++i) {
    float scale = q.scales[size_t((i / k) * 2 + (i % k) / 32)];
    EXPECT_LE(std::fabs(back[size_t(i)] - w[size_t(i)]), 0.5f * scale * 1.0001f) << i;
  }
  // Each group's largest magnitude maps onto code +-7.
  for (int64_t r = 0; r < n; ++r)
    for (int64_t g = 0; g < 2; ++g) {
      float absmax = 0;
      for (int64_t c = g * 32; c < (g + 1) * 32; ++c)
        absmax = std::max(absmax, std::fabs(w[size_t(r * k + c)]));
      EXPECT_FLOAT_EQ(q.scales[size_t(r * 2 + g)], absmax / 7.0f);
    }
}

TEST(Rtn, AsymmetricUint4KeepsZeroExactAndCoversTheRange) {
  const int64_t n = 4, k = 32;
  std::vector<float> w = randomWeight(n, k, 2);
  for (float &v : w)
    v = std::fabs(v) + 0.5f; // all positive: the range still includes 0
  QuantizedMatrix q = cantFail(quantizeRtn(w, n, k, options("uint4", 0, false)));
  ASSERT_EQ(q.zeros.size(), size_t(n));
  for (int64_t r = 0; r < n; ++r) {
    EXPECT_EQ(q.zeros[size_t(r)], 0u); // min clamped at 0 -> zero point 0
    for (int64_t c = 0; c < k; ++c)
      EXPECT_LE(q.codes[size_t(r * k + c)], 15u);
  }
}

TEST(Rtn, TailGroupsAreShorter) {
  const int64_t n = 2, k = 72; // groups of 32: 32, 32, 8
  std::vector<float> w = randomWeight(n, k, 3);
  QuantizedMatrix q = cantFail(quantizeRtn(w, n, k, options("int8", 32)));
  EXPECT_EQ(q.scales.size(), size_t(n * 3));
  float absmax = 0;
  for (int64_t c = 64; c < 72; ++c)
    absmax = std::max(absmax, std::fabs(w[size_t(c)]));
  EXPECT_FLOAT_EQ(q.scales[2], absmax / 127.0f);
}

TEST(Rtn, ClipSearchNeverIncreasesTheError) {
  const int64_t n = 16, k = 64;
  std::vector<float> w = randomWeight(n, k, 4);
  w[5] = 12.0f; // an outlier widens its group's range
  NumberFormat int3 = *NumberFormat::parse("int3");
  auto error = [&](const QuantizedMatrix &q) {
    std::vector<float> back = q.dequantize(int3);
    double e = 0;
    for (size_t i = 0; i < w.size(); ++i)
      e += double(back[i] - w[i]) * double(back[i] - w[i]);
    return e;
  };
  double plain = error(cantFail(quantizeRtn(w, n, k, options("int3", 32))));
  double clipped = error(cantFail(quantizeRtn(w, n, k, options("int3", 32, true, true))));
  EXPECT_LE(clipped, plain);
  EXPECT_LT(clipped, 0.99 * plain);
}

TEST(Rtn, MicroscaledScalesArePowersOfTwo) {
  const int64_t n = 3, k = 64;
  std::vector<float> w = randomWeight(n, k, 5);
  QuantizedMatrix q = cantFail(quantizeRtn(w, n, k, options("mxfp4", 32)));
  ASSERT_EQ(q.exponents.size(), size_t(n * 2));
  for (size_t i = 0; i < q.scales.size(); ++i) {
    EXPECT_EQ(q.scales[i], std::ldexp(1.0f, int(q.exponents[i]) - 127));
    int e;
    EXPECT_EQ(std::frexp(q.scales[i], &e), 0.5f);
  }
}

/// True if quantizing fails (the error is consumed).
bool fails(llvm::Expected<QuantizedMatrix> result) {
  if (result)
    return false;
  llvm::consumeError(result.takeError());
  return true;
}

TEST(Rtn, RejectsWhatRtnCannotDo) {
  std::vector<float> w(64, 1.0f);
  EXPECT_TRUE(fails(quantizeRtn(w, 2, 32, options("lut<16>", 32, /*symmetric=*/false))));
  RtnOptions wrongImportance = options("lut<16>", 32);
  wrongImportance.columnImportance.assign(31, 1.0f);
  EXPECT_TRUE(fails(quantizeRtn(w, 2, 32, wrongImportance)));
  EXPECT_TRUE(fails(quantizeRtn(w, 2, 32, options("int4", 32, /*symmetric=*/false))));
  EXPECT_TRUE(fails(quantizeRtn(w, 2, 32, options("uint4", 32, /*symmetric=*/true))));
  EXPECT_TRUE(fails(quantizeRtn(w, 2, 32, options("mxfp4", 16))));
  EXPECT_TRUE(fails(quantizeRtn(w, 3, 32, options("int4", 32))));
}

} // namespace
