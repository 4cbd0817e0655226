//===- Fidelity.h - How far a quantized output is from the float one -*- C++ -*-===//
//
// Streaming comparison of a test tensor against its reference, sample by
// sample:
//   - SQNR in dB: 10 log10(sum ref^2 / sum (ref - test)^2) over everything;
//   - for distributions along the last axis (logits): the KL divergence
//     KL(softmax(ref) || softmax(test)) averaged over positions, and top-1
//     agreement (argmax equal) as a fraction of positions.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_EXECUTION_FIDELITY_H
#define QOPT_EXECUTION_FIDELITY_H

#include <cstddef>
#include <cstdint>

namespace qopt {

class FidelityAccumulator {
public:
  /// `classes`: the length of the last axis (positions = size / classes).
  explicit FidelityAccumulator(int64_t classes) : classes(classes) {}

  void add(const float *reference, const float *test, size_t size);

  double getSqnrDb() const;
  double getMeanKld() const { return positions ? kldSum / double(positions) : 0.0; }
  double getTop1Agreement() const { return positions ? double(agreements) / double(positions) : 1.0; }
  int64_t getPositions() const { return positions; }
  /// Whether KLD and top-1 mean anything (a last axis longer than 1).
  bool isDistribution() const { return classes > 1; }

private:
  int64_t classes;
  double signal = 0.0, noise = 0.0, kldSum = 0.0;
  int64_t positions = 0, agreements = 0;
};

} // namespace qopt

#endif // QOPT_EXECUTION_FIDELITY_H
