//===- BitAllocationTest.cpp - The allocation ILP against brute force -----===//

#include "qopt/Quant/BitAllocation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

using namespace qopt;

namespace {

/// The best allocation by enumerating every combination (within the
/// latency budget too when one is given).
double bruteForce(const std::vector<AllocationItem> &items, double budget,
                  double latencyBudget = std::numeric_limits<double>::infinity()) {
  double best = std::numeric_limits<double>::infinity();
  std::vector<size_t> choice(items.size(), 0);
  while (true) {
    double loss = 0, bits = 0, latency = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      loss += items[i].losses[choice[i]], bits += items[i].bits[choice[i]];
      if (!items[i].latencies.empty())
        latency += items[i].latencies[choice[i]];
    }
    if (bits <= budget && latency <= latencyBudget)
      best = std::min(best, loss);
    size_t i = 0;
    while (i < items.size() && ++choice[i] == items[i].losses.size())
      choice[i++] = 0;
    if (i == items.size())
      return best;
  }
}

TEST(BitAllocationTest, MatchesBruteForceOnRandomPrograms) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int trial = 0; trial < 40; ++trial) {
    // Layers of different sizes; options of 2..8 bits whose loss falls
    // with the bits (like quantization error), plus noise.
    std::vector<AllocationItem> items;
    double smallest = 0, largest = 0;
    for (int layer = 0; layer < 6; ++layer) {
      AllocationItem item{"layer" + std::to_string(layer), {}, {}};
      double params = 1000.0 * (1 + layer % 3), weight = 0.1 + unit(rng);
      for (int bits : {2, 3, 4, 8}) {
        item.bits.push_back(params * bits);
        item.losses.push_back(weight * std::pow(4.0, -bits) * (0.5 + unit(rng)));
      }
      smallest += item.bits.front(), largest += item.bits.back();
      items.push_back(item);
    }
    double budget = smallest + (largest - smallest) * unit(rng);
    llvm::Expected<AllocationResult> result = allocateBits(items, budget);
    ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
    EXPECT_TRUE(result->optimal);
    EXPECT_LE(result->bits, budget * (1 + 1e-9));
    EXPECT_NEAR(result->loss, bruteForce(items, budget), 1e-12 + 1e-9 * result->loss);
    EXPECT_LE(result->lowerBound, result->loss * (1 + 1e-9));
  }
}

TEST(BitAllocationTest, MatchesBruteForceUnderSizeAndLatencyBudgets) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int solved = 0;
  for (int trial = 0; trial < 40; ++trial) {
    // Latency not monotonic in bits (a 3-bit kernel slower than a 4-bit one).
    std::vector<AllocationItem> items;
    double smallest = 0, largest = 0, fastest = 0, slowest = 0;
    for (int layer = 0; layer < 6; ++layer) {
      AllocationItem item{"layer" + std::to_string(layer), {}, {}, {}};
      double params = 1000.0 * (1 + layer % 3);
      for (int bits : {2, 3, 4, 8}) {
        item.bits.push_back(params * bits);
        item.losses.push_back(std::pow(4.0, -bits) * (0.5 + unit(rng)));
        item.latencies.push_back(params * (1.0 + 2.0 * unit(rng)) * 1e-6);
      }
      smallest += item.bits.front(), largest += item.bits.back();
      fastest += *std::min_element(item.latencies.begin(), item.latencies.end());
      slowest += *std::max_element(item.latencies.begin(), item.latencies.end());
      items.push_back(item);
    }
    double budget = smallest + (largest - smallest) * unit(rng);
    double latencyBudget = fastest + (slowest - fastest) * unit(rng);
    double best = bruteForce(items, budget, latencyBudget);
    llvm::Expected<AllocationResult> result = allocateBits(items, budget, 60.0, latencyBudget);
    if (!std::isfinite(best)) { // no allocation meets both budgets
      ASSERT_FALSE(bool(result));
      EXPECT_NE(llvm::toString(result.takeError()).find("at once"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
    ++solved;
    EXPECT_TRUE(result->optimal);
    EXPECT_LE(result->bits, budget * (1 + 1e-9));
    EXPECT_LE(result->latency, latencyBudget * (1 + 1e-9));
    EXPECT_NEAR(result->loss, best, 1e-12 + 1e-9 * result->loss);
  }
  EXPECT_GT(solved, 20);
  // Only a latency budget: the size row is free.
  std::vector<AllocationItem> items = {{"a", {1.0, 0.1}, {2, 8}, {1.0, 3.0}}, {"b", {1.0, 0.2}, {2, 8}, {1.0, 3.0}}};
  llvm::Expected<AllocationResult> result =
      allocateBits(items, std::numeric_limits<double>::infinity(), 60.0, 4.0);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->choices, (std::vector<size_t>{1, 0})); // the slow, accurate option where it helps more
  EXPECT_DOUBLE_EQ(result->latency, 4.0);
  result = allocateBits(items, std::numeric_limits<double>::infinity(), 60.0, 1.5);
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError()).find("the fastest options take"), std::string::npos);
}

TEST(BitAllocationTest, GenerousBudgetTakesTheBestOptions) {
  std::vector<AllocationItem> items = {{"a", {3.0, 1.0, 0.5}, {2, 4, 8}}, {"b", {2.0, 0.1, 0.2}, {2, 4, 8}}};
  llvm::Expected<AllocationResult> result = allocateBits(items, 100);
  ASSERT_TRUE(bool(result));
  EXPECT_EQ(result->choices, (std::vector<size_t>{2, 1}));
  EXPECT_DOUBLE_EQ(result->loss, 0.6);
  EXPECT_NE(result->solver.find("GLPK"), std::string::npos);
}

TEST(BitAllocationTest, InfeasibleBudgetSaysWhatWouldFit) {
  std::vector<AllocationItem> items = {{"a", {1.0, 0.5}, {20, 40}}, {"b", {1.0, 0.5}, {20, 40}}};
  llvm::Expected<AllocationResult> result = allocateBits(items, 39);
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError()).find("need 40 bits"), std::string::npos);
}

TEST(BitAllocationTest, MismatchedOptionsAreAnError) {
  std::vector<AllocationItem> items = {{"a", {1.0, 0.5}, {20}}};
  llvm::Expected<AllocationResult> result = allocateBits(items, 100);
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError()).find("'a'"), std::string::npos);
}

} // namespace
