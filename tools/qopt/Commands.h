//===- Commands.h - The subcommands of the qopt driver ----------*- C++ -*-===//

#ifndef QOPT_TOOLS_QOPT_COMMANDS_H
#define QOPT_TOOLS_QOPT_COMMANDS_H

#include "llvm/Support/CommandLine.h"

namespace qopt {

/// Options of every subcommand belong to this category, so that `--help`
/// lists them and hides LLVM's own.
llvm::cl::OptionCategory &getDriverCategory();

extern llvm::cl::SubCommand compileCommand;
/// Runs `qopt compile`; returns the process exit code.
int runCompile();

extern llvm::cl::SubCommand inspectCommand;
/// Runs `qopt inspect`; returns the process exit code.
int runInspect();

} // namespace qopt

#endif // QOPT_TOOLS_QOPT_COMMANDS_H
