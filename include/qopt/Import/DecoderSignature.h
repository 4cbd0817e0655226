//===- DecoderSignature.h - A decoder LLM's KV-cache interface --*- C++ -*-===//
//
// The inputs and outputs of an ONNX decoder exported with a KV cache, in
// the form optimum, torch.onnx and onnxruntime-genai's model builder write:
//
//   inputs   input_ids [batch, sequence] (int64)
//            attention_mask [batch, past + sequence] (int64, optional)
//            position_ids [batch, sequence] (int64, optional)
//            past_key_values.N.key / .value [batch, kv_heads, past, head_size]
//   outputs  logits [batch, sequence, vocab]
//            present.N.key / .value [batch, kv_heads, past + sequence, head_size]
//
// `qopt compile --generate` compiles such a model once per step shape
// (getStepShapes) and keeps the cache in the executable.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_IMPORT_DECODERSIGNATURE_H
#define QOPT_IMPORT_DECODERSIGNATURE_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace qopt {

/// One layer's cache tensors: graph input and output indices.
struct DecoderCacheLayer {
  int pastKey = -1, pastValue = -1, presentKey = -1, presentValue = -1;
};

struct DecoderSignature {
  /// Graph input indices (initializers not counted); -1 when absent.
  int inputIds = -1, attentionMask = -1, positionIds = -1;
  /// Graph output index of the logits.
  int logits = -1;
  std::vector<DecoderCacheLayer> layers;
  std::vector<std::string> inputNames, outputNames;
  int64_t kvHeads = 0, headSize = 0;
  /// The vocabulary size when the model fixes it, else 0.
  int64_t vocab = 0;
  /// The positions the model has (its rotary tables) when its metadata
  /// says so (`max_seq_len`, as qopt.llama2c writes it), else 0.
  int64_t maxPositions = 0;

  /// Static shapes of every input for one batch-1 step that feeds
  /// `sequence` new tokens after `pastSlots` cache slots.
  llvm::StringMap<llvm::SmallVector<int64_t>> getStepShapes(int64_t sequence, int64_t pastSlots) const;
};

/// The KV-cache interface of `model` (read from `path`, named in errors):
/// an error saying what is missing or malformed when it is not a decoder
/// of the form above.
llvm::Expected<DecoderSignature> getDecoderSignature(const onnx::ModelProto &model, llvm::StringRef path);

} // namespace qopt

#endif // QOPT_IMPORT_DECODERSIGNATURE_H
