//===- Codebook.cpp - Fitted code values for lookup-table formats ---------===//

#include "qopt/Quant/Codebook.h"

#include <algorithm>
#include <numeric>

using namespace qopt;

std::vector<float> qopt::fitCodebook(llvm::ArrayRef<float> values, llvm::ArrayRef<float> weights,
                                     unsigned levels, int maxIterations) {
  std::vector<float> codebook(levels, 0.0f);
  const size_t n = values.size();
  if (n == 0 || levels == 0)
    return codebook;
  // Sorted values with prefix sums of w and w v: a cluster is a contiguous
  // run of the sorted values, its centroid a difference of prefix sums.
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return values[a] < values[b]; });
  std::vector<double> sorted(n), weightSum(n + 1, 0.0), weightedSum(n + 1, 0.0);
  for (size_t i = 0; i < n; ++i) {
    sorted[i] = double(values[order[i]]);
    // A zero weight (a dead input) still counts a little, so every value
    // keeps a centroid near it when nothing else competes.
    double w = weights.empty() ? 1.0 : std::max(double(weights[order[i]]), 0.0) + 1e-12;
    weightSum[i + 1] = weightSum[i] + w;
    weightedSum[i + 1] = weightedSum[i] + w * sorted[i];
  }
  const double total = weightSum[n];

  // Initial centroids at the weighted quantiles (i + 1/2) / levels.
  std::vector<double> centroids(levels);
  for (unsigned c = 0; c < levels; ++c) {
    double target = (double(c) + 0.5) / double(levels) * total;
    size_t index = size_t(std::lower_bound(weightSum.begin() + 1, weightSum.end(), target) - weightSum.begin() - 1);
    centroids[c] = sorted[std::min(index, n - 1)];
  }

  std::vector<size_t> bounds(levels + 1);
  for (int iteration = 0; iteration < maxIterations; ++iteration) {
    // Cluster c holds the sorted values in [bounds[c], bounds[c + 1]): those
    // nearer to centroid c than to its neighbours.
    bounds[0] = 0;
    bounds[levels] = n;
    for (unsigned c = 1; c < levels; ++c) {
      double midpoint = 0.5 * (centroids[c - 1] + centroids[c]);
      bounds[c] = size_t(std::upper_bound(sorted.begin(), sorted.end(), midpoint) - sorted.begin());
      bounds[c] = std::max(bounds[c], bounds[c - 1]);
    }
    bool moved = false;
    for (unsigned c = 0; c < levels; ++c) {
      double mass = weightSum[bounds[c + 1]] - weightSum[bounds[c]];
      if (mass <= 0.0)
        continue; // an empty cluster keeps its centroid
      double centroid = (weightedSum[bounds[c + 1]] - weightedSum[bounds[c]]) / mass;
      moved |= centroid != centroids[c];
      centroids[c] = centroid;
    }
    std::sort(centroids.begin(), centroids.end());
    if (!moved)
      break;
  }
  for (unsigned c = 0; c < levels; ++c)
    codebook[c] = float(centroids[c]);
  return codebook;
}

uint32_t qopt::encodeNearest(llvm::ArrayRef<float> codebook, float value) {
  auto above = std::lower_bound(codebook.begin(), codebook.end(), value);
  if (above == codebook.begin())
    return 0;
  if (above == codebook.end())
    return uint32_t(codebook.size() - 1);
  auto below = above - 1;
  return uint32_t((value - *below <= *above - value ? below : above) - codebook.begin());
}
