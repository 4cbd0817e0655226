//===- InsertProbes.cpp - qopt.observe on layer inputs and outputs --------===//

#include "qopt/Transforms/Passes.h"

#include "LayerName.h"

#include "qopt/Dialect/QoptOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"

namespace qopt {
#define GEN_PASS_DEF_INSERTPROBES
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

struct InsertProbesPass : qopt::impl::InsertProbesBase<InsertProbesPass> {
  using InsertProbesBase::InsertProbesBase;

  void runOnOperation() override {
    int64_t nextId = 0;
    getOperation()->walk([&](ObserveOp probe) { nextId = std::max(nextId, int64_t(probe.getId()) + 1); });
    SmallVector<Operation *> layers;
    getOperation()->walk([&](Operation *op) {
      if (isa<LinearOp, QLinearOp, Conv2DOp, QConv2DOp>(op))
        layers.push_back(op);
    });
    llvm::DenseMap<Value, Value> probed; // tensor -> its probe
    OpBuilder builder(&getContext());
    for (auto [index, op] : llvm::enumerate(layers)) {
      Operation *layer = op;
      std::string name = getLayerName(layer, int64_t(index));
      auto probe = [&](Value value, StringRef suffix) {
        auto op = ObserveOp::create(builder, layer->getLoc(), value.getType(), value, uint64_t(nextId++),
                                    builder.getStringAttr(name + suffix));
        ++numProbes;
        return op.getResult();
      };
      if (inputs) {
        OpOperand &input = layer->getOpOperand(0);
        Value &observed = probed[input.get()];
        if (!observed) {
          builder.setInsertionPointAfterValue(input.get());
          observed = probe(input.get(), ".input");
        }
        input.set(observed);
      }
      if (outputs) {
        Value result = layer->getResult(0);
        builder.setInsertionPointAfter(layer);
        Value observed = probe(result, ".output");
        result.replaceAllUsesExcept(observed, observed.getDefiningOp());
      }
    }
  }
};

} // namespace
