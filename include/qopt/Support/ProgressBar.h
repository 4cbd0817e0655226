//===- ProgressBar.h - Progress of long runs on stderr ----------*- C++ -*-===//

#ifndef QOPT_SUPPORT_PROGRESSBAR_H
#define QOPT_SUPPORT_PROGRESSBAR_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace qopt {

/// A progress bar on stderr (done/total, elapsed, time left) that appears
/// only once `delaySeconds` have passed, so short runs print nothing. On a
/// terminal it is redrawn in place at most ten times a second; into a file
/// or pipe (logs) it writes a line per tenth of the work instead.
class ProgressBar {
public:
  ProgressBar(llvm::StringRef label, int64_t total, bool enabled, double delaySeconds = 1.0);
  ~ProgressBar();
  void update(int64_t done);

private:
  std::string label;
  int64_t total;
  bool enabled, shown = false, interactive;
  double delay;
  double start, lastDrawn = 0.0;
  int64_t lastTenth = -1;
};

} // namespace qopt

#endif // QOPT_SUPPORT_PROGRESSBAR_H
