//===- RuntimeLink.cpp - Linking compiled models with qopt's runtime ------===//

#include "RuntimeLink.h"

#include "ModelFrontend.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace llvm;

qopt::TemporaryFiles::~TemporaryFiles() {
  for (auto it = paths.rbegin(); it != paths.rend(); ++it)
    sys::fs::remove(*it);
}

std::string qopt::getRuntimeDirectory() {
  static int anchor;
  std::string executable = sys::fs::getMainExecutable("qopt", &anchor);
  SmallString<256> dir(sys::path::parent_path(sys::path::parent_path(executable)));
  sys::path::append(dir, "lib");
  return dir.str().str();
}

int qopt::linkWithRuntime(StringRef object, StringRef output, const RuntimeLinkOptions &options, StringRef tool) {
  std::string runtime = getRuntimeDirectory();
  ErrorOr<std::string> driver = sys::findProgramByName(QOPT_LINK_DRIVER);
  if (!driver)
    return reportError(tool, Twine("cannot find the linker driver '") + QOPT_LINK_DRIVER + "'");
  std::vector<std::string> args = {*driver, "-O2", "-I", runtime, "-o", output.str(), object.str()};
  for (const std::string &input : options.extraInputs)
    args.push_back(input);
  std::vector<std::string> libraries;
  if (options.shared)
    args.push_back("-shared");
  else
    libraries.push_back(runtime + (options.generator ? "/libqopt_generate_main.a" : "/libqopt_main.a"));
  if (options.generator)
    libraries.push_back(runtime + "/libqopt_generator.a");
  libraries.push_back(runtime + "/libqopt_runtime.a");
  if (options.cuda)
    libraries.push_back(runtime + "/libqopt_cuda.a");
  for (const std::string &library : libraries)
    if (!sys::fs::exists(library))
      return reportError(tool, "the runtime library " + library + " is missing");
  // A library exports the whole generator API, not only what the model uses.
  for (const std::string &library : libraries) {
    bool whole = options.shared && StringRef(library).ends_with("libqopt_generator.a");
    if (whole)
      args.push_back("-Wl,--whole-archive");
    args.push_back(library);
    if (whole)
      args.push_back("-Wl,--no-whole-archive");
  }
  if (options.cuda)
    args.push_back("-ldl"); // the CUDA driver is loaded at run time
  args.push_back("-lm");
  args.push_back("-lomp"); // the OpenMP runtime of the kernels' parallel loops
  std::vector<StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int status = sys::ExecuteAndWait(*driver, argRefs, std::nullopt, {}, 0, 0, &message);
  if (status != 0)
    return reportError(tool, "linking " + output + " failed" + (message.empty() ? "" : ": " + message));
  return 0;
}
