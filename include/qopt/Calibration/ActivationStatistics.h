//===- ActivationStatistics.h - Streaming statistics of a tensor -*- C++ -*-===//
//
// What calibration keeps of the rows (tokens, pixels) flowing into a layer,
// updated one batch at a time in memory independent of how many rows pass:
// absolute maximum overall and per channel, the mean per channel, a histogram of |x| (2048 bins
// over a range that doubles, merging bin pairs, when a larger value
// arrives) for percentiles, and the input Hessian H = sum x^T x (SYRK)
// that GPTQ needs.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CALIBRATION_ACTIVATIONSTATISTICS_H
#define QOPT_CALIBRATION_ACTIVATIONSTATISTICS_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace qopt {

class ActivationStatistics {
public:
  static constexpr int kBins = 2048;

  ActivationStatistics(int64_t channels, bool withHessian);

  /// Adds `rows` rows of `channels` values each (row major).
  void add(const float *data, int64_t rows);

  int64_t getChannels() const { return channels; }
  int64_t getRows() const { return rows; }
  float getAbsMax() const { return absMax; }
  llvm::ArrayRef<float> getChannelAbsMax() const { return channelAbsMax; }
  /// The mean of each channel over the rows seen (bias correction).
  std::vector<float> getChannelMean() const;
  /// The `fraction` quantile (e.g. 0.9999) of |x|, from the histogram: the
  /// upper edge of the bin where the count reaches it, capped at the max.
  float getAbsQuantile(double fraction) const;
  bool hasHessian() const { return !hessian.empty(); }
  /// sum over rows of x^T x, [channels, channels], both triangles filled.
  std::vector<float> getHessian() const;

private:
  int64_t channels;
  int64_t rows = 0;
  float absMax = 0.0f;
  std::vector<float> channelAbsMax;
  std::vector<double> channelSum;
  float histogramRange = 0.0f; // bins cover [0, range)
  std::vector<uint64_t> histogram;
  std::vector<float> hessian; // upper triangle accumulated
};

} // namespace qopt

#endif // QOPT_CALIBRATION_ACTIVATIONSTATISTICS_H
