//===- GenerateCompile.h - qopt compile --generate ---------------*- C++ -*-===//
//
// A decoder with a KV cache (qopt/Import/DecoderSignature.h) compiled into
// a generator: the graph specialized into a prefill step of --prefill-len
// tokens over the whole --max-seq-len slot cache and one-token decode steps
// over 64, 128, ... slots up to the whole cache, in one object whose
// weights are kept once, linked with runtime/qopt_generator.c
// (and its main() for executables).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TOOLS_QOPT_GENERATECOMPILE_H
#define QOPT_TOOLS_QOPT_GENERATECOMPILE_H

#include "qopt/Pipelines/Recipes.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace llvm {
class TargetMachine;
} // namespace llvm

namespace qopt {

/// Whether --generate was given.
bool isGenerateRequested();

struct GenerateBuild {
  enum class Output { Llvm, Object, Library, Executable };
  /// Names the command in errors.
  llvm::StringRef tool = "qopt compile";
  Output output = Output::Executable;
  llvm::StringRef outputPath;
  const Recipe *recipe = nullptr;
  llvm::TargetMachine *machine = nullptr;
  unsigned optLevel = 3;
  /// Generated kernels rather than the reference lowering.
  bool generatedKernels = true;
};

/// Builds the generator; returns the exit code.
/// The step shapes and the KV cache's storage.
struct GenerateOptions {
  /// Cache slots; tokens per prefill step.
  int64_t maxSeqLen = 256, prefillLen = 32;
  /// f32, f16, int8 or int4 (qopt-quantize-kv-cache).
  std::string kvCache = "f16";
  int64_t kvGroup = 32;
  /// QuaRot's R3 on keys and queries.
  bool kvHadamard = false;

  bool isQuantizedKvCache() const { return kvCache == "int8" || kvCache == "int4"; }
};

/// qopt_decoder_info.kv_format of a --kv-cache format (f32, f16, int8,
/// int4), or nullopt for another name.
std::optional<int32_t> getKvFormatCode(llvm::StringRef format);

/// The compile command's --max-seq-len, --prefill-len and --kv-* options.
GenerateOptions getGenerateOptions();

/// Builds the generator of the model (getModelPath()) as `build` says;
/// 0, or the status after reporting an error.
int runGenerateCompile(const GenerateBuild &build, const GenerateOptions &options);

} // namespace qopt

#endif // QOPT_TOOLS_QOPT_GENERATECOMPILE_H
