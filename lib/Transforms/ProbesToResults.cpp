//===- ProbesToResults.cpp - qopt.observe -> extra function results -------===//

#include "qopt/Transforms/Passes.h"

#include "qopt/Dialect/QoptOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace qopt {
#define GEN_PASS_DEF_PROBESTORESULTS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

struct ProbesToResultsPass : qopt::impl::ProbesToResultsBase<ProbesToResultsPass> {
  void runOnOperation() override {
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      SmallVector<ObserveOp> probes;
      function.walk([&](ObserveOp probe) { probes.push_back(probe); });
      if (probes.empty())
        continue;
      if (!function.getBody().hasOneBlock()) {
        function.emitOpError("has probes but more than one block");
        return signalPassFailure();
      }
      auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
      OpBuilder builder(ret);
      // Bypass the probes first: a probe may be what the function returns.
      for (ObserveOp probe : probes)
        probe.getResult().replaceAllUsesWith(probe.getInput());
      SmallVector<Value> results(ret.getOperands());
      SmallVector<Type> resultTypes(function.getResultTypes());
      SmallVector<DictionaryAttr> resultAttrs;
      function.getAllResultAttrs(resultAttrs);
      resultAttrs.resize(resultTypes.size(), builder.getDictionaryAttr({}));
      llvm::DenseSet<Value> returned(results.begin(), results.end());
      for (ObserveOp probe : probes) {
        // Each result gets its own buffer: a tensor returned twice is copied.
        Value result = probe.getInput();
        if (!returned.insert(result).second) {
          auto type = cast<RankedTensorType>(result.getType());
          Value empty = tensor::EmptyOp::create(builder, probe.getLoc(), type.getShape(), type.getElementType());
          result = linalg::CopyOp::create(builder, probe.getLoc(), result, empty).getResult(0);
        }
        results.push_back(result);
        resultTypes.push_back(probe.getInput().getType());
        std::string name = probe.getLabel() ? probe.getLabel()->str() : "probe" + std::to_string(probe.getId());
        resultAttrs.push_back(builder.getDictionaryAttr(
            {builder.getNamedAttr("onnx.name", builder.getStringAttr(name)),
             builder.getNamedAttr("qopt.probe", builder.getI64IntegerAttr(int64_t(probe.getId())))}));
      }
      ret->setOperands(results);
      function.setType(builder.getFunctionType(function.getArgumentTypes(), resultTypes));
      function.setAllResultAttrs(resultAttrs);
      for (ObserveOp probe : probes)
        probe.erase();
    }
  }
};

} // namespace
