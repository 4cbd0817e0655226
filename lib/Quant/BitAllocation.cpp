//===- BitAllocation.cpp - One format per layer under a size budget -------===//

#include "qopt/Quant/BitAllocation.h"

#include <glpk.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>

using namespace qopt;

namespace {

struct ProblemDeleter {
  void operator()(glp_prob *problem) const { glp_delete_prob(problem); }
};

} // namespace

llvm::Expected<AllocationResult> qopt::allocateBits(llvm::ArrayRef<AllocationItem> items, double budgetBits,
                                                    double timeLimitSeconds, double latencyBudget) {
  auto start = std::chrono::steady_clock::now();
  const bool timed = std::isfinite(latencyBudget);
  double smallest = 0.0, fastest = 0.0;
  for (const AllocationItem &item : items) {
    if (item.losses.empty() || item.losses.size() != item.bits.size())
      return llvm::createStringError("item '" + item.name + "' needs one loss and one size per option");
    if (timed && item.latencies.size() != item.losses.size())
      return llvm::createStringError("item '" + item.name + "' needs one latency per option for a latency budget");
    smallest += *std::min_element(item.bits.begin(), item.bits.end());
    if (timed)
      fastest += *std::min_element(item.latencies.begin(), item.latencies.end());
  }
  if (smallest > budgetBits * (1.0 + 1e-12))
    return llvm::createStringError("no allocation fits: the smallest options need " + std::to_string(int64_t(std::ceil(smallest))) +
                     " bits, the budget is " + std::to_string(int64_t(std::floor(budgetBits))));
  if (timed && fastest > latencyBudget * (1.0 + 1e-12))
    return llvm::createStringError("no allocation fits: the fastest options take " + std::to_string(fastest) +
                     ", the latency budget is " + std::to_string(latencyBudget));
  const char *bothBudgets = "no allocation fits the size and the latency budget at once";

  std::unique_ptr<glp_prob, ProblemDeleter> problem(glp_create_prob());
  glp_prob *lp = problem.get();
  glp_set_obj_dir(lp, GLP_MIN);
  // Rows 1..n: one choice per item; row n + 1: the size budget; row n + 2:
  // the latency budget.
  const int numItems = int(items.size());
  glp_add_rows(lp, numItems + (timed ? 2 : 1));
  for (int i = 1; i <= numItems; ++i)
    glp_set_row_bnds(lp, i, GLP_FX, 1.0, 1.0);
  // Columns: x[i][o]; costs scaled so the solver's tolerances see O(1)
  // numbers.
  double lossScale = 0.0, bitScale = 0.0, latencyScale = 0.0;
  for (const AllocationItem &item : items)
    for (size_t o = 0; o < item.losses.size(); ++o) {
      lossScale = std::max(lossScale, std::fabs(item.losses[o]));
      bitScale = std::max(bitScale, item.bits[o]);
      if (timed)
        latencyScale = std::max(latencyScale, item.latencies[o]);
    }
  lossScale = lossScale > 0 ? lossScale : 1.0;
  bitScale = bitScale > 0 ? bitScale : 1.0;
  latencyScale = latencyScale > 0 ? latencyScale : 1.0;
  if (std::isfinite(budgetBits))
    glp_set_row_bnds(lp, numItems + 1, GLP_UP, 0.0, budgetBits / bitScale);
  else
    glp_set_row_bnds(lp, numItems + 1, GLP_FR, 0.0, 0.0);
  if (timed)
    glp_set_row_bnds(lp, numItems + 2, GLP_UP, 0.0, latencyBudget / latencyScale);
  std::vector<int> rowIndex = {0}, columnIndex = {0};
  std::vector<double> values = {0.0};
  std::vector<std::pair<size_t, size_t>> columnOption;
  for (int i = 0; i < numItems; ++i) {
    const AllocationItem &item = items[size_t(i)];
    for (size_t o = 0; o < item.losses.size(); ++o) {
      int column = glp_add_cols(lp, 1);
      glp_set_col_kind(lp, column, GLP_BV);
      glp_set_obj_coef(lp, column, item.losses[o] / lossScale);
      rowIndex.push_back(i + 1), columnIndex.push_back(column), values.push_back(1.0);
      rowIndex.push_back(numItems + 1), columnIndex.push_back(column), values.push_back(item.bits[o] / bitScale);
      if (timed)
        rowIndex.push_back(numItems + 2), columnIndex.push_back(column),
            values.push_back(item.latencies[o] / latencyScale);
      columnOption.push_back({size_t(i), o});
    }
  }
  glp_load_matrix(lp, int(values.size()) - 1, rowIndex.data(), columnIndex.data(), values.data());

  glp_smcp simplex;
  glp_init_smcp(&simplex);
  simplex.msg_lev = GLP_MSG_OFF;
  const int simplexStatus = glp_simplex(lp, &simplex);
  if (simplexStatus == 0 && glp_get_status(lp) == GLP_NOFEAS)
    return llvm::createStringError(bothBudgets);
  if (simplexStatus != 0 || glp_get_status(lp) != GLP_OPT)
    return llvm::createStringError("GLPK: the LP relaxation did not solve (glp_simplex " + llvm::Twine(simplexStatus) + ")");
  AllocationResult result;
  result.lowerBound = glp_get_obj_val(lp) * lossScale;

  glp_iocp branch;
  glp_init_iocp(&branch);
  branch.msg_lev = GLP_MSG_OFF;
  branch.presolve = GLP_OFF; // the relaxation above is the starting point
  branch.tm_lim = int(std::min(timeLimitSeconds * 1000.0, 2.0e9));
  int status = glp_intopt(lp, &branch);
  int mipStatus = glp_mip_status(lp);
  if (mipStatus == GLP_NOFEAS)
    return llvm::createStringError(bothBudgets);
  if ((status != 0 && status != GLP_ETMLIM) || (mipStatus != GLP_OPT && mipStatus != GLP_FEAS))
    return llvm::createStringError("GLPK: branch-and-cut found no integer solution (glp_intopt " + llvm::Twine(status) + ")");
  result.optimal = mipStatus == GLP_OPT;
  result.choices.assign(items.size(), 0);
  for (size_t c = 0; c < columnOption.size(); ++c)
    if (glp_mip_col_val(lp, int(c) + 1) > 0.5) {
      auto [item, option] = columnOption[c];
      result.choices[item] = option;
    }
  for (size_t i = 0; i < items.size(); ++i) {
    result.loss += items[i].losses[result.choices[i]];
    result.bits += items[i].bits[result.choices[i]];
    if (timed)
      result.latency += items[i].latencies[result.choices[i]];
  }
  result.relativeGap = std::max(0.0, result.loss - result.lowerBound) / std::max(std::fabs(result.loss), 1e-300);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.solver = std::string("GLPK ") + glp_version() + " branch-and-cut";
  return result;
}
