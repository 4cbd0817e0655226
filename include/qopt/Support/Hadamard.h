//===- Hadamard.h - Hadamard matrices and fast transforms --------*- C++ -*-===//
//
// Rotation passes multiply activations by H_n / sqrt(n) (QuaRot): orthogonal,
// and fast to apply. H_n exists for n = 2^k · m when a Hadamard matrix of
// order m can be built: Sylvester's doubling for the power of two, Paley's
// constructions for m (I: m - 1 a prime ≡ 3 mod 4; II: m / 2 - 1 a prime
// ≡ 1 mod 4), and H_n = H_m ⊗ H_{2^k}. Applying it costs n·(log2 2^k + m)
// per row: a Walsh-Hadamard butterfly over the 2^k factor, a dense m × m
// product over the other.
//
// Index convention (shared by the host transform, the qopt.hadamard
// lowering and the folding into weights): element i = a·2^k + b, with a in
// [0, m) and b in [0, 2^k); (x H)[a', b'] = Σ x[a, b] · H_m[a, a'] · H_2^k[b, b'].
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_SUPPORT_HADAMARD_H
#define QOPT_SUPPORT_HADAMARD_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qopt {

/// n = powerOfTwo · order with a known Hadamard matrix of `order` (1 when n
/// is a power of two).
struct HadamardFactors {
  int64_t powerOfTwo = 1;
  int64_t order = 1;
  int64_t size() const { return powerOfTwo * order; }
};

constexpr int64_t kMaxHadamardOrder = 256;

/// The factorization of n with the smallest constructible order m ≤
/// `maxOrder` (the dense part of the transform costs m per element), or
/// std::nullopt when there is none.
std::optional<HadamardFactors> factorHadamard(int64_t n, int64_t maxOrder = kMaxHadamardOrder);

/// Why factorHadamard(n, maxOrder) fails, for diagnostics.
std::string explainNoHadamard(int64_t n, int64_t maxOrder = kMaxHadamardOrder);

/// The ±1 Hadamard matrix of `order` (row-major, order × order): Sylvester
/// for powers of two, Paley I or II otherwise. Empty if not constructible.
std::vector<int8_t> buildHadamardMatrix(int64_t order);

/// rows[r] ← rows[r] · H_n / sqrt(n) for `count` rows of length n, in place
/// (n must factor).
void applyHadamard(float *rows, int64_t count, int64_t n, const HadamardFactors &factors);

/// rows[r] ← rows[r] · Hᵀ / sqrt(n): the inverse rotation.
void applyHadamardTranspose(float *rows, int64_t count, int64_t n, const HadamardFactors &factors);

} // namespace qopt

#endif // QOPT_SUPPORT_HADAMARD_H
