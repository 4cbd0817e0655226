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

namespace llvm {
class TargetMachine;
} // namespace llvm

namespace qopt {

/// Whether --generate was given.
bool isGenerateRequested();

struct GenerateBuild {
  enum class Output { Llvm, Object, Library, Executable };
  Output output = Output::Executable;
  llvm::StringRef outputPath;
  const Recipe *recipe = nullptr;
  llvm::TargetMachine *machine = nullptr;
  unsigned optLevel = 3;
  /// Generated kernels rather than the reference lowering.
  bool generatedKernels = true;
};

/// Builds the generator; returns the exit code.
int runGenerateCompile(const GenerateBuild &build);

} // namespace qopt

#endif // QOPT_TOOLS_QOPT_GENERATECOMPILE_H
