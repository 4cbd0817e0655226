//===- ScaleSearch.cpp - AWQ's activation-aware scale search --------------===//

#include "qopt/Quant/ScaleSearch.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace qopt;

double qopt::hessianWeightedError(llvm::ArrayRef<float> delta, int64_t rows, llvm::ArrayRef<float> hessian,
                                  int64_t channels) {
  // E = ΔW H, then Σ E ⊙ ΔW.
  std::vector<float> product(size_t(rows * channels));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(rows), int(channels), int(channels), 1.0f,
              delta.data(), int(channels), hessian.data(), int(channels), 0.0f, product.data(), int(channels));
  double error = 0.0;
  for (size_t i = 0; i < product.size(); ++i)
    error += double(product[i]) * double(delta[i]);
  return error;
}

namespace {

/// s_j = a_j^α / sqrt(max · min) over the live channels (dead ones keep 1).
std::vector<float> scalesFor(llvm::ArrayRef<float> activation, double alpha) {
  std::vector<float> scales(activation.size(), 1.0f);
  double largest = 0.0, smallest = std::numeric_limits<double>::infinity();
  for (size_t j = 0; j < activation.size(); ++j) {
    if (!(activation[j] > 0.0f))
      continue;
    double s = std::max(std::pow(double(activation[j]), alpha), 1e-4);
    scales[j] = float(s);
    largest = std::max(largest, s);
    smallest = std::min(smallest, s);
  }
  if (largest > 0.0) {
    double norm = std::sqrt(largest * smallest);
    for (size_t j = 0; j < activation.size(); ++j)
      if (activation[j] > 0.0f)
        scales[j] = float(scales[j] / norm);
  }
  return scales;
}

} // namespace

llvm::Expected<ScaleSearchResult> qopt::searchActivationAwareScales(llvm::ArrayRef<ScaledLayer> layers,
                                                                    llvm::ArrayRef<float> activation,
                                                                    const RtnOptions &options, int gridPoints) {
  const int64_t channels = int64_t(activation.size());
  for (const ScaledLayer &layer : layers)
    if (int64_t(layer.weight.size()) != layer.rows * channels ||
        int64_t(layer.hessian.size()) != channels * channels)
      return llvm::createStringError("scale search: a layer's weight or Hessian does not match " +
                                     std::to_string(channels) + " input channels");
  if (gridPoints < 2)
    return llvm::createStringError("scale search: the grid needs at least two points");
  ScaleSearchResult best;
  best.error = std::numeric_limits<double>::infinity();
  for (int point = 0; point < gridPoints; ++point) {
    double alpha = double(point) / double(gridPoints - 1);
    std::vector<float> scales = scalesFor(activation, alpha);
    double error = 0.0;
    for (const ScaledLayer &layer : layers) {
      std::vector<float> scaled(layer.weight.begin(), layer.weight.end());
      for (size_t i = 0; i < scaled.size(); ++i)
        scaled[i] *= scales[i % size_t(channels)];
      llvm::Expected<QuantizedMatrix> quantized = quantizeRtn(scaled, layer.rows, channels, options);
      if (!quantized)
        return quantized.takeError();
      std::vector<float> delta = quantized->dequantize(options.format);
      for (size_t i = 0; i < delta.size(); ++i)
        delta[i] = delta[i] / scales[i % size_t(channels)] - layer.weight[i];
      error += hessianWeightedError(delta, layer.rows, layer.hessian, channels);
    }
    if (point == 0)
      best.rtnError = error;
    if (error < best.error) {
      best.error = error;
      best.alpha = alpha;
      best.scales = std::move(scales);
    }
  }
  return best;
}
