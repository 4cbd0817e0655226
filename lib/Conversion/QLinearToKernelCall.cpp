//===- QLinearToKernelCall.cpp - qopt.qlinear -> a kernel call ------------===//
//
// A qopt.qlinear whose weight is in a panel layout (CPU), or a row_major
// one the GPU kernel covers when GPU kernels are asked for, becomes a call
// to a kernel function over buffers:
//
//   func.func private @qopt_qlinear_...(%x: memref<MxKxf32>, %packed, %scales,
//       [%zeros], [%codebook], [%bias], [%row_ptr, %cols, %values],
//       %out: memref<MxNxf32>) attributes {qopt.kernel = {...}}
//
// declared here with its configuration; qopt-generate-cpu-kernels (or
// -gpu-kernels) writes its body after bufferization (see CpuKernels.h,
// GpuKernels.h), where the kernel can use
// scratch buffers and parallel loops freely. The input is collapsed to
// [M, K] rows; the result is a fresh buffer.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/QoptToLinalg.h"

#include "GpuKernels.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/TensorOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace qopt;

namespace {

struct LowerQLinearToKernelCall : OpRewritePattern<QLinearOp> {
  LowerQLinearToKernelCall(MLIRContext *context, bool gpuKernels)
      : OpRewritePattern(context, /*benefit=*/2), gpuKernels(gpuKernels) {}

  LogicalResult matchAndRewrite(QLinearOp op, PatternRewriter &rewriter) const override {
    if (op.getLayout() == PackedLayout::row_major) {
      std::string reason = "row_major weights take the reference lowering on the CPU";
      if (!gpuKernels || !isCoveredByGpuKernel(op, &reason))
        return rewriter.notifyMatchFailure(op, reason);
    }
    auto inputType = op.getInput().getType();
    auto resultType = op.getResult().getType();
    if (!inputType.hasStaticShape() || !inputType.getElementType().isF32() ||
        !resultType.getElementType().isF32() ||
        (op.getBias() && !cast<ShapedType>(op.getBias().getType()).getElementType().isF32()))
      return op.emitOpError("packed kernels need static shapes and f32 input, bias and result");
    Location loc = op.getLoc();
    const int64_t k = op.getReductionSize(), n = op.getNumOutputs();
    const int64_t m = inputType.getNumElements() / k;

    Value rows = buildStaticReshape(rewriter, loc, op.getInput(), {m, k});
    SmallVector<Value> tensors = {rows, op.getPacked(), op.getScales()};
    if (op.getZeros())
      tensors.push_back(op.getZeros());
    if (op.getCodebook())
      tensors.push_back(op.getCodebook());
    if (op.getBias())
      tensors.push_back(op.getBias());
    if (op.getOutlierRowPtr())
      tensors.append({op.getOutlierRowPtr(), op.getOutlierCols(), op.getOutlierValues()});
    SmallVector<NamedAttribute> config = {
        rewriter.getNamedAttr("layout", op.getLayoutAttr()),
        rewriter.getNamedAttr("format", op.getFormatAttr()),
        rewriter.getNamedAttr("group", op.getGroupAttr()),
        rewriter.getNamedAttr("has_zeros", rewriter.getBoolAttr(bool(op.getZeros()))),
        rewriter.getNamedAttr("has_bias", rewriter.getBoolAttr(bool(op.getBias())))};
    if (op.getCodebook())
      config.push_back(rewriter.getNamedAttr("has_codebook", rewriter.getBoolAttr(true)));
    if (op.getOutlierRowPtr())
      config.push_back(rewriter.getNamedAttr("has_outliers", rewriter.getBoolAttr(true)));
    if (ActQuantAttr act = op.getActAttr())
      config.push_back(rewriter.getNamedAttr("act", act));
    std::string name = "qopt_qlinear_" + stringifyPackedLayout(op.getLayout()).str() + "_" +
                       sanitizeSymbol(op.getFormat().getValue().str()) + "_g" + std::to_string(op.getGroup()) + "_" +
                       std::to_string(m) + "x" +
                       std::to_string(k) + "x" + std::to_string(n);
    Value result = buildKernelCall(rewriter, loc, name, kKernelConfigAttrName, rewriter.getDictionaryAttr(config),
                                   tensors, RankedTensorType::get({m, n}, rewriter.getF32Type()));
    rewriter.replaceOp(op, buildStaticReshape(rewriter, loc, result, resultType.getShape()));
    return success();
  }

  bool gpuKernels;
};

} // namespace

void qopt::populateQLinearToKernelCallPatterns(RewritePatternSet &patterns, bool gpuKernels) {
  patterns.add<LowerQLinearToKernelCall>(patterns.getContext(), gpuKernels);
}
