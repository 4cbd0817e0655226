//===- JitModel.h - A model compiled in-process -----------------*- C++ -*-===//
//
// Compiles a tensor-level module (func @main on static shapes) with qopt's
// own CPU pipeline and runs it in this process through LLVM's ORC JIT
// (LLJIT): the same code `qopt compile` writes to an object file, the same
// `qopt_model_run` ABI. Calibration and `qopt eval` use it to run float and
// quantized models without leaving the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_EXECUTION_JITMODEL_H
#define QOPT_EXECUTION_JITMODEL_H

#include "qopt/Target/CpuObject.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <vector>

namespace llvm::orc {
class LLJIT;
} // namespace llvm::orc

namespace qopt {

class JitModel {
public:
  /// Lowers a clone of `module` (left unchanged) and JIT-compiles it for
  /// this machine's CPU. Diagnostics of the lowering go to the context's
  /// handler.
  static llvm::Expected<std::unique_ptr<JitModel>> compile(mlir::ModuleOp module,
                                                           llvm::StringRef entryName);
  ~JitModel();

  const ModelSignature &getSignature() const { return signature; }

  /// Runs the model: `inputs` then `outputs`, dense row-major buffers of the
  /// signature's shapes (outputs allocated by the caller).
  void run(llvm::ArrayRef<const void *> inputs, llvm::ArrayRef<void *> outputs) const;

  /// Output buffers for every output, sized from the signature.
  std::vector<std::vector<char>> allocateOutputs() const;

private:
  JitModel() = default;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  void (*entry)(void **) = nullptr;
  ModelSignature signature;
};

} // namespace qopt

#endif // QOPT_EXECUTION_JITMODEL_H
