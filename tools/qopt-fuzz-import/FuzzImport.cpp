//===- FuzzImport.cpp - libFuzzer target for the ONNX importer ------------===//
//
// Any byte string: parse it as an ONNX ModelProto and, if it parses, import
// it. Bad input must end in diagnostics, never in a crash, an assertion, a
// sanitizer report or a hang. Symbolic input dimensions are given size 2 so
// that more models get past shape specialization.
//
//===----------------------------------------------------------------------===//

#include "qopt/Import/OnnxImporter.h"
#include "qopt/Registration/Registration.h"

#include "onnx/onnx-ml.pb.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  onnx::ModelProto model;
  if (size > (1u << 20) || !model.ParseFromArray(data, int(size)) || !model.has_graph())
    return 0;
  qopt::OnnxImportOptions options;
  for (const onnx::ValueInfoProto &input : model.graph().input()) {
    if (!input.type().has_tensor_type() || !input.type().tensor_type().has_shape())
      continue;
    const auto &shape = input.type().tensor_type().shape();
    if (shape.dim_size() > 6)
      continue;
    llvm::SmallVector<int64_t> dims;
    bool symbolic = false;
    for (const auto &dim : shape.dim()) {
      bool known = dim.has_dim_value() && dim.dim_value() >= 0 && dim.dim_value() <= 64;
      symbolic |= !dim.has_dim_value();
      dims.push_back(known ? dim.dim_value() : 2);
    }
    if (symbolic)
      options.inputShapes[input.name()] = dims;
  }
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    qopt::registerQoptDialects(*r);
    qopt::registerOnnxImportDialects(*r);
    return r;
  }();
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) { return mlir::success(); });
  (void)qopt::importOnnxModel(context, model, "fuzz.onnx", options);
  return 0;
}
