//===- OnnxOpCoverage.cpp - Which ONNX ops and versions import ------------===//

#include "qopt/Import/OnnxOpCoverage.h"

#include "OnnxOpRegistry.h"

#include "onnx/onnx-ml.pb.h"

#include "llvm/ADT/StringMap.h"

#include <map>

using namespace qopt;

std::vector<OnnxOpCoverage> qopt::getOnnxOpCoverage() { return OnnxOpRegistry::get().getCoverage(); }

std::string MissingOnnxOp::describe() const {
  std::string text = opType + " (" + domain;
  if (opset >= 0)
    text += " opset " + std::to_string(opset);
  text += "): ";
  if (opset < 0)
    text += "the model imports no opset of this domain";
  else if (oldestVersion < 0)
    text += "unsupported op";
  else
    text += "opset " + std::to_string(opset) + " is older than version " +
            std::to_string(oldestVersion) + ", the oldest qopt imports";
  text += "; " + std::to_string(nodes) + (nodes == 1 ? " node '" : " nodes, first '") + firstNode + "'";
  return text;
}

namespace {

void collectMissing(const onnx::GraphProto &graph, const std::map<std::string, int64_t> &opsets,
                    std::vector<MissingOnnxOp> &missing, llvm::StringMap<size_t> &seen) {
  const OnnxOpRegistry &registry = OnnxOpRegistry::get();
  for (int index = 0; index < graph.node_size(); ++index) {
    const onnx::NodeProto &node = graph.node(index);
    std::string domain =
        node.domain().empty() || node.domain() == "ai.onnx" ? "ai.onnx" : node.domain();
    auto opset = opsets.find(domain);
    int64_t version = opset == opsets.end() ? -1 : opset->second;
    if (version < 0 || !registry.lookup(domain, node.op_type(), version)) {
      auto [it, inserted] = seen.try_emplace(domain + "::" + node.op_type(), missing.size());
      if (inserted) {
        MissingOnnxOp op;
        op.domain = domain;
        op.opType = node.op_type();
        op.opset = version;
        op.oldestVersion = registry.getOldestVersion(domain, node.op_type());
        op.firstNode = node.name().empty() ? node.op_type() + "#" + std::to_string(index) : node.name();
        missing.push_back(std::move(op));
      }
      ++missing[it->second].nodes;
    }
    for (const onnx::AttributeProto &attribute : node.attribute()) {
      if (attribute.has_g())
        collectMissing(attribute.g(), opsets, missing, seen);
      for (const onnx::GraphProto &subgraph : attribute.graphs())
        collectMissing(subgraph, opsets, missing, seen);
    }
  }
}

} // namespace

std::vector<MissingOnnxOp> qopt::findMissingOnnxOps(const onnx::ModelProto &model) {
  std::map<std::string, int64_t> opsets;
  for (const onnx::OperatorSetIdProto &opset : model.opset_import())
    opsets[opset.domain().empty() || opset.domain() == "ai.onnx" ? "ai.onnx" : opset.domain()] =
        opset.version();
  std::vector<MissingOnnxOp> missing;
  llvm::StringMap<size_t> seen;
  collectMissing(model.graph(), opsets, missing, seen);
  return missing;
}
