//===- HadamardTest.cpp - Hadamard constructions and the fast transform ---===//

#include "qopt/Support/Hadamard.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace qopt;

namespace {

/// H Hᵀ = order · I for a ±1 matrix.
void expectHadamard(const std::vector<int8_t> &h, int64_t order) {
  ASSERT_EQ(h.size(), size_t(order * order)) << "order " << order;
  for (int8_t v : h)
    ASSERT_TRUE(v == 1 || v == -1) << "order " << order;
  for (int64_t i = 0; i < order; ++i)
    for (int64_t j = 0; j < order; ++j) {
      int64_t dot = 0;
      for (int64_t k = 0; k < order; ++k)
        dot += h[size_t(i * order + k)] * h[size_t(j * order + k)];
      ASSERT_EQ(dot, i == j ? order : 0) << "order " << order << " rows " << i << ", " << j;
    }
}

TEST(Hadamard, ConstructionsAreHadamard) {
  // Sylvester, Paley I (q = 11, 19, 43, 59), Paley II (q = 5, 13, 17, 29).
  for (int64_t order : {1, 2, 4, 64, 12, 20, 44, 60, 28, 36})
    expectHadamard(buildHadamardMatrix(order), order);
  EXPECT_TRUE(buildHadamardMatrix(172).empty()); // 171 and 85 are not prime
  EXPECT_TRUE(buildHadamardMatrix(6).empty());
}

TEST(Hadamard, Factorizations) {
  auto expect = [](int64_t n, int64_t powerOfTwo, int64_t order) {
    std::optional<HadamardFactors> f = factorHadamard(n);
    ASSERT_TRUE(f) << n;
    EXPECT_EQ(f->powerOfTwo, powerOfTwo) << n;
    EXPECT_EQ(f->order, order) << n;
  };
  expect(4096, 4096, 1);
  expect(768, 64, 12);   // BERT-base: 12 · 64
  expect(5120, 256, 20); // 20 · 256
  expect(1536, 128, 12);
  EXPECT_FALSE(factorHadamard(172)); // stories260K's hidden size, 4 · 43
  // 11008 = 2^8 · 43: QuaRot uses H_172 (Williamson), not built here; Paley I
  // gives H_5504 (5503 is a prime = 3 mod 4), too large a dense part online.
  EXPECT_FALSE(factorHadamard(11008));
  std::optional<HadamardFactors> large = factorHadamard(11008, 8192);
  ASSERT_TRUE(large);
  EXPECT_EQ(large->order, 5504);
  EXPECT_FALSE(factorHadamard(6));
  EXPECT_NE(explainNoHadamard(172).find("172 = 2^2 * 43"), std::string::npos) << explainNoHadamard(172);
}

/// The fast transform equals the dense product with H_m ⊗ H_2^k / sqrt(n).
TEST(Hadamard, FastTransformMatchesDenseProduct) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (int64_t n : {2, 8, 64, 12, 24, 48, 20, 80, 28}) {
    std::optional<HadamardFactors> f = factorHadamard(n);
    ASSERT_TRUE(f) << n;
    std::vector<int8_t> core = buildHadamardMatrix(f->order), power = buildHadamardMatrix(f->powerOfTwo);
    const int64_t rows = 3;
    std::vector<float> x(size_t(rows * n));
    for (float &v : x)
      v = normal(rng);
    for (bool transpose : {false, true}) {
      std::vector<float> fast(x);
      if (transpose)
        applyHadamardTranspose(fast.data(), rows, n, *f);
      else
        applyHadamard(fast.data(), rows, n, *f);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t out = 0; out < n; ++out) {
          double sum = 0.0;
          for (int64_t in = 0; in < n; ++in) {
            int64_t i = transpose ? out : in, j = transpose ? in : out; // H[i, j]
            int entry = core[size_t((i / f->powerOfTwo) * f->order + j / f->powerOfTwo)] *
                        power[size_t((i % f->powerOfTwo) * f->powerOfTwo + j % f->powerOfTwo)];
            sum += double(x[size_t(r * n + in)]) * entry;
          }
          EXPECT_NEAR(fast[size_t(r * n + out)], sum / std::sqrt(double(n)), 1e-4) << "n " << n << " out " << out;
        }
      // Orthogonal: the norm is kept, and the transpose undoes the rotation.
      std::vector<float> back(fast);
      if (transpose)
        applyHadamard(back.data(), rows, n, *f);
      else
        applyHadamardTranspose(back.data(), rows, n, *f);
      for (size_t i = 0; i < x.size(); ++i)
        EXPECT_NEAR(back[i], x[i], 1e-5) << "n " << n;
    }
  }
}

/// A block size that divides the row rotates each block on its own.
TEST(Hadamard, BlockDiagonal) {
  HadamardFactors four{4, 1};
  std::vector<float> x = {1, 0, 0, 0, 0, 2, 0, 0};
  applyHadamard(x.data(), 1, 8, four);
  std::vector<float> expected = {0.5, 0.5, 0.5, 0.5, 1, -1, 1, -1};
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_FLOAT_EQ(x[i], expected[i]);
}

} // namespace
