//===- EvalGeneration.h - qopt eval --kv-cache ------------------*- C++ -*-===//
//
// Generation fidelity of KV-cache formats (EvalGeneration.cpp): decoders
// built as generators per recipe and cache format, teacher-forced through
// their C API, against the float build with an f32 cache.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TOOLS_QOPT_EVALGENERATION_H
#define QOPT_TOOLS_QOPT_EVALGENERATION_H

#include "qopt/Pipelines/Recipes.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace qopt {

/// `qopt eval --kv-cache` was given.
bool isGenerationEvalRequested();

/// Evaluates every recipe x --kv-cache format on the token sequences in
/// `dataPath`; prints a table or JSON. 0, or 1 after reporting an error.
int runGenerationEval(llvm::ArrayRef<const Recipe *> recipes, llvm::StringRef dataPath, bool json);

} // namespace qopt

#endif // QOPT_TOOLS_QOPT_EVALGENERATION_H
