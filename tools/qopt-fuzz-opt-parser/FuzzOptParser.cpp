//===- FuzzOptParser.cpp - libFuzzer target for qopt-opt's parser ---------===//
//
// Any byte string as the input of qopt-opt: parsed as an MLIR module with
// the dialects qopt-opt registers (qopt::registerQoptDialects), verified (the
// qopt ops' custom verifiers, the #qopt.format / #qopt.act attribute
// parsers) and, when it verifies, printed (the custom printers). Bad input
// must end in diagnostics, never in a crash, an assertion, a sanitizer report
// or a hang.
//
// Inputs that name a registered dialect other than qopt and the few upstream
// ones qopt's IR is written with (builtin, func, arith, tensor) are skipped:
// the parsers of linalg, tosa, gpu, llvm... live in libMLIR.so, outside this
// project, and crash on malformed input within seconds of fuzzing (e.g. a
// null attribute in linalg.transpose's parser), which would bury the qopt
// findings. QOPT_FUZZ_ALL_DIALECTS=1 fuzzes every registered dialect;
// QOPT_FUZZ_VERBOSE=1 prints the diagnostics.
//
//===----------------------------------------------------------------------===//

#include "qopt/Registration/Registration.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

bool isIdentifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c == '.' || c == '-';
}

/// Whether `text` may name a dialect of `skipped`: some `name.` that is not
/// part of an SSA value, block or symbol name (conservative: quoted op names
/// and strings count).
bool namesSkippedDialect(llvm::StringRef text, const llvm::StringSet<> &skipped) {
  for (size_t i = 0; i < text.size();) {
    if (!isIdentifierChar(text[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && isIdentifierChar(text[end]))
      ++end;
    bool named = i > 0 && (text[i - 1] == '%' || text[i - 1] == '^' || text[i - 1] == '@');
    llvm::StringRef word = text.slice(i, end);
    size_t dot = word.find('.');
    if (!named && dot != llvm::StringRef::npos && skipped.contains(word.take_front(dot)))
      return true;
    i = end;
  }
  return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1u << 16))
    return 0;
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    qopt::registerQoptDialects(*r);
    return r;
  }();
  static const llvm::StringSet<> *skipped = [] {
    auto *names = new llvm::StringSet<>();
    if (!std::getenv("QOPT_FUZZ_ALL_DIALECTS"))
      for (llvm::StringRef name : registry->getDialectNames())
        if (name != "qopt" && name != "builtin" && name != "func" && name != "arith" && name != "tensor")
          names->insert(name);
    return names;
  }();
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  if (namesSkippedDialect(text, *skipped))
    return -1; // not added to the corpus
  static const bool verbose = std::getenv("QOPT_FUZZ_VERBOSE");
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &diagnostic) {
    if (verbose)
      llvm::errs() << diagnostic.getLocation() << ": " << diagnostic << "\n";
    return mlir::success();
  });
  // MLIR's lexer needs a NUL after the buffer (as files read by qopt-opt
  // have): the input copied into a string. parseSourceString verifies after
  // parsing (ParserConfig's default).
  std::string source = text.str();
  mlir::ParserConfig config(&context);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceString<mlir::ModuleOp>(source, config, "fuzz.mlir");
  if (!module)
    return 0;
  std::string printed;
  llvm::raw_string_ostream os(printed);
  module->print(os);
  return 0;
}
