//===- LayerName.h - How diagnostics and reports name a layer ---*- C++ -*-===//

#ifndef QOPT_TRANSFORMS_LAYERNAME_H
#define QOPT_TRANSFORMS_LAYERNAME_H

#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"

#include <string>

namespace qopt {

/// The layer's ONNX node name when the importer recorded one, else
/// "layer<index>".
inline std::string getLayerName(mlir::Operation *op, int64_t index) {
  if (auto name = op->getLoc()->findInstanceOf<mlir::NameLoc>())
    return name.getName().str();
  return "layer" + std::to_string(index);
}

} // namespace qopt

#endif // QOPT_TRANSFORMS_LAYERNAME_H
