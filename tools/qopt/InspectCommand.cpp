//===- InspectCommand.cpp - qopt inspect ----------------------------------===//
//
// Summarizes an ONNX model: opsets, inputs and outputs with their shapes,
// parameters by data type, how often each op occurs (subgraphs of If, Loop
// and Scan included) and every (op, opset) that does not import. With
// --supported-ops, prints the importer's coverage table instead.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "qopt/Import/OnnxImporter.h"
#include "qopt/Import/OnnxModelFile.h"
#include "qopt/Import/OnnxOpCoverage.h"

#include "onnx/onnx-ml.pb.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <vector>

using namespace llvm;

cl::SubCommand &qopt::getInspectCommand() {
  static cl::SubCommand command("inspect",
                                    "Summarize an ONNX model: ops, inputs/outputs, parameters");
  return command;
}

namespace {

cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx>"),
                               cl::sub(qopt::getInspectCommand()),
                               cl::cat(qopt::getDriverCategory()));
cl::opt<bool> printSupportedOps(
    "supported-ops",
    cl::desc("Print every ONNX op the importer handles and the since-versions it implements"),
    cl::sub(qopt::getInspectCommand()), cl::cat(qopt::getDriverCategory()));
cl::opt<bool> printJson("json", cl::desc("Print the summary as JSON"),
                        cl::sub(qopt::getInspectCommand()), cl::cat(qopt::getDriverCategory()));

struct TensorInfo {
  std::string name;
  std::string type;               // "float", or "sequence"/"map"/... for non-tensors
  std::vector<std::string> dims;  // "8", "batch" (symbolic), "?" (unknown)
};

struct ParameterStats {
  uint64_t elements = 0;
  uint64_t bytes = 0;
  unsigned tensors = 0;
};

struct ModelSummary {
  int64_t irVersion = 0;
  std::string producer;
  std::vector<std::pair<std::string, int64_t>> opsets;
  std::string graphName;
  std::vector<TensorInfo> inputs, outputs;
  std::map<std::string, ParameterStats> parametersByType;
  unsigned externalTensors = 0;
  std::map<std::pair<std::string, std::string>, unsigned> opCounts; // (domain, op) -> count
  unsigned nodes = 0;
  std::vector<qopt::MissingOnnxOp> missing; // (op, opset) pairs that do not import

  int64_t getOpset(const std::string &domain) const {
    for (const auto &[name, version] : opsets)
      if (name == domain)
        return version;
    return -1;
  }
  bool isSupported(const std::pair<std::string, std::string> &op) const {
    return llvm::none_of(missing, [&](const qopt::MissingOnnxOp &m) {
      return m.domain == op.first && m.opType == op.second;
    });
  }
};

TensorInfo describeValue(const onnx::ValueInfoProto &value) {
  TensorInfo info;
  info.name = value.name();
  const onnx::TypeProto &type = value.type();
  if (!type.has_tensor_type()) {
    info.type = type.has_sequence_type() ? "sequence"
                : type.has_map_type()    ? "map"
                : type.has_optional_type() ? "optional"
                                           : "unknown";
    return info;
  }
  info.type = qopt::getOnnxDataTypeName(type.tensor_type().elem_type());
  if (!type.tensor_type().has_shape()) {
    info.dims.push_back("...");
    return info;
  }
  for (const onnx::TensorShapeProto_Dimension &dim : type.tensor_type().shape().dim())
    info.dims.push_back(dim.has_dim_value()   ? std::to_string(dim.dim_value())
                        : dim.has_dim_param() ? dim.dim_param()
                                              : "?");
  return info;
}

void countNodes(const onnx::GraphProto &graph, ModelSummary &summary) {
  for (const onnx::NodeProto &node : graph.node()) {
    std::string domain = node.domain().empty() ? "ai.onnx" : node.domain();
    ++summary.opCounts[{domain, node.op_type()}];
    ++summary.nodes;
    for (const onnx::AttributeProto &attribute : node.attribute()) {
      if (attribute.has_g())
        countNodes(attribute.g(), summary);
      for (const onnx::GraphProto &subgraph : attribute.graphs())
        countNodes(subgraph, summary);
    }
  }
}

ModelSummary summarize(const onnx::ModelProto &model) {
  ModelSummary summary;
  summary.irVersion = model.ir_version();
  summary.producer = model.producer_name();
  if (!model.producer_version().empty())
    summary.producer += " " + model.producer_version();
  for (const onnx::OperatorSetIdProto &opset : model.opset_import())
    summary.opsets.emplace_back(opset.domain().empty() ? "ai.onnx" : opset.domain(),
                                opset.version());
  const onnx::GraphProto &graph = model.graph();
  summary.graphName = graph.name();

  std::set<std::string> initializerNames;
  for (const onnx::TensorProto &tensor : graph.initializer()) {
    initializerNames.insert(tensor.name());
    uint64_t elements = 1;
    for (int64_t dim : tensor.dims())
      elements *= uint64_t(std::max<int64_t>(dim, 0));
    ParameterStats &stats = summary.parametersByType[qopt::getOnnxDataTypeName(tensor.data_type())];
    stats.elements += elements;
    stats.bytes += (elements * qopt::getOnnxDataTypeBits(tensor.data_type()) + 7) / 8;
    ++stats.tensors;
    summary.externalTensors += qopt::hasExternalData(tensor);
  }
  // Models from before IR version 4 list initializers among the inputs too.
  for (const onnx::ValueInfoProto &input : graph.input())
    if (!initializerNames.count(input.name()))
      summary.inputs.push_back(describeValue(input));
  for (const onnx::ValueInfoProto &output : graph.output())
    summary.outputs.push_back(describeValue(output));
  countNodes(graph, summary);
  summary.missing = qopt::findMissingOnnxOps(model);
  return summary;
}

/// Op kinds by descending count, then by domain and name.
std::vector<std::pair<std::pair<std::string, std::string>, unsigned>>
sortedOps(const ModelSummary &summary) {
  std::vector<std::pair<std::pair<std::string, std::string>, unsigned>> ops(
      summary.opCounts.begin(), summary.opCounts.end());
  std::sort(ops.begin(), ops.end(), [](const auto &a, const auto &b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return ops;
}

std::string formatDims(const TensorInfo &info) {
  return "[" + join(info.dims, ", ") + "]";
}

std::string opName(const std::pair<std::string, std::string> &op) {
  return op.first == "ai.onnx" ? op.second : op.first + "::" + op.second;
}

void printText(const ModelSummary &summary, raw_ostream &os) {
  os << "model       " << modelPath << "\n";
  os << "ir_version  " << summary.irVersion;
  if (!summary.producer.empty())
    os << ", producer " << summary.producer;
  os << "\nopsets      ";
  interleaveComma(summary.opsets, os, [&](const auto &opset) {
    os << opset.first << " " << opset.second;
  });
  os << "\ngraph       " << (summary.graphName.empty() ? "(unnamed)" : summary.graphName)
     << ": " << summary.nodes << " nodes, " << summary.opCounts.size() << " op types\n";

  auto printValues = [&](StringRef title, const std::vector<TensorInfo> &values) {
    os << title << "\n";
    for (const TensorInfo &value : values)
      os << formatv("  {0,-24} {1,-8} {2}\n", value.name, value.type, formatDims(value));
  };
  printValues("inputs", summary.inputs);
  printValues("outputs", summary.outputs);

  uint64_t elements = 0, bytes = 0;
  unsigned tensors = 0;
  for (const auto &[type, stats] : summary.parametersByType) {
    elements += stats.elements;
    bytes += stats.bytes;
    tensors += stats.tensors;
  }
  os << formatv("parameters  {0} in {1} initializers, {2:F1} KiB", elements, tensors,
                bytes / 1024.0);
  if (summary.externalTensors)
    os << ", " << summary.externalTensors << " with external data";
  os << "\n";
  for (const auto &[type, stats] : summary.parametersByType)
    os << formatv("  {0,-24} {1} in {2}\n", type, stats.elements, stats.tensors);

  os << "ops\n";
  for (const auto &[op, count] : sortedOps(summary))
    os << formatv("  {0,6}  {1}{2}\n", count, opName(op),
                  summary.isSupported(op) ? "" : "  (does not import)");
  if (summary.missing.empty()) {
    os << "support     every op imports\n";
    return;
  }
  os << "support     " << summary.missing.size()
     << (summary.missing.size() == 1 ? " op does" : " ops do") << " not import:\n";
  for (const qopt::MissingOnnxOp &op : summary.missing)
    os << "  " << op.describe() << "\n";
}

void printJsonSummary(const ModelSummary &summary, raw_ostream &os) {
  json::OStream out(os, 2);
  auto values = [&](StringRef key, const std::vector<TensorInfo> &list) {
    out.attributeArray(key, [&] {
      for (const TensorInfo &value : list)
        out.object([&] {
          out.attribute("name", value.name);
          out.attribute("type", value.type);
          out.attributeArray("shape", [&] {
            for (const std::string &dim : value.dims)
              out.value(dim);
          });
        });
    });
  };
  out.object([&] {
    out.attribute("model", modelPath.getValue());
    out.attribute("ir_version", summary.irVersion);
    out.attribute("producer", summary.producer);
    out.attributeObject("opsets", [&] {
      for (const auto &[domain, version] : summary.opsets)
        out.attribute(domain, version);
    });
    out.attribute("graph", summary.graphName);
    out.attribute("nodes", int64_t(summary.nodes));
    values("inputs", summary.inputs);
    values("outputs", summary.outputs);
    out.attributeObject("parameters", [&] {
      for (const auto &entry : summary.parametersByType) {
        const ParameterStats &stats = entry.second;
        out.attributeObject(entry.first, [&] {
          out.attribute("elements", int64_t(stats.elements));
          out.attribute("bytes", int64_t(stats.bytes));
          out.attribute("tensors", int64_t(stats.tensors));
        });
      }
    });
    out.attribute("external_data_tensors", int64_t(summary.externalTensors));
    out.attributeObject("ops", [&] {
      for (const auto &[op, count] : sortedOps(summary))
        out.attribute(opName(op), int64_t(count));
    });
    out.attributeArray("unsupported", [&] {
      for (const qopt::MissingOnnxOp &op : summary.missing)
        out.object([&] {
          out.attribute("op", op.opType);
          out.attribute("domain", op.domain);
          out.attribute("opset", op.opset);
          out.attribute("oldest_supported_version", int64_t(op.oldestVersion));
          out.attribute("nodes", int64_t(op.nodes));
          out.attribute("first_node", op.firstNode);
        });
    });
  });
  os << "\n";
}

/// The importer's coverage table: one op per line with its since-versions,
/// or a JSON object {"ai.onnx::Slice": [1, 10, 11, 13], ...}.
void printCoverage(raw_ostream &os) {
  std::vector<qopt::OnnxOpCoverage> table = qopt::getOnnxOpCoverage();
  if (printJson) {
    json::OStream out(os, 1);
    out.object([&] {
      for (const qopt::OnnxOpCoverage &row : table)
        out.attributeArray(row.domain + "::" + row.opType, [&] {
          for (int version : row.versions)
            out.value(version);
        });
    });
    os << "\n";
    return;
  }
  for (const qopt::OnnxOpCoverage &row : table) {
    os << formatv("{0,-14} {1,-24} ", row.domain, row.opType);
    interleaveComma(row.versions, os);
    os << "\n";
  }
}

} // namespace

int qopt::runInspect() {
  if (printSupportedOps) {
    printCoverage(outs());
    return 0;
  }
  if (modelPath.empty()) {
    WithColor::error(errs(), "qopt inspect") << "give a model (or --supported-ops)\n";
    return 1;
  }
  Expected<std::unique_ptr<onnx::ModelProto>> model = readOnnxModel(modelPath);
  if (!model) {
    WithColor::error(errs(), "qopt inspect") << toString(model.takeError()) << "\n";
    return 1;
  }
  ModelSummary summary = summarize(**model);
  if (printJson)
    printJsonSummary(summary, outs());
  else
    printText(summary, outs());
  return 0;
}
