//===- ScaleSearchTest.cpp - AWQ scale search against plain references ----===//

#include "qopt/Quant/ScaleSearch.h"

#include <gtest/gtest.h>

#include <random>

using namespace qopt;

namespace {

/// X [samples, channels] with one outlier channel, W [rows, channels].
struct Problem {
  int64_t samples = 256, channels = 64, rows = 16;
  std::vector<float> x, weight, hessian;

  explicit Problem(unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    x.resize(size_t(samples * channels));
    for (int64_t s = 0; s < samples; ++s)
      for (int64_t j = 0; j < channels; ++j)
        x[size_t(s * channels + j)] = normal(rng) * (j == 5 ? 40.0f : j % 7 == 0 ? 4.0f : 1.0f);
    weight.resize(size_t(rows * channels));
    for (float &w : weight)
      w = normal(rng);
    hessian.assign(size_t(channels * channels), 0.0f);
    for (int64_t s = 0; s < samples; ++s)
      for (int64_t i = 0; i < channels; ++i)
        for (int64_t j = 0; j < channels; ++j)
          hessian[size_t(i * channels + j)] += x[size_t(s * channels + i)] * x[size_t(s * channels + j)];
  }

  std::vector<float> channelMax() const {
    std::vector<float> result(size_t(channels), 0.0f);
    for (size_t i = 0; i < x.size(); ++i)
      result[i % size_t(channels)] = std::max(result[i % size_t(channels)], std::fabs(x[i]));
    return result;
  }

  /// ‖X ΔWᵀ‖² computed directly.
  double outputError(const std::vector<float> &delta) const {
    double error = 0.0;
    for (int64_t s = 0; s < samples; ++s)
      for (int64_t r = 0; r < rows; ++r) {
        double y = 0.0;
        for (int64_t j = 0; j < channels; ++j)
          y += double(x[size_t(s * channels + j)]) * delta[size_t(r * channels + j)];
        error += y * y;
      }
    return error;
  }
};

TEST(ScaleSearch, HessianWeightedErrorIsTheOutputError) {
  Problem problem(1);
  std::vector<float> delta(problem.weight);
  for (size_t i = 0; i < delta.size(); ++i)
    delta[i] *= 0.01f * float(i % 5);
  double direct = problem.outputError(delta);
  EXPECT_NEAR(hessianWeightedError(delta, problem.rows, problem.hessian, problem.channels), direct, 1e-3 * direct);
}

TEST(ScaleSearch, BeatsRtnOnOutlierChannels) {
  Problem problem(2);
  RtnOptions options;
  options.format = NumberFormat::signedInt(4);
  options.group = 32;
  std::vector<float> activation = problem.channelMax();
  llvm::Expected<ScaleSearchResult> result = searchActivationAwareScales(
      {ScaledLayer{problem.weight, problem.rows, problem.hessian}}, activation, options);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_GT(result->alpha, 0.0);
  EXPECT_LT(result->error, 0.9 * result->rtnError);
  // The reported error is the output error of the scaled, quantized weight.
  std::vector<float> scaled(problem.weight);
  for (size_t i = 0; i < scaled.size(); ++i)
    scaled[i] *= result->scales[i % size_t(problem.channels)];
  llvm::Expected<QuantizedMatrix> quantized = quantizeRtn(scaled, problem.rows, problem.channels, options);
  ASSERT_TRUE(bool(quantized));
  std::vector<float> delta = quantized->dequantize(options.format);
  for (size_t i = 0; i < delta.size(); ++i)
    delta[i] = delta[i] / result->scales[i % size_t(problem.channels)] - problem.weight[i];
  double direct = problem.outputError(delta);
  EXPECT_NEAR(result->error, direct, 1e-3 * direct);
  // The outlier channel is scaled up the most.
  EXPECT_EQ(std::max_element(result->scales.begin(), result->scales.end()) - result->scales.begin(), 5);
}

TEST(ScaleSearch, RejectsMismatchedShapes) {
  Problem problem(3);
  std::vector<float> activation(10, 1.0f);
  llvm::Expected<ScaleSearchResult> result = searchActivationAwareScales(
      {ScaledLayer{problem.weight, problem.rows, problem.hessian}}, activation, RtnOptions());
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError()).find("10 input channels"), std::string::npos);
}

} // namespace
