//===- OnnxImporter.cpp - ONNX model -> MLIR ------------------------------===//

#include "qopt/Import/OnnxImporter.h"
#include "qopt/Import/OnnxOpCoverage.h"

#include "ExternalData.h"
#include "NodeImporter.h"
#include "OnnxOpRegistry.h"

#include "qopt/Dialect/QoptDialect.h"

#include "onnx/onnx-ml.pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/Path.h"

#include <set>

using namespace mlir;
using namespace qopt;

void qopt::registerOnnxImportDialects(DialectRegistry &registry) {
  registry.insert<func::FuncDialect, arith::ArithDialect, math::MathDialect,
                  tensor::TensorDialect, linalg::LinalgDialect, QoptDialect>();
}

bool qopt::parseShapeSpec(llvm::StringRef text, llvm::SmallVectorImpl<int64_t> &shape) {
  shape.clear();
  if (text.empty())
    return false;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, 'x');
  for (llvm::StringRef part : parts) {
    int64_t dim;
    if (part.getAsInteger(10, dim) || dim < 0)
      return false;
    shape.push_back(dim);
  }
  return true;
}

namespace {

/// The ONNX data type of an imported value.
int getOnnxDataType(Value value, const llvm::DenseSet<Value> &unsignedValues) {
  using T = onnx::TensorProto;
  Type type = cast<RankedTensorType>(value.getType()).getElementType();
  bool isUnsigned = unsignedValues.contains(value);
  if (type.isF32())
    return T::FLOAT;
  if (type.isF64())
    return T::DOUBLE;
  if (type.isF16())
    return T::FLOAT16;
  if (type.isBF16())
    return T::BFLOAT16;
  if (type.isInteger(1))
    return T::BOOL;
  if (type.isInteger(8))
    return isUnsigned ? T::UINT8 : T::INT8;
  if (type.isInteger(16))
    return isUnsigned ? T::UINT16 : T::INT16;
  if (type.isInteger(32))
    return isUnsigned ? T::UINT32 : T::INT32;
  if (type.isInteger(64))
    return isUnsigned ? T::UINT64 : T::INT64;
  return T::UNDEFINED;
}

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, const onnx::ModelProto &model, llvm::StringRef modelPath,
                const OnnxImportOptions &options)
      : context(context), model(model), options(options),
        fileLoc(FileLineColLoc::get(&context, modelPath, 0, 0)), builder(&context),
        externalData(llvm::sys::path::parent_path(modelPath)) {}

  OwningOpRef<ModuleOp> run();

private:
  LogicalResult readOpsets();
  FailureOr<RankedTensorType> getInputType(const onnx::ValueInfoProto &input);
  LogicalResult importNode(const onnx::NodeProto &node, unsigned index);
  Location getNodeLoc(const onnx::NodeProto &node, unsigned index);

  MLIRContext &context;
  const onnx::ModelProto &model;
  const OnnxImportOptions &options;
  Location fileLoc;
  OpBuilder builder;
  llvm::StringMap<int64_t> opsets; // domain ("" = ai.onnx) -> version
  llvm::StringMap<Value> values;
  llvm::DenseSet<Value> unsignedValues;
  ExternalDataFiles externalData;
};

LogicalResult GraphImporter::readOpsets() {
  for (const onnx::OperatorSetIdProto &opset : model.opset_import()) {
    llvm::StringRef domain = opset.domain() == "ai.onnx" ? "" : llvm::StringRef(opset.domain());
    opsets[domain] = opset.version();
  }
  if (!opsets.count(""))
    return emitError(fileLoc) << "the model imports no ai.onnx opset";
  return success();
}

FailureOr<RankedTensorType> GraphImporter::getInputType(const onnx::ValueInfoProto &input) {
  const onnx::TypeProto &type = input.type();
  if (!type.has_tensor_type())
    return emitError(fileLoc) << "input '" << input.name() << "' is not a tensor";
  int dataType = type.tensor_type().elem_type();
  Type elementType = convertOnnxElementType(dataType, &context);
  if (!elementType)
    return emitError(fileLoc) << "input '" << input.name() << "' has unsupported data type "
                              << dataType;
  SmallVector<int64_t> shape;
  auto given = options.inputShapes.find(input.name());
  bool hasShape = type.tensor_type().has_shape();
  int modelRank = hasShape ? type.tensor_type().shape().dim_size() : -1;
  if (given != options.inputShapes.end()) {
    shape.assign(given->second.begin(), given->second.end());
    if (modelRank >= 0 && int(shape.size()) != modelRank)
      return emitError(fileLoc) << "--shape gives input '" << input.name() << "' rank "
                                << shape.size() << " but the model says rank " << modelRank;
    for (int i = 0; i < modelRank; ++i) {
      const auto &dim = type.tensor_type().shape().dim(i);
      if (dim.has_dim_value() && dim.dim_value() != shape[i])
        return emitError(fileLoc) << "--shape gives input '" << input.name() << "' dimension "
                                  << i << " = " << shape[i] << " but the model fixes it to "
                                  << dim.dim_value();
    }
    return RankedTensorType::get(shape, elementType);
  }
  if (!hasShape)
    return emitError(fileLoc) << "input '" << input.name()
                              << "' has no shape; give it with --shape " << input.name()
                              << "=<d0>x<d1>...";
  for (int i = 0; i < modelRank; ++i) {
    const auto &dim = type.tensor_type().shape().dim(i);
    if (!dim.has_dim_value() || dim.dim_value() < 0)
      return emitError(fileLoc) << "input '" << input.name() << "' dimension " << i << " is "
                                << (dim.has_dim_param() ? "'" + dim.dim_param() + "'" : "unknown")
                                << "; give the input's shape with --shape " << input.name()
                                << "=<d0>x<d1>...";
    shape.push_back(dim.dim_value());
  }
  return RankedTensorType::get(shape, elementType);
}

Location GraphImporter::getNodeLoc(const onnx::NodeProto &node, unsigned index) {
  std::string name = node.name().empty() ? node.op_type() + "#" + std::to_string(index)
                                         : node.name();
  return NameLoc::get(StringAttr::get(&context, name), fileLoc);
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node, unsigned index) {
  Location loc = getNodeLoc(node, index);
  llvm::StringRef domain = node.domain() == "ai.onnx" ? "" : llvm::StringRef(node.domain());
  std::string domainName = domain.empty() ? "ai.onnx" : domain.str();
  auto opset = opsets.find(domain);
  if (opset == opsets.end())
    return emitError(loc) << "node '" << node.name() << "' (" << node.op_type() << ", "
                          << domainName << "): the model imports no opset of domain '"
                          << domainName << "'";
  const OnnxOpRegistry &registry = OnnxOpRegistry::get();
  const OnnxOpRegistry::Entry *entry = registry.lookup(domain, node.op_type(), opset->second);
  if (!entry) {
    InFlightDiagnostic diag = emitError(loc)
                              << "node '" << node.name() << "' (" << node.op_type() << ", "
                              << domainName << " opset " << opset->second << "): ";
    int oldest = registry.getOldestVersion(domain, node.op_type());
    if (oldest < 0)
      diag << "unsupported op";
    else
      diag << "this opset is older than the oldest supported version " << oldest
           << " of the op";
    return diag;
  }
  for (const std::string &input : node.input())
    if (!input.empty() && !values.count(input))
      return emitError(loc) << "node '" << node.name() << "' (" << node.op_type() << ", "
                            << domainName << " opset " << opset->second << "): input '" << input
                            << "' is neither a graph input, an initializer nor an earlier "
                               "node's output";
  NodeImporter importer(node, domainName, opset->second, builder, loc, values, unsignedValues);
  // Integer outputs of the same type as an unsigned input are unsigned
  // (Add, Reshape, Gather...); ops that choose their result type say so.
  Type unsignedType;
  for (unsigned i = 0; i < importer.getNumInputs(); ++i)
    if (importer.isUnsigned(i))
      unsignedType = importer.getInputType(i).getElementType();
  if (failed(entry->importer(importer)))
    return failure();
  if (unsignedType)
    for (const std::string &output : node.output())
      if (Value value = values.lookup(output);
          value && !unsignedValues.contains(value) &&
          cast<RankedTensorType>(value.getType()).getElementType() == unsignedType &&
          node.op_type() != "Cast")
        unsignedValues.insert(value);
  for (const std::string &output : node.output())
    if (!output.empty() && !values.count(output))
      return emitError(loc) << "node '" << node.name() << "' (" << node.op_type()
                            << "): output '" << output << "' is not supported";
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  context.loadDialect<func::FuncDialect, arith::ArithDialect, math::MathDialect,
                      tensor::TensorDialect, linalg::LinalgDialect, QoptDialect>();
  if (failed(readOpsets()))
    return nullptr;
  const onnx::GraphProto &graph = model.graph();

  // Every (op, opset) that does not import, reported at once at the first
  // node that uses one.
  std::vector<MissingOnnxOp> missing = findMissingOnnxOps(model);
  if (!missing.empty()) {
    Location loc = fileLoc;
    for (auto [index, node] : llvm::enumerate(graph.node()))
      if ((node.name().empty() ? node.op_type() + "#" + std::to_string(index) : node.name()) ==
          missing.front().firstNode) {
        loc = getNodeLoc(node, index);
        break;
      }
    InFlightDiagnostic diag = emitError(loc);
    diag << missing.size() << (missing.size() == 1 ? " op of the model does" : " ops of the model do")
         << " not import:";
    for (const MissingOnnxOp &op : missing)
      diag << "\n  " << op.describe();
    return nullptr;
  }

  std::set<std::string> initializerNames;
  for (const onnx::TensorProto &tensor : graph.initializer())
    initializerNames.insert(tensor.name());
  auto isModelInput = [&](llvm::StringRef name) {
    return llvm::any_of(graph.input(), [&](const onnx::ValueInfoProto &input) {
      return input.name() == name && !initializerNames.count(input.name());
    });
  };
  for (const auto &shape : options.inputShapes)
    if (!isModelInput(shape.getKey())) {
      emitError(fileLoc) << "--shape names '" << shape.getKey() << "', which is not a model input";
      return nullptr;
    }
  for (const auto &bound : options.boundInputs)
    if (!isModelInput(bound.getKey())) {
      emitError(fileLoc) << "--bind names '" << bound.getKey() << "', which is not a model input";
      return nullptr;
    }

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  SmallVector<Type> inputTypes;
  SmallVector<std::string> inputNames;
  SmallVector<int> inputDataTypes;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializerNames.count(input.name()) || options.boundInputs.count(input.name()))
      continue; // before IR version 4, initializers are listed as inputs too
    FailureOr<RankedTensorType> type = getInputType(input);
    if (failed(type))
      return nullptr;
    inputTypes.push_back(*type);
    inputNames.push_back(input.name());
    inputDataTypes.push_back(input.type().tensor_type().elem_type());
  }
  builder.setInsertionPointToEnd(module->getBody());
  auto function = func::FuncOp::create(builder, fileLoc, options.functionName,
                                       builder.getFunctionType(inputTypes, {}));
  Block *entry = function.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(inputNames)) {
    values[name] = entry->getArgument(i);
    function.setArgAttr(i, "onnx.name", builder.getStringAttr(name));
    int dataType = inputDataTypes[i];
    function.setArgAttr(i, "onnx.element_type", builder.getI32IntegerAttr(dataType));
    if (isUnsignedOnnxType(dataType))
      unsignedValues.insert(entry->getArgument(i));
  }
  builder.setInsertionPointToStart(entry);

  for (const onnx::ValueInfoProto &input : graph.input()) {
    auto bound = options.boundInputs.find(input.name());
    if (bound == options.boundInputs.end())
      continue;
    if (bound->second->data_type() != input.type().tensor_type().elem_type()) {
      emitError(fileLoc) << "--bind gives input '" << input.name() << "' data type "
                         << bound->second->data_type() << " but the model declares "
                         << input.type().tensor_type().elem_type();
      return nullptr;
    }
    Location loc = NameLoc::get(StringAttr::get(&context, input.name()), fileLoc);
    Value constant = importOnnxTensor(builder, loc, *bound->second, "bound input '" + input.name() + "'");
    if (!constant)
      return nullptr;
    values[input.name()] = constant;
    if (isUnsignedOnnxType(bound->second->data_type()))
      unsignedValues.insert(constant);
  }
  for (const onnx::TensorProto &tensor : graph.initializer()) {
    Location loc = NameLoc::get(StringAttr::get(&context, tensor.name()), fileLoc);
    Value constant =
        importOnnxTensor(builder, loc, tensor, "initializer '" + tensor.name() + "'", &externalData);
    if (!constant)
      return nullptr;
    values[tensor.name()] = constant;
    if (isUnsignedOnnxType(tensor.data_type()))
      unsignedValues.insert(constant);
  }
  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, index)))
      return nullptr;

  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    Value value = values.lookup(output.name());
    if (!value) {
      emitError(fileLoc) << "graph output '" << output.name() << "' is produced by no node";
      return nullptr;
    }
    results.push_back(value);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  function.setType(builder.getFunctionType(inputTypes, ValueRange(results).getTypes()));
  for (auto [i, output] : llvm::enumerate(graph.output())) {
    function.setResultAttr(i, "onnx.name", builder.getStringAttr(output.name()));
    // The ONNX element type at the boundary (signedness is not in MLIR's).
    function.setResultAttr(i, "onnx.element_type",
                           builder.getI32IntegerAttr(getOnnxDataType(results[i], unsignedValues)));
  }

  if (failed(verify(*module))) {
    emitError(fileLoc) << "internal error: the imported IR does not verify";
    return nullptr;
  }
  return module;
}

} // namespace

OwningOpRef<ModuleOp> qopt::importOnnxModel(MLIRContext &context, const onnx::ModelProto &model,
                                            llvm::StringRef modelPath,
                                            const OnnxImportOptions &options) {
  return GraphImporter(context, model, modelPath, options).run();
}
