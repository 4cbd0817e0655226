//===- gptq_layer.cpp - time GPTQ on one large layer ----------------------===//
//
// bench-gptq [N K [group [format]]]: GPTQ- and RTN-quantizes a random
// [N, K] weight against the Hessian of 2048 correlated random inputs and
// prints one JSON object: seconds for each, and both Hessian-weighted
// errors (GPTQ's objective) relative to the weight's own energy.
//
//===----------------------------------------------------------------------===//

#include "qopt/Quant/Gptq.h"

#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

using namespace qopt;

namespace {

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

/// trace(D H D^T) with D = a - b, through one SGEMM.
double weightedError(const std::vector<float> &a, const std::vector<float> &b, int n, int k,
                     const std::vector<float> &h) {
  std::vector<float> d(a.size()), dh(a.size());
  for (size_t i = 0; i < a.size(); ++i)
    d[i] = a[i] - b[i];
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, k, 1.0f, d.data(), k, h.data(), k, 0.0f,
              dh.data(), k);
  double total = 0;
  for (size_t i = 0; i < d.size(); ++i)
    total += double(d[i]) * double(dh[i]);
  return total;
}

} // namespace

int main(int argc, char **argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 11008;
  const int k = argc > 2 ? std::atoi(argv[2]) : 4096;
  const int group = argc > 3 ? std::atoi(argv[3]) : 128;
  const std::string format = argc > 4 ? argv[4] : "int4";
  const int samples = 2048;
  std::mt19937 rng(0);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> weight(size_t(n) * size_t(k)), x(size_t(samples) * size_t(k));
  for (float &v : weight)
    v = normal(rng);
  // Inputs with a shared low-rank component and a few loud channels.
  std::vector<float> common(static_cast<size_t>(samples));
  for (float &v : common)
    v = normal(rng);
  for (int s = 0; s < samples; ++s)
    for (int c = 0; c < k; ++c)
      x[size_t(s) * k + c] = (normal(rng) + 0.5f * common[size_t(s)]) * (c % 61 == 0 ? 8.0f : 1.0f);
  std::vector<float> hessian(size_t(k) * size_t(k));
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, k, samples, 1.0f, x.data(), k, x.data(), k, 0.0f,
              hessian.data(), k);

  GptqOptions options;
  options.weights.format = *NumberFormat::parse(format);
  options.weights.group = group;
  auto start = std::chrono::steady_clock::now();
  llvm::Expected<QuantizedMatrix> gptq = quantizeGptq(weight, n, k, hessian, options);
  double gptqSeconds = seconds(start);
  if (!gptq) {
    std::fprintf(stderr, "bench-gptq: %s\n", llvm::toString(gptq.takeError()).c_str());
    return 1;
  }
  start = std::chrono::steady_clock::now();
  QuantizedMatrix rtn = llvm::cantFail(quantizeRtn(weight, n, k, options.weights));
  double rtnSeconds = seconds(start);
  std::vector<float> zero(weight.size(), 0.0f);
  double energy = weightedError(weight, zero, n, k, hessian);
  double gptqError = weightedError(weight, gptq->dequantize(options.weights.format), n, k, hessian) / energy;
  double rtnError = weightedError(weight, rtn.dequantize(options.weights.format), n, k, hessian) / energy;
  std::printf("{\"bench\": \"gptq_layer\", \"rows\": %d, \"columns\": %d, \"group\": %d, \"format\": \"%s\", "
              "\"threads\": %d, \"gptq_seconds\": %.3f, \"rtn_seconds\": %.3f, "
              "\"gptq_relative_output_error\": %.6g, \"rtn_relative_output_error\": %.6g}\n",
              n, k, group, format.c_str(), openblas_get_num_threads(), gptqSeconds, rtnSeconds, gptqError,
              rtnError);
  return 0;
}
