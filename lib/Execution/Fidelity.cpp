//===- Fidelity.cpp - How far a quantized output is from the float one ----===//

#include "qopt/Execution/Fidelity.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace qopt;

void FidelityAccumulator::add(const float *reference, const float *test, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    double r = reference[i], d = double(reference[i]) - double(test[i]);
    signal += r * r;
    noise += d * d;
  }
  if (classes <= 1)
    return;
  for (size_t row = 0; row + size_t(classes) <= size; row += size_t(classes)) {
    const float *p = reference + row, *q = test + row;
    // log-softmax of both, stably.
    double pMax = *std::max_element(p, p + classes), qMax = *std::max_element(q, q + classes);
    double pSum = 0, qSum = 0;
    for (int64_t c = 0; c < classes; ++c) {
      pSum += std::exp(double(p[c]) - pMax);
      qSum += std::exp(double(q[c]) - qMax);
    }
    double pLog = pMax + std::log(pSum), qLog = qMax + std::log(qSum);
    double kld = 0;
    for (int64_t c = 0; c < classes; ++c) {
      double logP = double(p[c]) - pLog, logQ = double(q[c]) - qLog;
      kld += std::exp(logP) * (logP - logQ);
    }
    kldSum += std::max(kld, 0.0);
    agreements += (std::max_element(p, p + classes) - p) == (std::max_element(q, q + classes) - q);
    ++positions;
  }
}

double FidelityAccumulator::getSqnrDb() const {
  if (noise == 0.0)
    return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}
