//===- ConvolutionWindow.h - A convolution kernel's window ------*- C++ -*-===//
//
// The window the depthwise and direct convolution kernels slide over their
// zero-padded input: kernel [KH, KW], strides and dilations, written into
// and read back from a kernel declaration's configuration attribute.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_CONVOLUTIONWINDOW_H
#define QOPT_LIB_CONVERSION_CONVOLUTIONWINDOW_H

#include "qopt/Support/Convolution.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace qopt {

struct ConvolutionWindow {
  int64_t kernel[2] = {1, 1}, strides[2] = {1, 1}, dilations[2] = {1, 1};

  /// A KH x KW kernel with `geometry`'s strides and dilations.
  void set(int64_t kh, int64_t kw, const ConvolutionGeometry &geometry) {
    kernel[0] = kh;
    kernel[1] = kw;
    for (int d = 0; d < 2; ++d) {
      strides[d] = geometry.strides[d];
      dilations[d] = geometry.dilations[d];
    }
  }

  /// kernel, strides and dilations as named attributes.
  llvm::SmallVector<mlir::NamedAttribute> toAttributes(mlir::Builder &b) const {
    return {b.getNamedAttr("kernel", b.getDenseI64ArrayAttr({kernel[0], kernel[1]})),
            b.getNamedAttr("strides", b.getDenseI64ArrayAttr({strides[0], strides[1]})),
            b.getNamedAttr("dilations", b.getDenseI64ArrayAttr({dilations[0], dilations[1]}))};
  }

  /// Reads them back from `dictionary`: false unless each is two positive
  /// integers.
  bool readWindow(mlir::DictionaryAttr dictionary) {
    auto readPair = [&](llvm::StringRef name, int64_t(&into)[2]) {
      auto attr = dictionary.getAs<mlir::DenseI64ArrayAttr>(name);
      if (!attr || attr.size() != 2 || attr[0] < 1 || attr[1] < 1)
        return false;
      into[0] = attr[0];
      into[1] = attr[1];
      return true;
    };
    return readPair("kernel", kernel) && readPair("strides", strides) && readPair("dilations", dilations);
  }

  /// Whether an outHeight x outWidth output reads only inside a
  /// paddedHeight x paddedWidth input.
  bool fits(int64_t outHeight, int64_t outWidth, int64_t paddedHeight, int64_t paddedWidth) const {
    auto extent = [&](int d) { return (kernel[d] - 1) * dilations[d] + 1; };
    return (outHeight - 1) * strides[0] + extent(0) <= paddedHeight &&
           (outWidth - 1) * strides[1] + extent(1) <= paddedWidth;
  }
};

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_CONVOLUTIONWINDOW_H
