//===- OnnxOpRegistry.cpp - ONNX op importers by domain/op/version --------===//

#include "OnnxOpRegistry.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <tuple>

using namespace qopt;

const OnnxOpRegistry &OnnxOpRegistry::get() {
  static const OnnxOpRegistry registry = [] {
    OnnxOpRegistry r;
    registerElementwiseOps(r);
    registerMatMulOps(r);
    registerConstantOps(r);
    registerReductionOps(r);
    registerNormalizationOps(r);
    registerLogicalOps(r);
    registerShapeOps(r);
    registerConvPoolOps(r);
    registerPadOps(r);
    registerResizeOps(r);
    registerQuantizedOps(r);
    return r;
  }();
  return registry;
}

std::string OnnxOpRegistry::key(llvm::StringRef domain, llvm::StringRef opType) {
  // "ai.onnx" and "" are the same domain.
  return (domain == "ai.onnx" ? llvm::StringRef() : domain).str() + "::" + opType.str();
}

void OnnxOpRegistry::add(llvm::StringRef domain, llvm::StringRef opType,
                         llvm::ArrayRef<int> versions, OnnxOpImporter importer) {
  if (versions.empty() || !llvm::is_sorted(versions))
    llvm::report_fatal_error(llvm::Twine("OnnxOpRegistry: versions of ") + opType +
                             " must be ascending and not empty");
  std::vector<Entry> &list = entries[key(domain, opType)];
  list.push_back({llvm::SmallVector<int, 4>(versions), std::move(importer)});
  std::sort(list.begin(), list.end(), [](const Entry &a, const Entry &b) {
    return a.getSinceVersion() < b.getSinceVersion();
  });
}

const OnnxOpRegistry::Entry *OnnxOpRegistry::lookup(llvm::StringRef domain,
                                                    llvm::StringRef opType,
                                                    int64_t opset) const {
  auto it = entries.find(key(domain, opType));
  if (it == entries.end())
    return nullptr;
  const Entry *best = nullptr;
  for (const Entry &entry : it->second)
    if (entry.getSinceVersion() <= opset)
      best = &entry;
  return best;
}

int OnnxOpRegistry::getOldestVersion(llvm::StringRef domain, llvm::StringRef opType) const {
  auto it = entries.find(key(domain, opType));
  return it == entries.end() ? -1 : it->second.front().getSinceVersion();
}

std::vector<OnnxOpCoverage> OnnxOpRegistry::getCoverage() const {
  std::vector<OnnxOpCoverage> table;
  for (const auto &item : entries) {
    auto [domain, opType] = item.getKey().split("::");
    OnnxOpCoverage row{domain.empty() ? "ai.onnx" : domain.str(), opType.str(), {}};
    for (const Entry &entry : item.getValue())
      row.versions.append(entry.versions.begin(), entry.versions.end());
    llvm::sort(row.versions);
    table.push_back(std::move(row));
  }
  llvm::sort(table, [](const OnnxOpCoverage &a, const OnnxOpCoverage &b) {
    return std::tie(a.domain, a.opType) < std::tie(b.domain, b.opType);
  });
  return table;
}
