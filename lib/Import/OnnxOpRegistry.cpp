//===- OnnxOpRegistry.cpp - ONNX op importers by domain/op/version --------===//

#include "OnnxOpRegistry.h"

#include <algorithm>

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

void OnnxOpRegistry::add(llvm::StringRef domain, llvm::StringRef opType, int sinceVersion,
                         OnnxOpImporter importer) {
  std::vector<Entry> &list = entries[key(domain, opType)];
  list.push_back({sinceVersion, importer});
  std::sort(list.begin(), list.end(),
            [](const Entry &a, const Entry &b) { return a.sinceVersion < b.sinceVersion; });
}

const OnnxOpRegistry::Entry *OnnxOpRegistry::lookup(llvm::StringRef domain,
                                                    llvm::StringRef opType,
                                                    int64_t opset) const {
  auto it = entries.find(key(domain, opType));
  if (it == entries.end())
    return nullptr;
  const Entry *best = nullptr;
  for (const Entry &entry : it->second)
    if (entry.sinceVersion <= opset)
      best = &entry;
  return best;
}

int OnnxOpRegistry::getOldestVersion(llvm::StringRef domain, llvm::StringRef opType) const {
  auto it = entries.find(key(domain, opType));
  return it == entries.end() ? -1 : it->second.front().sinceVersion;
}
