//===- ProgressBar.h - Progress of long runs on stderr ----------*- C++ -*-===//

#ifndef QOPT_SUPPORT_PROGRESSBAR_H
#define QOPT_SUPPORT_PROGRESSBAR_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace qopt {

/// A progress bar on stderr (done/total, elapsed, time left) that appears
/// only once `delaySeconds` have passed, so short runs print nothing, and
/// only when stderr is a terminal: it is redrawn in place at most ten times
/// a second there, and files and pipes (logs, the Python API reading the
/// driver's diagnostics) get nothing from it.
class ProgressBar {
public:
  ProgressBar(llvm::StringRef label, int64_t total, bool enabled, double delaySeconds = 1.0);
  ~ProgressBar();
  void update(int64_t done);

private:
  std::string label;
  int64_t total;
  bool enabled, shown = false;
  double delay;
  double start, lastDrawn = 0.0;
};

} // namespace qopt

#endif // QOPT_SUPPORT_PROGRESSBAR_H
