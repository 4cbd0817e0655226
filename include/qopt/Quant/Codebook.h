//===- Codebook.h - Fitted code values for lookup-table formats -*- C++ -*-===//
//
// The values of a lut<N> format are not fixed: they are fitted to the
// weights they encode by weighted 1-D k-means (SqueezeLLM), the weight of
// each element its sensitivity (the layer input Hessian's diagonal: the
// output error of a change d in w[n, k] is H_kk d^2 to first order). The
// centroids come back sorted, so encoding is a binary search.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_CODEBOOK_H
#define QOPT_QUANT_CODEBOOK_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace qopt {

/// `levels` centroids (ascending) minimizing sum_i weights[i] (values[i] -
/// c(values[i]))^2, c the nearest centroid: Lloyd's iterations from the
/// weighted quantiles, each O(levels log n) over the sorted values. Empty
/// `weights` weighs every value 1. Fewer distinct values than levels leave
/// duplicate centroids.
std::vector<float> fitCodebook(llvm::ArrayRef<float> values, llvm::ArrayRef<float> weights, unsigned levels,
                               int maxIterations = 100);

/// The index of the entry of the ascending `codebook` nearest to `value`
/// (the lower one on a tie).
uint32_t encodeNearest(llvm::ArrayRef<float> codebook, float value);

} // namespace qopt

#endif // QOPT_QUANT_CODEBOOK_H
