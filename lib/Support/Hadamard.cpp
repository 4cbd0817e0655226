//===- Hadamard.cpp - Hadamard matrices and fast transforms ---------------===//

#include "qopt/Support/Hadamard.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace qopt;

namespace {

bool isPrime(int64_t q) {
  if (q < 2)
    return false;
  for (int64_t d = 2; d * d <= q; ++d)
    if (q % d == 0)
      return false;
  return true;
}

/// The quadratic character of x modulo the prime q: 0, 1 or -1.
int quadraticCharacter(int64_t x, int64_t q) {
  x = ((x % q) + q) % q;
  if (x == 0)
    return 0;
  // Euler's criterion: x^((q-1)/2) mod q.
  int64_t result = 1, base = x, exponent = (q - 1) / 2;
  while (exponent) {
    if (exponent & 1)
      result = result * base % q;
    base = base * base % q;
    exponent >>= 1;
  }
  return result == 1 ? 1 : -1;
}

enum class Construction { Sylvester, PaleyI, PaleyII, None };

Construction constructionFor(int64_t order) {
  if (order >= 1 && llvm::isPowerOf2_64(uint64_t(order)))
    return Construction::Sylvester;
  if (order % 4 != 0)
    return Construction::None;
  if (isPrime(order - 1) && (order - 1) % 4 == 3)
    return Construction::PaleyI;
  if (isPrime(order / 2 - 1) && (order / 2 - 1) % 4 == 1)
    return Construction::PaleyII;
  return Construction::None;
}

/// In-place x ← x · H (unnormalized) over the factors, on one row.
void transformRow(float *x, const HadamardFactors &factors, const std::vector<int8_t> &core, bool transpose,
                  std::vector<float> &scratch) {
  const int64_t p = factors.powerOfTwo, m = factors.order;
  // Walsh-Hadamard butterflies over b within each block a (H_2^k is
  // symmetric, so transposing changes nothing here).
  for (int64_t a = 0; a < m; ++a) {
    float *block = x + a * p;
    for (int64_t half = 1; half < p; half *= 2)
      for (int64_t start = 0; start < p; start += 2 * half)
        for (int64_t j = start; j < start + half; ++j) {
          float u = block[j], v = block[j + half];
          block[j] = u + v;
          block[j + half] = u - v;
        }
  }
  if (m == 1)
    return;
  // The dense H_m over a for each b.
  scratch.assign(size_t(m * p), 0.0f);
  for (int64_t a = 0; a < m; ++a)
    for (int64_t aOut = 0; aOut < m; ++aOut) {
      int8_t sign = transpose ? core[size_t(aOut * m + a)] : core[size_t(a * m + aOut)];
      float *out = scratch.data() + aOut * p;
      const float *in = x + a * p;
      if (sign > 0)
        for (int64_t b = 0; b < p; ++b)
          out[b] += in[b];
      else
        for (int64_t b = 0; b < p; ++b)
          out[b] -= in[b];
    }
  std::copy(scratch.begin(), scratch.end(), x);
}

void applyRows(float *rows, int64_t count, int64_t n, const HadamardFactors &factors, bool transpose) {
  std::vector<int8_t> core = factors.order > 1 ? buildHadamardMatrix(factors.order) : std::vector<int8_t>();
  const float scale = float(1.0 / std::sqrt(double(factors.size())));
  std::vector<float> scratch;
  for (int64_t r = 0; r < count; ++r) {
    float *row = rows + r * n;
    // Block-diagonal when the size is a divisor of n.
    for (int64_t offset = 0; offset < n; offset += factors.size()) {
      transformRow(row + offset, factors, core, transpose, scratch);
      for (int64_t i = 0; i < factors.size(); ++i)
        row[offset + i] *= scale;
    }
  }
}

} // namespace

std::optional<HadamardFactors> qopt::factorHadamard(int64_t n, int64_t maxOrder) {
  if (n < 1)
    return std::nullopt;
  // Smallest order first: the cheapest transform.
  for (int64_t powerOfTwo = int64_t(1) << llvm::countr_zero(uint64_t(n)); powerOfTwo >= 1; powerOfTwo /= 2) {
    int64_t order = n / powerOfTwo;
    if (order > maxOrder)
      break;
    if (order == 1 || (constructionFor(order) != Construction::None && !llvm::isPowerOf2_64(uint64_t(order))))
      return HadamardFactors{powerOfTwo, order};
  }
  return std::nullopt;
}

std::string qopt::explainNoHadamard(int64_t n, int64_t maxOrder) {
  if (n < 1)
    return "no Hadamard matrix of order " + std::to_string(n);
  int64_t odd = n >> llvm::countr_zero(uint64_t(n));
  return "no Hadamard matrix of order " + std::to_string(n) + " is constructed here: " + std::to_string(n) +
         " = 2^" + std::to_string(llvm::countr_zero(uint64_t(n))) + " * " + std::to_string(odd) +
         ", and no m = 2^j * " + std::to_string(odd) + " <= " + std::to_string(maxOrder) +
         " dividing it has a Paley construction (m - 1 a prime = 3 mod 4, or m/2 - 1 a prime = 1 mod 4)";
}

std::vector<int8_t> qopt::buildHadamardMatrix(int64_t order) {
  std::vector<int8_t> h;
  switch (constructionFor(order)) {
  case Construction::None:
    return h;
  case Construction::Sylvester:
    h.assign(size_t(order * order), 1);
    for (int64_t i = 0; i < order; ++i)
      for (int64_t j = 0; j < order; ++j)
        h[size_t(i * order + j)] = (llvm::popcount(uint64_t(i & j)) & 1) ? -1 : 1;
    return h;
  case Construction::PaleyI: {
    // H = I + S, S = [[0, 1ᵀ], [-1, Q]], Q the Jacobsthal matrix of q.
    int64_t q = order - 1;
    h.assign(size_t(order * order), 0);
    for (int64_t i = 0; i < order; ++i)
      for (int64_t j = 0; j < order; ++j) {
        int s;
        if (i == 0 && j == 0)
          s = 0;
        else if (i == 0)
          s = 1;
        else if (j == 0)
          s = -1;
        else
          s = quadraticCharacter(j - i, q);
        h[size_t(i * order + j)] = int8_t(s + (i == j ? 1 : 0));
      }
    return h;
  }
  case Construction::PaleyII: {
    // C = [[0, 1ᵀ], [1, Q]] (symmetric); H = C ⊗ [[1, -1], [-1, -1]] + I ⊗ [[1, 1], [1, -1]].
    int64_t q = order / 2 - 1, c = q + 1;
    h.assign(size_t(order * order), 0);
    for (int64_t i = 0; i < c; ++i)
      for (int64_t j = 0; j < c; ++j) {
        int entry = (i == 0 && j == 0) ? 0 : (i == 0 || j == 0) ? 1 : quadraticCharacter(j - i, q);
        for (int di = 0; di < 2; ++di)
          for (int dj = 0; dj < 2; ++dj) {
            int fromC = entry * ((di == 0 && dj == 0) ? 1 : -1);
            int fromI = (i == j) ? ((di == 1 && dj == 1) ? -1 : 1) : 0;
            h[size_t((2 * i + di) * order + 2 * j + dj)] = int8_t(fromC + fromI);
          }
      }
    return h;
  }
  }
  return h;
}

void qopt::applyHadamard(float *rows, int64_t count, int64_t n, const HadamardFactors &factors) {
  applyRows(rows, count, n, factors, /*transpose=*/false);
}

void qopt::applyHadamardTranspose(float *rows, int64_t count, int64_t n, const HadamardFactors &factors) {
  applyRows(rows, count, n, factors, /*transpose=*/true);
}
