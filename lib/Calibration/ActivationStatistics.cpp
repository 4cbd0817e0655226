//===- ActivationStatistics.cpp - Streaming statistics of a tensor --------===//

#include "qopt/Calibration/ActivationStatistics.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

using namespace qopt;

ActivationStatistics::ActivationStatistics(int64_t channels, bool withHessian)
    : channels(channels), channelAbsMax(size_t(channels), 0.0f), channelSum(size_t(channels), 0.0),
      histogram(kBins, 0) {
  if (withHessian)
    hessian.assign(size_t(channels * channels), 0.0f);
}

void ActivationStatistics::add(const float *data, int64_t count) {
  const size_t total = size_t(count * channels);
  float batchMax = 0.0f;
  for (int64_t r = 0; r < count; ++r)
    for (int64_t c = 0; c < channels; ++c) {
      float value = data[size_t(r * channels + c)], magnitude = std::fabs(value);
      channelSum[size_t(c)] += double(value);
      channelAbsMax[size_t(c)] = std::max(channelAbsMax[size_t(c)], magnitude);
      batchMax = std::max(batchMax, magnitude);
    }
  absMax = std::max(absMax, batchMax);
  // Grow the histogram's range by doublings until it holds the batch.
  if (histogramRange == 0.0f && batchMax > 0.0f)
    histogramRange = std::exp2(std::ceil(std::log2(batchMax)) + 1.0f);
  while (batchMax >= histogramRange && histogramRange > 0.0f) {
    for (int b = 0; b < kBins / 2; ++b)
      histogram[size_t(b)] = histogram[size_t(2 * b)] + histogram[size_t(2 * b + 1)];
    std::fill(histogram.begin() + kBins / 2, histogram.end(), 0);
    histogramRange *= 2.0f;
  }
  if (histogramRange > 0.0f) {
    const float binsPerUnit = float(kBins) / histogramRange;
    for (size_t i = 0; i < total; ++i) {
      int bin = int(std::fabs(data[i]) * binsPerUnit);
      ++histogram[size_t(std::min(bin, kBins - 1))];
    }
  } else {
    histogram[0] += total;
  }
  if (!hessian.empty())
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, int(channels), int(count), 1.0f, data,
                int(channels), 1.0f, hessian.data(), int(channels));
  rows += count;
}

std::vector<float> ActivationStatistics::getChannelMean() const {
  std::vector<float> mean(size_t(channels), 0.0f);
  if (rows > 0)
    for (int64_t c = 0; c < channels; ++c)
      mean[size_t(c)] = float(channelSum[size_t(c)] / double(rows));
  return mean;
}

float ActivationStatistics::getAbsQuantile(double fraction) const {
  uint64_t total = 0;
  for (uint64_t c : histogram)
    total += c;
  if (total == 0 || histogramRange == 0.0f)
    return absMax;
  const double target = fraction * double(total);
  uint64_t seen = 0;
  for (int b = 0; b < kBins; ++b) {
    seen += histogram[size_t(b)];
    if (double(seen) >= target)
      return std::min(absMax, histogramRange * float(b + 1) / float(kBins));
  }
  return absMax;
}

std::vector<float> ActivationStatistics::getHessian() const {
  std::vector<float> full(hessian);
  for (int64_t i = 0; i < channels; ++i)
    for (int64_t j = 0; j < i; ++j)
      full[size_t(i * channels + j)] = full[size_t(j * channels + i)];
  return full;
}
