//===- CodebookTest.cpp - Fitted lookup tables against plain references ---===//

#include "qopt/Quant/Codebook.h"
#include "qopt/Quant/WeightQuantization.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace qopt;

namespace {

std::vector<float> normalValues(size_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(count);
  for (float &v : values)
    v = normal(rng);
  return values;
}

/// sum w (v - nearest entry)^2, the nearest entry found by a linear scan.
double weightedError(const std::vector<float> &values, const std::vector<float> &weights,
                     const std::vector<float> &codebook) {
  double error = 0.0;
  for (size_t i = 0; i < values.size(); ++i) {
    double best = INFINITY;
    for (float c : codebook)
      best = std::min(best, double(values[i] - c) * double(values[i] - c));
    error += (weights.empty() ? 1.0 : double(weights[i])) * best;
  }
  return error;
}

TEST(Codebook, RecoversDistinctClustersExactly) {
  std::vector<float> values;
  for (int repeat = 0; repeat < 5; ++repeat)
    for (float v : {-3.0f, -1.0f, 0.5f, 2.0f})
      values.push_back(v);
  std::vector<float> codebook = fitCodebook(values, {}, 4);
  EXPECT_EQ(codebook, (std::vector<float>{-3.0f, -1.0f, 0.5f, 2.0f}));
  EXPECT_EQ(weightedError(values, {}, codebook), 0.0);
}

TEST(Codebook, IsAStationaryPointAndBeatsAUniformGrid) {
  std::vector<float> values = normalValues(4000, 3), weights(values.size());
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> uniform(0.1f, 2.0f);
  for (float &w : weights)
    w = uniform(rng);
  std::vector<float> codebook = fitCodebook(values, weights, 16);
  ASSERT_TRUE(std::is_sorted(codebook.begin(), codebook.end()));
  // Lloyd's fixed point: every entry is the weighted mean of the values nearest to it.
  std::vector<double> mass(16, 0.0), sum(16, 0.0);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t code = encodeNearest(codebook, values[i]);
    mass[code] += weights[i];
    sum[code] += double(weights[i]) * values[i];
  }
  for (int c = 0; c < 16; ++c)
    if (mass[c] > 0)
      EXPECT_NEAR(codebook[c], sum[c] / mass[c], 1e-4) << "entry " << c;
  // 16 evenly spaced levels over the same range do worse on normal values.
  float lo = *std::min_element(values.begin(), values.end());
  float hi = *std::max_element(values.begin(), values.end());
  std::vector<float> grid;
  for (int c = 0; c < 16; ++c)
    grid.push_back(lo + (hi - lo) * float(c) / 15.0f);
  EXPECT_LT(weightedError(values, weights, codebook), 0.6 * weightedError(values, weights, grid));
}

TEST(Codebook, ImportanceDrawsEntriesToHeavyValues) {
  // Two levels for {0, 1, 10}: unweighted, 0 and 1 share one; with 10
  // nearly weightless, 0 and 1 each get theirs.
  std::vector<float> values{0.0f, 1.0f, 10.0f};
  EXPECT_EQ(fitCodebook(values, {}, 2), (std::vector<float>{0.5f, 10.0f}));
  std::vector<float> codebook = fitCodebook(values, {1.0f, 1.0f, 1e-6f}, 2);
  EXPECT_EQ(encodeNearest(codebook, 0.0f) == encodeNearest(codebook, 1.0f), false);
}

TEST(Codebook, EncodesToTheNearestEntry) {
  std::vector<float> codebook{-1.0f, 0.0f, 2.0f};
  EXPECT_EQ(encodeNearest(codebook, -5.0f), 0u);
  EXPECT_EQ(encodeNearest(codebook, -0.5f), 0u); // a tie goes to the lower entry
  EXPECT_EQ(encodeNearest(codebook, 0.9f), 1u);
  EXPECT_EQ(encodeNearest(codebook, 1.1f), 2u);
  EXPECT_EQ(encodeNearest(codebook, 7.0f), 2u);
}

/// Squared error of quantizing an [8, 256] normal weight in `format` / `group`.
double quantizationError(const char *format, int64_t group) {
  const int64_t n = 8, k = 256;
  std::vector<float> w = normalValues(size_t(n * k), 5);
  RtnOptions options;
  options.format = *NumberFormat::parse(format);
  options.group = group;
  QuantizedMatrix q = cantFail(quantizeRtn(w, n, k, options));
  std::vector<float> back = q.dequantize(options.format);
  double error = 0.0;
  for (size_t i = 0; i < w.size(); ++i)
    error += double(w[i] - back[i]) * double(w[i] - back[i]);
  return error;
}

TEST(Codebook, LookupTablesBeatUniformCodesAtTheSameBits) {
  // Per channel: a codebook per row, scale 1.
  EXPECT_LT(quantizationError("lut<16>", 0), 0.9 * quantizationError("int4", 0));
  // Grouped: one codebook over the normalized values.
  EXPECT_LT(quantizationError("lut<16>", 32), quantizationError("int4", 32));
  EXPECT_LT(quantizationError("lut<8>", 32), quantizationError("int3", 32));
}

TEST(Codebook, QuantizedMatrixCarriesItsCodebooks) {
  std::vector<float> w = normalValues(4 * 64, 6);
  RtnOptions options;
  options.format = *NumberFormat::parse("lut<4>");
  options.group = 0;
  QuantizedMatrix perChannel = cantFail(quantizeRtn(w, 4, 64, options));
  EXPECT_EQ(perChannel.codebookRows, 4);
  EXPECT_EQ(perChannel.codebooks.size(), 16u);
  for (float scale : perChannel.scales)
    EXPECT_EQ(scale, 1.0f);
  // Every dequantized value is its row's codebook entry.
  std::vector<float> back = perChannel.dequantize(options.format);
  EXPECT_EQ(back[64 + 3], perChannel.codebooks[4 + perChannel.codes[64 + 3]]);
  options.group = 16;
  QuantizedMatrix grouped = cantFail(quantizeRtn(w, 4, 64, options));
  EXPECT_EQ(grouped.codebookRows, 1);
  EXPECT_EQ(grouped.codebooks.size(), 4u);
  EXPECT_LE(*std::max_element(grouped.codebooks.begin(), grouped.codebooks.end()), 1.0f);
}

} // namespace
