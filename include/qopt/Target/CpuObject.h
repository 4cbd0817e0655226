//===- CpuObject.h - LLVM dialect -> object file for the CPU ----*- C++ -*-===//
//
// Turns a lowered module (LLVM dialect, one entry function taking bare
// pointers: inputs, then outputs) into an llvm::Module that implements the
// runtime ABI of runtime/qopt_runtime.h (`qopt_model_run`, `qopt_model`),
// optimizes it and emits an object file.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TARGET_CPUOBJECT_H
#define QOPT_TARGET_CPUOBJECT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
class raw_pwrite_stream;
} // namespace llvm

namespace mlir {
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace qopt {

/// A tensor at the model boundary, as the runtime describes it.
struct BoundaryTensor {
  std::string name;
  int elementType; // ONNX TensorProto.DataType numbering (QOPT_FLOAT32 = 1...)
  llvm::SmallVector<int64_t> shape;

  int64_t getNumElements() const;
  /// Bytes of a dense buffer of this tensor.
  size_t getByteSize() const;
};

struct ModelSignature {
  llvm::SmallVector<BoundaryTensor> inputs, outputs;
};

/// The signature of a tensor-level entry function (static shapes; names from
/// `onnx.name` argument/result attributes, else in0, out0...).
llvm::Expected<ModelSignature> getModelSignature(mlir::func::FuncOp function);

struct CpuTargetOptions {
  /// An LLVM CPU name; "native" means this machine's CPU and features.
  std::string cpu = "x86-64-v3";
  std::string features;
  unsigned optLevel = 3;
};

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createCpuTargetMachine(const CpuTargetOptions &options);

/// The instruction set of the quantized kernels for `machine`'s CPU and
/// features: "avx512-vnni", "avx512" or "avx2" (qopt-generate-cpu-kernels).
std::string getKernelIsa(const llvm::TargetMachine &machine);

/// Translates `module` (LLVM dialect) whose entry function is `entryName`,
/// adds `qopt_model_run` and `qopt_model` for `signature`, and runs LLVM's
/// optimization pipeline for `machine`.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateToModelModule(mlir::ModuleOp module, llvm::StringRef entryName,
                       const ModelSignature &signature, llvm::LLVMContext &context,
                       llvm::TargetMachine &machine, unsigned optLevel);

/// A model module under a name: its interface becomes qopt_<name>_model
/// and qopt_<name>_model_run.
struct NamedModelModule {
  std::string name;
  std::unique_ptr<llvm::Module> module;
};

/// Links modules from translateToModelModule (in one LLVMContext) into
/// one, renaming each's interface by its name and making every other
/// definition internal; constant data the modules share (the weights of
/// several step functions of one model) is kept once.
llvm::Expected<std::unique_ptr<llvm::Module>> linkModelModules(std::vector<NamedModelModule> modules);

/// Writes `module` as an object file for `machine`.
llvm::Error emitObjectFile(llvm::Module &module, llvm::TargetMachine &machine,
                           llvm::raw_pwrite_stream &os);

/// A C header for a model library: documents this model's inputs and
/// outputs and includes qopt_runtime.h, which declares the ABI.
std::string generateModelHeader(const ModelSignature &signature, llvm::StringRef modelName);

} // namespace qopt

#endif // QOPT_TARGET_CPUOBJECT_H
