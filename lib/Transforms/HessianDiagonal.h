//===- HessianDiagonal.h - A layer's per-column sensitivity -----*- C++ -*-===//
//
// The diagonal of the input Hessian that calibration leaves on a layer: to
// first order, changing w[n, k] by d changes the layer's output error by
// H_kk d^2. The Hessian-weighted passes (proxy sensitivities, codebook
// fitting, outlier choice) read it through this.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TRANSFORMS_HESSIANDIAGONAL_H
#define QOPT_TRANSFORMS_HESSIANDIAGONAL_H

#include "qopt/Support/CalibrationAttributes.h"
#include "qopt/Support/ConstantTensor.h"

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/Operation.h"

#include <vector>

namespace qopt {

/// H_kk of `layer`'s `qopt.calib.hessian` for `columns` inputs; empty when
/// it has no readable Hessian of that size.
inline std::vector<float> readHessianDiagonal(mlir::Operation *layer, int64_t columns) {
  auto attr = layer->getAttrOfType<mlir::ElementsAttr>(calib::kHessian);
  std::optional<std::vector<float>> hessian = attr ? readFloatConstant(attr) : std::nullopt;
  if (!hessian || int64_t(hessian->size()) != columns * columns)
    return {};
  std::vector<float> diagonal(static_cast<size_t>(columns));
  for (int64_t k = 0; k < columns; ++k)
    diagonal[size_t(k)] = (*hessian)[size_t(k * columns + k)];
  return diagonal;
}

} // namespace qopt

#endif // QOPT_TRANSFORMS_HESSIANDIAGONAL_H
