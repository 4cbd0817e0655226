//===- OnnxOpRegistry.h - ONNX op importers by domain/op/version -*- C++ -*-===//
//
// One entry per (domain, op type, since-version), as torch-mlir's
// `onOp("Relu", 6, fn)`: a model at opset V of a domain uses the entry with
// the greatest since-version <= V. Op families register themselves from
// their own files (Ops/*.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_IMPORT_ONNXOPREGISTRY_H
#define QOPT_LIB_IMPORT_ONNXOPREGISTRY_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <string>
#include <vector>

namespace qopt {

class NodeImporter;

using OnnxOpImporter = std::function<mlir::LogicalResult(NodeImporter &node)>;

class OnnxOpRegistry {
public:
  struct Entry {
    int sinceVersion;
    OnnxOpImporter importer;
  };

  /// The registry with every op family registered, built once.
  static const OnnxOpRegistry &get();

  void add(llvm::StringRef domain, llvm::StringRef opType, int sinceVersion,
           OnnxOpImporter importer);

  /// The entry for `opType` of `domain` ("" is ai.onnx) at `opset`; null if
  /// the op is unknown or all its entries are newer than `opset`.
  const Entry *lookup(llvm::StringRef domain, llvm::StringRef opType, int64_t opset) const;

  /// The oldest supported since-version of an op, or -1 if unknown.
  int getOldestVersion(llvm::StringRef domain, llvm::StringRef opType) const;

private:
  static std::string key(llvm::StringRef domain, llvm::StringRef opType);
  llvm::StringMap<std::vector<Entry>> entries; // sorted by sinceVersion
};

// Op families (one file each under Ops/).
void registerElementwiseOps(OnnxOpRegistry &registry);
void registerMatMulOps(OnnxOpRegistry &registry);
void registerConstantOps(OnnxOpRegistry &registry);
void registerReductionOps(OnnxOpRegistry &registry);
void registerNormalizationOps(OnnxOpRegistry &registry);
void registerLogicalOps(OnnxOpRegistry &registry);
void registerShapeOps(OnnxOpRegistry &registry);
void registerConvPoolOps(OnnxOpRegistry &registry);
void registerPadOps(OnnxOpRegistry &registry);
void registerResizeOps(OnnxOpRegistry &registry);
void registerQuantizedOps(OnnxOpRegistry &registry);

} // namespace qopt

#endif // QOPT_LIB_IMPORT_ONNXOPREGISTRY_H
