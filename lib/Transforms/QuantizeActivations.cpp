//===- QuantizeActivations.cpp - #qopt.act on qlinear and qconv2d ---------===//

#include "qopt/Transforms/Passes.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/CalibrationAttributes.h"

#include "mlir/IR/BuiltinAttributes.h"

namespace qopt {
#define GEN_PASS_DEF_QUANTIZEACTIVATIONS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

struct QuantizeActivationsPass : qopt::impl::QuantizeActivationsBase<QuantizeActivationsPass> {
  using QuantizeActivationsBase::QuantizeActivationsBase;

  void runOnOperation() override {
    std::string error;
    std::optional<NumberFormat> parsed = NumberFormat::parse(format, &error);
    if (!parsed) {
      getOperation()->emitError() << "qopt-quantize-activations: " << error;
      return signalPassFailure();
    }
    std::optional<Granularity> parsedGranularity = symbolizeGranularity(granularity);
    if (!parsedGranularity) {
      getOperation()->emitError() << "qopt-quantize-activations: granularity must be per_token or "
                                     "per_tensor, not '"
                                  << granularity << "'";
      return signalPassFailure();
    }
    int quantile = range == "absmax" ? -1 : range == "q999" ? 0 : range == "q9999" ? 1 : range == "q99999" ? 2 : -2;
    if (quantile == -2) {
      getOperation()->emitError() << "qopt-quantize-activations: range must be absmax, q999, q9999 "
                                     "or q99999, not '"
                                  << range << "'";
      return signalPassFailure();
    }
    auto emitSchemeError = [&]() { return getOperation()->emitError() << "qopt-quantize-activations: "; };
    if (failed(ActQuantAttr::verifyInvariants(emitSchemeError, *parsed, *parsedGranularity, FloatAttr())))
      return signalPassFailure();

    WalkResult result = getOperation()->walk([&](Operation *op) {
      if (!isa<QLinearOp, QConv2DOp>(op))
        return WalkResult::advance();
      // Convolutions take per-tensor scales: a per-token request gives them
      // a dynamic per-tensor scale, computed from the whole input.
      bool isConv = isa<QConv2DOp>(op);
      FloatAttr scale;
      if (*parsedGranularity == Granularity::per_tensor) {
        auto absMax = op->getAttrOfType<FloatAttr>(calib::kAbsMax);
        auto quantiles = op->getAttrOfType<DenseElementsAttr>(calib::kAbsQuantiles);
        if (!absMax || !quantiles) {
          op->emitOpError("needs calibration statistics for a static activation scale "
                          "(qopt compile --calib samples)");
          return WalkResult::interrupt();
        }
        double calibratedRange =
            quantile < 0 ? absMax.getValueAsDouble() : double(quantiles.getValues<float>()[quantile]);
        // A layer whose input was always zero keeps scale 1.
        scale = FloatAttr::get(Float32Type::get(&getContext()),
                               calibratedRange > 0.0 ? calibratedRange / parsed->getMaxMagnitude() : 1.0);
      }
      auto act = ActQuantAttr::get(&getContext(), *parsed,
                                   isConv ? Granularity::per_tensor : *parsedGranularity, scale);
      if (auto qlinear = dyn_cast<QLinearOp>(op))
        qlinear.setActAttr(act);
      else
        cast<QConv2DOp>(op).setActAttr(act);
      ++numQuantized;
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
