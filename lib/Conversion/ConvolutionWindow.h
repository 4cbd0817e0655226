//===- ConvolutionWindow.h - A convolution kernel's window ------*- C++ -*-===//
//
// The window the depthwise and direct convolution kernels slide over their
// zero-padded input: kernel [KH, KW], strides and dilations, and the
// epilogue (KernelEpilogue.h), written into and read back from a kernel
// declaration's configuration attribute; and the buffers both kernels
// take, read back from the declaration's argument types: x [N, C, Hp, Wp],
// a rank-2 weight, [bias [F],] [the epilogue's operands,] out
// [N, F, OH, OW], all static f32.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_CONVOLUTIONWINDOW_H
#define QOPT_LIB_CONVERSION_CONVOLUTIONWINDOW_H

#include "CpuKernels.h"
#include "KernelEpilogue.h"

#include "qopt/Support/Convolution.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

namespace qopt {

struct ConvolutionWindow {
  int64_t kernel[2] = {1, 1}, strides[2] = {1, 1}, dilations[2] = {1, 1};
  int64_t batch = 1, channels = 0, paddedHeight = 0, paddedWidth = 0, filters = 0, outHeight = 0, outWidth = 0;
  /// The weight's [rows, columns].
  int64_t weightShape[2] = {0, 0};
  bool hasBias = false;
  KernelEpilogue epilogue;

  /// A KH x KW kernel with `geometry`'s strides and dilations.
  void set(int64_t kh, int64_t kw, const ConvolutionGeometry &geometry) {
    kernel[0] = kh;
    kernel[1] = kw;
    for (int d = 0; d < 2; ++d) {
      strides[d] = geometry.strides[d];
      dilations[d] = geometry.dilations[d];
    }
  }

  /// kernel, strides, dilations and the epilogue as a configuration.
  mlir::DictionaryAttr toAttribute(mlir::MLIRContext *context) const {
    mlir::Builder b(context);
    return b.getDictionaryAttr({b.getNamedAttr("kernel", b.getDenseI64ArrayAttr({kernel[0], kernel[1]})),
                                b.getNamedAttr("strides", b.getDenseI64ArrayAttr({strides[0], strides[1]})),
                                b.getNamedAttr("dilations", b.getDenseI64ArrayAttr({dilations[0], dilations[1]})),
                                b.getNamedAttr("epilogue", epilogue.toAttribute(context))});
  }

  /// Reads the window, the epilogue and the buffer shapes from `kernel`'s
  /// configuration `dictionary` and argument types: the reason they are
  /// not well-formed, or "".
  std::string readDeclaration(mlir::func::FuncOp kernel, mlir::DictionaryAttr dictionary) {
    if (!readWindow(dictionary))
      return "kernel, strides and dilations must be two positive integers each";
    std::optional<KernelEpilogue> read = KernelEpilogue::read(kernel, dictionary);
    if (!read)
      return "epilogue must be \"none\" or name an epilogue function";
    epilogue = *read;
    std::optional<llvm::SmallVector<mlir::Type>> inputs = epilogue.withoutOperands(kernel.getFunctionType().getInputs());
    if (!inputs)
      return "the epilogue's operands must be typed like out, right before it";
    return readOperands(*inputs);
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

  /// Reads the buffer shapes from a declaration's argument types; the
  /// reason they do not fit the window (wrong count, type or rank, bias or
  /// batch not matching out, out reading past the padded input), or "".
  std::string readOperands(mlir::TypeRange inputs) {
    if (inputs.size() != 3 && inputs.size() != 4)
      return "expected 3 or 4 buffer arguments";
    hasBias = inputs.size() == 4;
    if (!isStaticF32Buffer(inputs[0], 4) || !isStaticF32Buffer(inputs[1], 2) ||
        !isStaticF32Buffer(inputs.back(), 4) || (hasBias && !isStaticF32Buffer(inputs[2], 1)))
      return "x, w, [bias,] out must be static f32 memrefs of rank 4, 2, [1,] 4";
    auto xType = mlir::cast<mlir::MemRefType>(inputs[0]), wType = mlir::cast<mlir::MemRefType>(inputs[1]),
         outType = mlir::cast<mlir::MemRefType>(inputs.back());
    batch = xType.getDimSize(0);
    channels = xType.getDimSize(1);
    paddedHeight = xType.getDimSize(2);
    paddedWidth = xType.getDimSize(3);
    filters = outType.getDimSize(1);
    outHeight = outType.getDimSize(2);
    outWidth = outType.getDimSize(3);
    weightShape[0] = wType.getDimSize(0);
    weightShape[1] = wType.getDimSize(1);
    auto extent = [&](int d) { return (kernel[d] - 1) * dilations[d] + 1; };
    bool fits = (outHeight - 1) * strides[0] + extent(0) <= paddedHeight &&
                (outWidth - 1) * strides[1] + extent(1) <= paddedWidth;
    bool biasMatches = !hasBias || mlir::cast<mlir::MemRefType>(inputs[2]).getDimSize(0) == filters;
    if (outType.getDimSize(0) != batch || !biasMatches || !fits)
      return "operand shapes do not match the window";
    return "";
  }
};

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_CONVOLUTIONWINDOW_H
