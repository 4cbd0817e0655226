//===- Commands.h - The subcommands of the qopt driver ----------*- C++ -*-===//

#ifndef QOPT_TOOLS_QOPT_COMMANDS_H
#define QOPT_TOOLS_QOPT_COMMANDS_H

#include "llvm/Support/CommandLine.h"

namespace qopt {

/// Options of every subcommand belong to this category, so that `--help`
/// lists them and hides LLVM's own.
llvm::cl::OptionCategory &getDriverCategory();

// Subcommands are function-local statics: options in several files name
// them, and static initialization order across files is unspecified.
llvm::cl::SubCommand &getCompileCommand();
llvm::cl::SubCommand &getEvalCommand();
llvm::cl::SubCommand &getInspectCommand();

/// Run one subcommand; each returns the process exit code.
int runCompile();
int runEval();
int runInspect();

} // namespace qopt

#endif // QOPT_TOOLS_QOPT_COMMANDS_H
