//===- BitAllocation.h - One format per layer under a size budget -*- C++ -*-===//
//
// The integer program of Hubara et al. 2020 ("Improving Post Training
// Neural Quantization: Layer-wise Calibration and Integer Programming"):
// each item (a layer, or layers tied to one format) takes exactly one of its
// options; minimize the summed loss subject to the summed bits staying
// within the budget:
//
//   min  sum_i sum_o loss[i][o] x[i][o]
//   s.t. sum_o x[i][o] = 1                      for every item i
//        sum_i sum_o bits[i][o] x[i][o] <= budget
//        sum_i sum_o latency[i][o] x[i][o] <= latency budget   (optional)
//        x binary
//
// Solved with GLPK's branch-and-cut (glp_intopt) after the LP relaxation
// (glp_simplex), whose optimum bounds the gap. Plain C++, no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_BITALLOCATION_H
#define QOPT_QUANT_BITALLOCATION_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <limits>
#include <string>
#include <vector>

namespace qopt {

struct AllocationItem {
  std::string name;
  /// One entry per option: the loss it causes and the bits it stores.
  std::vector<double> losses, bits;
  /// One entry per option when there is a latency budget: the time the
  /// option's kernel takes (any unit, the budget's).
  std::vector<double> latencies;
};

struct AllocationResult {
  /// The option chosen for every item.
  std::vector<size_t> choices;
  double loss = 0.0, bits = 0.0, latency = 0.0;
  /// The LP relaxation's optimum: no allocation has a smaller loss.
  double lowerBound = 0.0;
  /// (loss - lowerBound) / max(|loss|, tiny); 0 when proven optimal.
  double relativeGap = 0.0;
  bool optimal = false;
  double seconds = 0.0;
  std::string solver;
};

/// Solves the program; an error when no choice fits a budget (with the
/// smallest size or latency that would) or both at once, when an item has
/// no options or mismatched lists, or when the solver fails. An infinite
/// budget is no constraint.
llvm::Expected<AllocationResult> allocateBits(llvm::ArrayRef<AllocationItem> items, double budgetBits,
                                              double timeLimitSeconds = 60.0,
                                              double latencyBudget = std::numeric_limits<double>::infinity());

} // namespace qopt

#endif // QOPT_QUANT_BITALLOCATION_H
