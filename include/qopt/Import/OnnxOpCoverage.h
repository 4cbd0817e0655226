//===- OnnxOpCoverage.h - Which ONNX ops and versions import ----*- C++ -*-===//
//
// The importer's coverage table, and the ops of a model it lacks. `qopt
// inspect` prints both; the importer reports every missing (op, opset) of a
// model at once, before importing anything.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_IMPORT_ONNXOPCOVERAGE_H
#define QOPT_IMPORT_ONNXOPCOVERAGE_H

#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace qopt {

/// One op the importer handles and the ONNX since-versions of its schema
/// that it implements.
struct OnnxOpCoverage {
  std::string domain; // "ai.onnx", "com.microsoft", ...
  std::string opType;
  llvm::SmallVector<int> versions;
};

/// The whole table, sorted by domain and op type.
std::vector<OnnxOpCoverage> getOnnxOpCoverage();

/// An (op, opset) of a model that does not import.
struct MissingOnnxOp {
  std::string domain; // "ai.onnx" for the default domain
  std::string opType;
  int64_t opset = -1;      // the model's opset of the domain; -1 if it imports none
  int oldestVersion = -1;  // the oldest version qopt imports; -1 if the op is unknown
  unsigned nodes = 0;      // how many nodes use it
  std::string firstNode;   // the name (or op#index) of the first of them

  /// "Upsample (ai.onnx opset 9): unsupported op; 3 nodes, first 'up1'".
  std::string describe() const;
};

/// Every (op, opset) of `model` (subgraphs included) with no importer, in
/// the order of first use.
std::vector<MissingOnnxOp> findMissingOnnxOps(const onnx::ModelProto &model);

} // namespace qopt

#endif // QOPT_IMPORT_ONNXOPCOVERAGE_H
