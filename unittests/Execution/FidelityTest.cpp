//===- FidelityTest.cpp - fidelity metrics against direct formulas --------===//

#include "qopt/Execution/Fidelity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace qopt;

namespace {

TEST(Fidelity, KldAndTop1MatchDirectFormulas) {
  // Two positions of three classes.
  std::vector<float> p = {1.0f, 2.0f, 3.0f, 0.5f, 0.0f, -1.0f};
  std::vector<float> q = {1.1f, 2.5f, 2.4f, 0.5f, 0.1f, -1.0f};
  FidelityAccumulator fidelity(3);
  fidelity.add(p.data(), q.data(), p.size());
  double expected = 0;
  for (int row = 0; row < 2; ++row) {
    double zp = 0, zq = 0;
    for (int c = 0; c < 3; ++c) {
      zp += std::exp(double(p[size_t(row * 3 + c)]));
      zq += std::exp(double(q[size_t(row * 3 + c)]));
    }
    for (int c = 0; c < 3; ++c) {
      double pc = std::exp(double(p[size_t(row * 3 + c)])) / zp, qc = std::exp(double(q[size_t(row * 3 + c)])) / zq;
      expected += pc * std::log(pc / qc) / 2.0;
    }
  }
  EXPECT_NEAR(fidelity.getMeanKld(), expected, 1e-12);
  EXPECT_DOUBLE_EQ(fidelity.getTop1Agreement(), 0.5); // argmax 2 vs 1, then 0 vs 0
  EXPECT_EQ(fidelity.getPositions(), 2);
}

TEST(Fidelity, SqnrAccumulatesOverSamples) {
  std::vector<float> a = {3.0f, 4.0f}, b = {3.0f, 3.0f}, c = {0.0f, 1.0f}, d = {0.0f, 1.0f};
  FidelityAccumulator fidelity(1);
  fidelity.add(a.data(), b.data(), 2); // signal 25, noise 1
  fidelity.add(c.data(), d.data(), 2); // signal 1, noise 0
  EXPECT_NEAR(fidelity.getSqnrDb(), 10.0 * std::log10(26.0), 1e-12);
  EXPECT_FALSE(fidelity.isDistribution());
}

TEST(Fidelity, IdenticalOutputsHaveNoDivergence) {
  std::vector<float> p = {100.0f, -50.0f, 3.0f, 2.0f};
  FidelityAccumulator fidelity(2);
  fidelity.add(p.data(), p.data(), p.size());
  EXPECT_EQ(fidelity.getMeanKld(), 0.0);
  EXPECT_EQ(fidelity.getTop1Agreement(), 1.0);
  EXPECT_TRUE(std::isinf(fidelity.getSqnrDb()));
}

} // namespace
