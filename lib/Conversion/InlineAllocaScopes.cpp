//===- InlineAllocaScopes.cpp - drop alloca scopes that scope nothing -----===//
//
// convert-scf-to-openmp wraps every parallel loop body in a
// memref.alloca_scope. Upstream canonicalization inlines a scope only when
// it can prove no op inside allocates on the stack, and an op of unknown
// effects (the kernels' llvm.call_intrinsic) defeats the proof; the scope
// then outlives scf-to-cf, whose blocks it cannot hold. A scope without a
// memref.alloca inside scopes nothing and is inlined here.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace qopt {
#define GEN_PASS_DEF_INLINEALLOCASCOPES
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

struct InlineAllocaScopesPass : qopt::impl::InlineAllocaScopesBase<InlineAllocaScopesPass> {
  void runOnOperation() override {
    SmallVector<memref::AllocaScopeOp> scopes;
    getOperation()->walk([&](memref::AllocaScopeOp scope) {
      bool allocates = scope->walk([](memref::AllocaOp) { return WalkResult::interrupt(); }).wasInterrupted();
      if (!allocates && scope.getBodyRegion().hasOneBlock())
        scopes.push_back(scope);
    });
    IRRewriter rewriter(&getContext());
    for (memref::AllocaScopeOp scope : scopes) {
      Block *body = &scope.getBodyRegion().front();
      Operation *terminator = body->getTerminator();
      SmallVector<Value> results(terminator->getOperands());
      rewriter.eraseOp(terminator);
      rewriter.inlineBlockBefore(body, scope);
      rewriter.replaceOp(scope, results);
    }
  }
};

} // namespace
