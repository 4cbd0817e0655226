//===- DecoderSignature.cpp - A decoder LLM's KV-cache interface ----------===//

#include "qopt/Import/DecoderSignature.h"

#include "onnx/onnx-ml.pb.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FormatVariadic.h"

#include <map>
#include <set>

using namespace qopt;
using llvm::StringRef;

namespace {

llvm::Error makeError(StringRef path, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 (path + ": not a decoder with a KV cache: " + message).str());
}

/// "<prefix>N.<role>" with N a layer number: (N, role) on success.
bool parseCacheName(StringRef name, StringRef prefix, unsigned &layer, StringRef &role) {
  if (!name.consume_front(prefix))
    return false;
  auto [number, rest] = name.split('.');
  if (number.empty() || number.getAsInteger(10, layer))
    return false;
  role = rest;
  return role == "key" || role == "value";
}

/// The dimensions of a value: a value, or -1 for symbolic or unknown.
llvm::SmallVector<int64_t> getDims(const onnx::ValueInfoProto &value) {
  llvm::SmallVector<int64_t> dims;
  if (!value.type().has_tensor_type() || !value.type().tensor_type().has_shape())
    return dims;
  for (const auto &dim : value.type().tensor_type().shape().dim())
    dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
  return dims;
}

int getElementType(const onnx::ValueInfoProto &value) {
  return value.type().has_tensor_type() ? value.type().tensor_type().elem_type() : 0;
}

} // namespace

llvm::StringMap<llvm::SmallVector<int64_t>> DecoderSignature::getStepShapes(int64_t sequence,
                                                                            int64_t pastSlots) const {
  llvm::StringMap<llvm::SmallVector<int64_t>> shapes;
  shapes[inputNames[inputIds]] = {1, sequence};
  if (positionIds >= 0)
    shapes[inputNames[positionIds]] = {1, sequence};
  if (attentionMask >= 0)
    shapes[inputNames[attentionMask]] = {1, pastSlots + sequence};
  for (const DecoderCacheLayer &layer : layers)
    for (int input : {layer.pastKey, layer.pastValue})
      shapes[inputNames[input]] = {1, kvHeads, pastSlots, headSize};
  return shapes;
}

llvm::Expected<DecoderSignature> qopt::getDecoderSignature(const onnx::ModelProto &model, StringRef path) {
  const onnx::GraphProto &graph = model.graph();
  std::set<std::string> initializers;
  for (const onnx::TensorProto &tensor : graph.initializer())
    initializers.insert(tensor.name());

  DecoderSignature signature;
  std::map<unsigned, DecoderCacheLayer> layers;
  std::vector<const onnx::ValueInfoProto *> inputs;
  for (const onnx::ValueInfoProto &input : graph.input())
    if (!initializers.count(input.name()))
      inputs.push_back(&input);

  for (auto [index, input] : llvm::enumerate(inputs)) {
    StringRef name = input->name();
    signature.inputNames.push_back(name.str());
    unsigned layer;
    StringRef role;
    if (name == "input_ids")
      signature.inputIds = int(index);
    else if (name == "attention_mask")
      signature.attentionMask = int(index);
    else if (name == "position_ids")
      signature.positionIds = int(index);
    else if (parseCacheName(name, "past_key_values.", layer, role) || parseCacheName(name, "past.", layer, role))
      (role == "key" ? layers[layer].pastKey : layers[layer].pastValue) = int(index);
    else
      return makeError(path, "input '" + name +
                                 "' is none of input_ids, attention_mask, position_ids, past_key_values.N.key/value");
    bool isCache = name.starts_with("past");
    int expectedType = isCache ? 1 /*float*/ : 7 /*int64*/;
    if (getElementType(*input) != expectedType)
      return makeError(path, "input '" + name + "' must be " + (isCache ? "float32" : "int64"));
    size_t expectedRank = isCache ? 4 : 2;
    llvm::SmallVector<int64_t> dims = getDims(*input);
    if (dims.size() != expectedRank)
      return makeError(path, "input '" + name + "' must have rank " + llvm::Twine(expectedRank));
    if (isCache) {
      if (dims[1] <= 0 || dims[3] <= 0)
        return makeError(path, "input '" + name + "' must fix its heads and head size (dimensions 1 and 3)");
      if (signature.kvHeads && (dims[1] != signature.kvHeads || dims[3] != signature.headSize))
        return makeError(path, "input '" + name + "' has a different head count or head size than the others");
      signature.kvHeads = dims[1];
      signature.headSize = dims[3];
    }
  }
  if (signature.inputIds < 0)
    return makeError(path, "no input 'input_ids'");

  for (auto [index, output] : llvm::enumerate(graph.output())) {
    StringRef name = output.name();
    signature.outputNames.push_back(name.str());
    unsigned layer;
    StringRef role;
    if (name == "logits") {
      signature.logits = int(index);
      llvm::SmallVector<int64_t> dims = getDims(output);
      if (dims.size() == 3 && dims[2] > 0)
        signature.vocab = dims[2];
    } else if (parseCacheName(name, "present.", layer, role)) {
      if (!layers.count(layer))
        return makeError(path, "output '" + name + "' has no matching past input");
      (role == "key" ? layers[layer].presentKey : layers[layer].presentValue) = int(index);
    }
  }
  if (signature.logits < 0)
    return makeError(path, "no output 'logits'");
  for (const onnx::StringStringEntryProto &entry : model.metadata_props())
    if (entry.key() == "max_seq_len" && (llvm::StringRef(entry.value()).getAsInteger(10, signature.maxPositions) ||
                                         signature.maxPositions < 1))
      return makeError(path, "metadata max_seq_len '" + entry.value() + "' is not a positive integer");
  if (layers.empty())
    return makeError(path, "no past_key_values.N.key/value inputs");

  unsigned expectedLayer = 0;
  for (auto &[layerNumber, layer] : layers) {
    const unsigned number = layerNumber;
    if (number != expectedLayer++)
      return makeError(path, llvm::formatv("the cache inputs skip layer {0}", expectedLayer - 1).str());
    auto missing = [&](int index, StringRef what) {
      return index < 0 ? makeError(path, llvm::formatv("layer {0} has no {1}", number, what).str())
                       : llvm::Error::success();
    };
    if (llvm::Error error = missing(layer.pastKey, "past key input"))
      return std::move(error);
    if (llvm::Error error = missing(layer.pastValue, "past value input"))
      return std::move(error);
    if (llvm::Error error = missing(layer.presentKey, "present key output"))
      return std::move(error);
    if (llvm::Error error = missing(layer.presentValue, "present value output"))
      return std::move(error);
    signature.layers.push_back(layer);
  }
  return signature;
}
