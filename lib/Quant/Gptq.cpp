//===- Gptq.cpp - GPTQ weight quantization --------------------------------===//
//
// Works on the transposed weight Wt [K, N] so that a column of W (one input
// channel across all outputs) is a contiguous row: quantizing it, computing
// its error and applying rank-1 updates are all unit-stride loops, and the
// lazy block update is one SGEMM. Linear algebra from OpenBLAS/LAPACKE.
//
//===----------------------------------------------------------------------===//

#include "qopt/Quant/Gptq.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

using namespace qopt;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The upper Cholesky factor U of H^-1 (H^-1 = U^T U), H dampened first.
/// `h` is [k, k] row major and is overwritten.
llvm::Expected<std::vector<float>> invertedHessianFactor(std::vector<double> &h, int64_t k,
                                                         double dampening) {
  double meanDiagonal = 0.0;
  for (int64_t i = 0; i < k; ++i)
    meanDiagonal += h[size_t(i * k + i)];
  meanDiagonal /= double(k);
  for (int64_t i = 0; i < k; ++i)
    h[size_t(i * k + i)] += dampening * meanDiagonal;
  lapack_int n = lapack_int(k);
  if (lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', n, h.data(), n))
    return makeError("the input Hessian is not positive definite even with dampening " +
                     llvm::Twine(std::to_string(dampening)) + " (LAPACK dpotrf info " + llvm::Twine(int(info)) + ")");
  if (lapack_int info = LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', n, h.data(), n))
    return makeError("inverting the input Hessian failed (LAPACK dpotri info " + llvm::Twine(int(info)) + ")");
  // dpotri filled the lower triangle; mirror it for the upper factorization.
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i + 1; j < k; ++j)
      h[size_t(i * k + j)] = h[size_t(j * k + i)];
  if (lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', n, h.data(), n))
    return makeError("the inverse Hessian is not positive definite (LAPACK dpotrf info " +
                     llvm::Twine(int(info)) + ")");
  std::vector<float> factor(size_t(k * k), 0.0f);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < k; ++j)
      factor[size_t(i * k + j)] = float(h[size_t(i * k + j)]);
  return factor;
}

} // namespace

llvm::Expected<QuantizedMatrix> qopt::quantizeGptq(llvm::ArrayRef<float> weight, int64_t rows,
                                                   int64_t columns, llvm::ArrayRef<float> hessian,
                                                   const GptqOptions &options) {
  const RtnOptions &scaleOptions = options.weights;
  llvm::Expected<int64_t> checkedGroup =
      checkQuantizationOptions(scaleOptions, rows, columns, weight.size());
  if (!checkedGroup)
    return checkedGroup.takeError();
  if (scaleOptions.format.needsCodebook())
    return makeError("GPTQ rounds onto a fixed grid; lookup-table codebooks are fitted by method=rtn");
  if (int64_t(hessian.size()) != columns * columns)
    return makeError("the Hessian must be [" + llvm::Twine(columns) + ", " + llvm::Twine(columns) +
                     "], it holds " + llvm::Twine(hessian.size()) + " values");
  const NumberFormat &format = scaleOptions.format;
  const int64_t n = rows, k = columns, group = *checkedGroup;
  const bool perChannel = group == k;
  QuantizedMatrix result = QuantizedMatrix::allocate(n, k, group, format, scaleOptions.symmetric);
  if (n == 0)
    return result;

  // Column order: by decreasing Hessian diagonal with act-order.
  std::vector<int64_t> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  if (options.actOrder)
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return hessian[size_t(a * k + a)] > hessian[size_t(b * k + b)];
    });

  // Permuted Hessian in double; dead inputs get a unit diagonal and zero weight.
  std::vector<double> h(static_cast<size_t>(k * k));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      h[size_t(i * k + j)] = double(hessian[size_t(order[size_t(i)] * k + order[size_t(j)])]);
  std::vector<bool> dead(size_t(k), false);
  for (int64_t i = 0; i < k; ++i)
    if (h[size_t(i * k + i)] == 0.0) {
      h[size_t(i * k + i)] = 1.0;
      dead[size_t(i)] = true;
    }
  llvm::Expected<std::vector<float>> factor = invertedHessianFactor(h, k, options.dampening);
  if (!factor)
    return factor.takeError();
  h = {};
  const std::vector<float> &hinv = *factor;

  // Wt[i, :] = W[:, order[i]].
  std::vector<float> wt(static_cast<size_t>(k * n));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t r = 0; r < n; ++r)
      wt[size_t(i * n + r)] = dead[size_t(i)] ? 0.0f : weight[size_t(r * k + order[size_t(i)])];

  // Group scales of the original weight: per channel, and act-order's
  // static groups, are chosen before any update.
  const int64_t groupsPerRow = result.getGroupsPerRow();
  std::vector<GroupScale> scales(size_t(n * groupsPerRow));
  std::vector<float> values;
  auto chooseScales = [&](int64_t g, auto valueAt) {
    int64_t begin = g * group, length = std::min(group, k - begin);
    values.resize(size_t(length));
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t i = 0; i < length; ++i)
        values[size_t(i)] = valueAt(r, begin + i);
      scales[size_t(r * groupsPerRow + g)] =
          chooseGroupScale(values, format, scaleOptions.symmetric, scaleOptions.clipSearch);
    }
  };
  const bool staticScales = perChannel || options.actOrder;
  if (staticScales)
    for (int64_t g = 0; g < groupsPerRow; ++g)
      chooseScales(g, [&](int64_t r, int64_t c) { return weight[size_t(r * k + c)]; });

  // Blocks hold whole groups, so a group's scales can be chosen from
  // up-to-date values when the loop reaches its first column.
  int64_t blockSize = std::max<int64_t>(options.blockSize, 1);
  if (!perChannel)
    blockSize = std::max<int64_t>(1, blockSize / group) * group;

  std::vector<float> errors(static_cast<size_t>(blockSize * n));
  for (int64_t blockBegin = 0; blockBegin < k; blockBegin += blockSize) {
    const int64_t blockEnd = std::min(k, blockBegin + blockSize);
    for (int64_t i = blockBegin; i < blockEnd; ++i) {
      const int64_t column = order[size_t(i)];
      if (!staticScales && column % group == 0)
        chooseScales(column / group, [&](int64_t r, int64_t c) { return wt[size_t(c * n + r)]; });
      const float diagonal = hinv[size_t(i * k + i)];
      float *w = &wt[size_t(i * n)];
      float *error = &errors[size_t((i - blockBegin) * n)];
      const int64_t g = column / group;
      for (int64_t r = 0; r < n; ++r) {
        const GroupScale &scale = scales[size_t(r * groupsPerRow + g)];
        uint32_t code = scale.encode(format, w[r]);
        result.codes[size_t(r * k + column)] = uint8_t(code);
        error[r] = (w[r] - scale.decode(format, code)) / diagonal;
      }
      // Eager update of the rest of the block.
      for (int64_t j = i + 1; j < blockEnd; ++j) {
        const float coefficient = hinv[size_t(i * k + j)];
        float *target = &wt[size_t(j * n)];
        for (int64_t r = 0; r < n; ++r)
          target[r] -= coefficient * error[r];
      }
    }
    // Lazy update of every later column: Wt[end:] -= Hinv[begin:end, end:]^T Err.
    if (blockEnd < k)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, int(k - blockEnd), int(n),
                  int(blockEnd - blockBegin), -1.0f, &hinv[size_t(blockBegin * k + blockEnd)], int(k),
                  errors.data(), int(n), 1.0f, &wt[size_t(blockEnd * n)], int(n));
  }
  for (int64_t r = 0; r < n; ++r)
    for (int64_t g = 0; g < groupsPerRow; ++g)
      result.setScale(r, g, scales[size_t(r * groupsPerRow + g)]);
  return result;
}

double qopt::hessianWeightedError(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b, int64_t rows,
                                  int64_t columns, llvm::ArrayRef<float> hessian) {
  double total = 0.0;
  std::vector<double> d(static_cast<size_t>(columns));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < columns; ++c)
      d[size_t(c)] = double(a[size_t(r * columns + c)]) - double(b[size_t(r * columns + c)]);
    for (int64_t i = 0; i < columns; ++i) {
      double row = 0.0;
      for (int64_t j = 0; j < columns; ++j)
        row += double(hessian[size_t(i * columns + j)]) * d[size_t(j)];
      total += d[size_t(i)] * row;
    }
  }
  return total;
}
