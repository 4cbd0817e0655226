//===- EvalReport.h - qopt eval --report: the HTML fidelity page -*- C++ -*-===//
//
// One self-contained HTML file (no network: inline SVG drawn by inline
// JavaScript from the data embedded as JSON) showing what `qopt eval`
// measured: the recipe table, SQNR per layer per recipe, bits per weight
// against KLD, the bit allocation of mixed-precision recipes and histograms
// of the worst layers' weights and activations.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TOOLS_QOPT_EVALREPORT_H
#define QOPT_TOOLS_QOPT_EVALREPORT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

namespace qopt {

/// Histograms of several series over one shared range:
/// {"low", "high", "counts": [[series 0 bin counts], ...]}. Non-finite
/// values are left out.
llvm::json::Object makeSharedHistogram(llvm::ArrayRef<llvm::ArrayRef<float>> series, unsigned bins);

/// Writes the page for `data` to `path`, through a temporary file renamed
/// into place (nothing is left half-written). `data` is `qopt eval --json`'s
/// object with, per result, "layers" and, for mixed-precision recipes,
/// "allocation" (qopt-allocate-bits' report); and at the top level
/// "histograms": [{"layer", "recipe", "weights"?, "activations"?}].
llvm::Error writeEvalReport(const llvm::json::Object &data, llvm::StringRef path);

} // namespace qopt

#endif // QOPT_TOOLS_QOPT_EVALREPORT_H
