//===- RuntimeLink.h - Linking compiled models with qopt's runtime -*- C++ -*-===//
//
// What `qopt compile` does after the object file: link it with the runtime
// libraries of build/lib (or lib/ of an installed tree) into an executable
// or a shared library, under temporary names that are removed on failure.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TOOLS_QOPT_RUNTIMELINK_H
#define QOPT_TOOLS_QOPT_RUNTIMELINK_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace qopt {

/// Removes the files it was given when destroyed.
class TemporaryFiles {
public:
  ~TemporaryFiles();
  void add(llvm::StringRef path) { paths.push_back(path.str()); }

private:
  std::vector<std::string> paths;
};

/// Where the runtime libraries and headers are.
std::string getRuntimeDirectory();

struct RuntimeLinkOptions {
  /// A shared library instead of an executable.
  bool shared = false;
  /// The CUDA runtime (qopt_cuda) too.
  bool cuda = false;
  /// The KV-cache generator (qopt_generator.h) and, for executables, its
  /// main() instead of the one-shot qopt_main.
  bool generator = false;
  /// More inputs of the link: C sources or objects.
  std::vector<std::string> extraInputs;
};

/// Links `object` with the runtime into `output`, using the C compiler
/// driver qopt was built with. Reports errors as `tool`; returns an exit code.
int linkWithRuntime(llvm::StringRef object, llvm::StringRef output, const RuntimeLinkOptions &options,
                    llvm::StringRef tool);

} // namespace qopt

#endif // QOPT_TOOLS_QOPT_RUNTIMELINK_H
