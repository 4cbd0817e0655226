//===- OnnxOpRegistry.h - ONNX op importers by domain/op/version -*- C++ -*-===//
//
// The importer's coverage table. One entry per importer of an op: the ONNX
// since-versions of the op's schema that the importer implements (the first
// one is where the entry starts to apply). A model at opset V of a domain
// uses the entry whose first version is the greatest <= V, as torch-mlir's
// `onOp("Relu", 6, fn)`. The table is checked against the installed onnx
// package's schema history (python -m qopt.opset_coverage): every
// since-version from the one in force at opset 7 on must be listed, so that
// each ONNX revision of an op was read and handled, not inherited blindly.
// Op families register themselves from their own files (Ops/*.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_IMPORT_ONNXOPREGISTRY_H
#define QOPT_LIB_IMPORT_ONNXOPREGISTRY_H

#include "qopt/Import/OnnxOpCoverage.h"

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
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
    /// The ONNX since-versions this importer implements, ascending.
    llvm::SmallVector<int, 4> versions;
    OnnxOpImporter importer;
    int getSinceVersion() const { return versions.front(); }
  };

  /// The registry with every op family registered, built once.
  static const OnnxOpRegistry &get();

  /// Registers `importer` for the since-versions `versions` (ascending, not
  /// empty) of `opType` in `domain` ("" is ai.onnx).
  void add(llvm::StringRef domain, llvm::StringRef opType, llvm::ArrayRef<int> versions,
           OnnxOpImporter importer);

  /// The entry for `opType` of `domain` at `opset`; null if the op is
  /// unknown or all its entries are newer than `opset`.
  const Entry *lookup(llvm::StringRef domain, llvm::StringRef opType, int64_t opset) const;

  /// The oldest supported since-version of an op, or -1 if unknown.
  int getOldestVersion(llvm::StringRef domain, llvm::StringRef opType) const;

  /// The whole table, sorted by domain and op type.
  std::vector<OnnxOpCoverage> getCoverage() const;

private:
  static std::string key(llvm::StringRef domain, llvm::StringRef opType);
  llvm::StringMap<std::vector<Entry>> entries; // sorted by since-version
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
