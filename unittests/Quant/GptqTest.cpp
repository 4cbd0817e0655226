//===- GptqTest.cpp - GPTQ against a direct reference and against RTN ----===//
//
// The reference is the Optimal Brain Quantization form GPTQ derives from:
// keep the inverse Hessian of the not-yet-quantized inputs, and after each
// column remove it from that inverse by one Gauss-Jordan step. No Cholesky,
// no lazy blocks, no BLAS: an independent route to the same weights.
//
//===----------------------------------------------------------------------===//

#include "qopt/Quant/Gptq.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace qopt;

namespace {

struct Problem {
  int64_t n, k;
  std::vector<float> weight, hessian;
};

/// A layer with correlated inputs (as real activations are) and a few
/// high-energy input channels, the case GPTQ is for.
Problem makeProblem(int64_t n, int64_t k, int64_t samples, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Problem p{n, k, std::vector<float>(size_t(n * k)), std::vector<float>(size_t(k * k), 0.0f)};
  for (float &v : p.weight)
    v = normal(rng);
  std::vector<float> mix(static_cast<size_t>(k * k));
  for (float &v : mix)
    v = normal(rng) / std::sqrt(float(k));
  std::vector<float> x(static_cast<size_t>(k)), z(static_cast<size_t>(k));
  for (int64_t s = 0; s < samples; ++s) {
    for (float &v : z)
      v = normal(rng);
    for (int64_t i = 0; i < k; ++i) {
      float acc = z[size_t(i)];
      for (int64_t j = 0; j < k; ++j)
        acc += mix[size_t(i * k + j)] * z[size_t(j)];
      x[size_t(i)] = acc * (i % 7 == 0 ? 4.0f : 1.0f);
    }
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j)
        p.hessian[size_t(i * k + j)] += x[size_t(i)] * x[size_t(j)];
  }
  return p;
}

GptqOptions gptqOptions(const char *format, int64_t group, bool symmetric = true) {
  GptqOptions o;
  o.weights.format = *NumberFormat::parse(format);
  o.weights.group = group;
  o.weights.symmetric = symmetric;
  return o;
}

/// Direct OBQ-form reference (double precision, natural order).
QuantizedMatrix referenceGptq(const Problem &p, const GptqOptions &options) {
  const int64_t n = p.n, k = p.k;
  const int64_t group = options.weights.group <= 0 ? k : options.weights.group;
  const NumberFormat &format = options.weights.format;
  // Dampened H, inverted by Gauss-Jordan.
  std::vector<double> h(p.hessian.begin(), p.hessian.end()), inv(size_t(k * k), 0.0);
  double mean = 0;
  for (int64_t i = 0; i < k; ++i)
    mean += h[size_t(i * k + i)] / double(k);
  for (int64_t i = 0; i < k; ++i) {
    h[size_t(i * k + i)] += options.dampening * mean;
    inv[size_t(i * k + i)] = 1.0;
  }
  for (int64_t c = 0; c < k; ++c) {
    double pivot = h[size_t(c * k + c)];
    for (int64_t j = 0; j < k; ++j) {
      h[size_t(c * k + j)] /= pivot;
      inv[size_t(c * k + j)] /= pivot;
    }
    for (int64_t r = 0; r < k; ++r)
      if (r != c) {
        double f = h[size_t(r * k + c)];
        for (int64_t j = 0; j < k; ++j) {
          h[size_t(r * k + j)] -= f * h[size_t(c * k + j)];
          inv[size_t(r * k + j)] -= f * inv[size_t(c * k + j)];
        }
      }
  }
  std::vector<double> w(p.weight.begin(), p.weight.end());
  QuantizedMatrix q = QuantizedMatrix::allocate(n, k, group, format, options.weights.symmetric);
  std::vector<GroupScale> scales(static_cast<size_t>(n));
  for (int64_t i = 0; i < k; ++i) {
    if (i % group == 0 || i == 0) {
      int64_t length = std::min(group, k - i);
      for (int64_t r = 0; r < n; ++r) {
        std::vector<float> values;
        // Per channel: the original weight; groups: the updated one.
        for (int64_t c = i; c < i + length; ++c)
          values.push_back(group == k ? p.weight[size_t(r * k + c)] : float(w[size_t(r * k + c)]));
        scales[size_t(r)] = chooseGroupScale(values, format, options.weights.symmetric, false);
        q.setScale(r, i / group, scales[size_t(r)]);
      }
    }
    double d = inv[size_t(i * k + i)];
    for (int64_t r = 0; r < n; ++r) {
      uint32_t code = scales[size_t(r)].encode(format, float(w[size_t(r * k + i)]));
      q.codes[size_t(r * k + i)] = uint8_t(code);
      double error = (w[size_t(r * k + i)] - double(scales[size_t(r)].decode(format, code))) / d;
      for (int64_t j = i + 1; j < k; ++j)
        w[size_t(r * k + j)] -= error * inv[size_t(i * k + j)];
    }
    // Remove input i from the inverse: one Gauss-Jordan elimination step.
    for (int64_t a = i + 1; a < k; ++a)
      for (int64_t b = i + 1; b < k; ++b)
        inv[size_t(a * k + b)] -= inv[size_t(a * k + i)] * inv[size_t(i * k + b)] / d;
  }
  return q;
}

double matchingFraction(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b) {
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i)
    same += a[i] == b[i];
  return double(same) / double(a.size());
}

TEST(Gptq, MatchesTheDirectReferencePerChannel) {
  Problem p = makeProblem(16, 48, 256, 1);
  GptqOptions options = gptqOptions("int4", 0);
  options.blockSize = 8; // several lazy blocks
  QuantizedMatrix fast = cantFail(quantizeGptq(p.weight, p.n, p.k, p.hessian, options));
  QuantizedMatrix reference = referenceGptq(p, options);
  EXPECT_EQ(fast.scales, reference.scales);
  // float vs double updates may flip a code sitting on a rounding boundary.
  EXPECT_GE(matchingFraction(fast.codes, reference.codes), 0.99);
}

TEST(Gptq, MatchesTheDirectReferenceWithGroups) {
  Problem p = makeProblem(8, 64, 256, 2);
  GptqOptions options = gptqOptions("int3", 16);
  options.blockSize = 32;
  QuantizedMatrix fast = cantFail(quantizeGptq(p.weight, p.n, p.k, p.hessian, options));
  QuantizedMatrix reference = referenceGptq(p, options);
  EXPECT_GE(matchingFraction(fast.codes, reference.codes), 0.99);
  for (size_t i = 0; i < fast.scales.size(); ++i)
    EXPECT_NEAR(fast.scales[i], reference.scales[i], 1e-3f * std::fabs(reference.scales[i]));
}

TEST(Gptq, LazyBlockSizeDoesNotChangeTheResult) {
  Problem p = makeProblem(12, 96, 200, 3);
  GptqOptions small = gptqOptions("int4", 32), whole = gptqOptions("int4", 32);
  small.blockSize = 32;
  whole.blockSize = 96;
  QuantizedMatrix a = cantFail(quantizeGptq(p.weight, p.n, p.k, p.hessian, small));
  QuantizedMatrix b = cantFail(quantizeGptq(p.weight, p.n, p.k, p.hessian, whole));
  EXPECT_GE(matchingFraction(a.codes, b.codes), 0.99);
}

/// GPTQ's objective is the Hessian-weighted error; it must beat RTN there
/// in every format.
class GptqBeatsRtn : public ::testing::TestWithParam<std::tuple<const char *, int64_t, bool, bool>> {};

TEST_P(GptqBeatsRtn, OnTheHessianWeightedError) {
  auto [format, group, symmetric, actOrder] = GetParam();
  Problem p = makeProblem(32, 128, 512, 4);
  GptqOptions options = gptqOptions(format, group, symmetric);
  options.actOrder = actOrder;
  NumberFormat parsed = options.weights.format;
  QuantizedMatrix gptq = cantFail(quantizeGptq(p.weight, p.n, p.k, p.hessian, options));
  QuantizedMatrix rtn = cantFail(quantizeRtn(p.weight, p.n, p.k, options.weights));
  double gptqError = hessianWeightedError(p.weight, gptq.dequantize(parsed), p.n, p.k, p.hessian);
  double rtnError = hessianWeightedError(p.weight, rtn.dequantize(parsed), p.n, p.k, p.hessian);
  EXPECT_LT(gptqError, 0.8 * rtnError) << format << " g" << group;
}

INSTANTIATE_TEST_SUITE_P(
    Formats, GptqBeatsRtn,
    ::testing::Values(std::make_tuple("int4", 0, true, false), std::make_tuple("int4", 32, true, false),
                      std::make_tuple("int4", 32, true, true), std::make_tuple("int3", 32, true, false),
                      std::make_tuple("uint2", 16, false, false), std::make_tuple("int8", 0, true, false),
                      std::make_tuple("uint4", 32, false, false), std::make_tuple("uint4", 40, false, true),
                      std::make_tuple("fp4_e2m1", 32, true, false), std::make_tuple("nf4", 64, true, false),
                      std::make_tuple("fp6_e3m2", 32, true, false), std::make_tuple("fp8_e4m3", 0, true, false),
                      std::make_tuple("mxfp4", 32, true, false)));

TEST(Gptq, ActOrderKeepsGroupsContiguous) {
  // With act-order the scale of group g still covers columns [g*G, (g+1)*G):
  // dequantizing with the stored scales reproduces GPTQ's own weights.
  Problem p = makeProblem(8, 64, 256, 5);
  GptqOptions options = gptqOptions("int4", 16);
  options.actOrder = true;
  NumberFormat int4 = options.weights.format;
  QuantizedMatrix q = cantFail(quantizeGptq(p.weight, p.n, p.k, p.hessian, options));
  QuantizedMatrix rtn = cantFail(quantizeRtn(p.weight, p.n, p.k, options.weights));
  EXPECT_EQ(q.scales, rtn.scales); // static groups: chosen from the original weight
  std::vector<float> back = q.dequantize(int4);
  for (size_t i = 0; i < back.size(); ++i)
    EXPECT_LE(std::fabs(back[i]), 8.0f * q.scales[(i / 64) * 4 + (i % 64) / 16] * 1.0001f);
}

TEST(Gptq, DeadInputsAreZeroedAndTheRestQuantized) {
  Problem p = makeProblem(4, 32, 128, 6);
  for (int64_t j = 0; j < p.k; ++j) { // input 5 never fires
    p.hessian[size_t(5 * p.k + j)] = 0;
    p.hessian[size_t(j * p.k + 5)] = 0;
  }
  QuantizedMatrix q = cantFail(quantizeGptq(p.weight, p.n, p.k, p.hessian, gptqOptions("int4", 0)));
  std::vector<float> back = q.dequantize(*NumberFormat::parse("int4"));
  for (int64_t r = 0; r < p.n; ++r)
    EXPECT_EQ(back[size_t(r * p.k + 5)], 0.0f);
}

TEST(Gptq, RejectsBadHessians) {
  Problem p = makeProblem(4, 16, 64, 7);
  std::vector<float> wrongSize(10, 0.0f);
  llvm::Expected<QuantizedMatrix> sized = quantizeGptq(p.weight, p.n, p.k, wrongSize, gptqOptions("int4", 0));
  ASSERT_FALSE(bool(sized));
  EXPECT_NE(llvm::toString(sized.takeError()).find("Hessian must be [16, 16]"), std::string::npos);
  std::vector<float> indefinite(size_t(p.k * p.k), 0.0f);
  for (int64_t i = 0; i < p.k; ++i)
    indefinite[size_t(i * p.k + i)] = i == 3 ? -100.0f : 1.0f;
  llvm::Expected<QuantizedMatrix> bad = quantizeGptq(p.weight, p.n, p.k, indefinite, gptqOptions("int4", 0));
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("not positive definite"), std::string::npos);
}

} // namespace
