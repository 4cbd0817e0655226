//===- ProgressBar.cpp - Progress of long runs on stderr ------------------===//

#include "qopt/Support/ProgressBar.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace qopt;

static double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

ProgressBar::ProgressBar(llvm::StringRef label, int64_t total, bool enabled, double delaySeconds)
    : label(label.str()), total(total), enabled(enabled && llvm::sys::Process::StandardErrIsDisplayed()),
      delay(delaySeconds), start(now()) {}

ProgressBar::~ProgressBar() {
  if (shown)
    llvm::errs() << "\n";
}

void ProgressBar::update(int64_t done) {
  double elapsed = now() - start;
  if (!enabled || (!shown && elapsed < delay))
    return;
  bool finished = done >= total;
  if (!finished && shown && elapsed - lastDrawn < 0.1)
    return;
  shown = true;
  lastDrawn = elapsed;
  const int width = 30;
  int filled = total > 0 ? int(width * done / total) : width;
  double rate = elapsed > 0 ? double(done) / elapsed : 0.0;
  double left = rate > 0 ? double(total - done) / rate : 0.0;
  llvm::errs() << "\r" << label << " [" << std::string(size_t(filled), '#') << std::string(size_t(width - filled), ' ')
               << "] " << done << "/" << total << llvm::format(" %.1f s, %.1f s left ", elapsed, left);
  llvm::errs().flush();
}
