//===- Recipes.cpp - Named quantization recipes ---------------------------===//
//
// The one place where recipes are assembled. Names follow the field's
// convention: w<weight bits>a<activation bits>[-g<group>][-<method>].
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Recipes.h"

#include "llvm/ADT/StringSet.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>

using namespace qopt;

static const Recipe kRecipes[] = {
    {"float", "no quantization", ""},
    {"w8a16", "int8 weights per output channel, RTN, symmetric",
     "qopt-quantize-weights{format=int8 group=0}"},
    {"w4a16-g128", "int4 weights in groups of 128, RTN, symmetric",
     "qopt-quantize-weights{format=int4 group=128}"},
    {"w4a16-g64", "int4 weights in groups of 64, RTN, symmetric",
     "qopt-quantize-weights{format=int4 group=64}"},
    {"w4a16-g32", "int4 weights in groups of 32, RTN, symmetric",
     "qopt-quantize-weights{format=int4 group=32}"},
    {"w4a16-g32-asym", "uint4 weights with zero points in groups of 32, RTN",
     "qopt-quantize-weights{format=uint4 group=32 symmetric=false}"},
    {"w4a16-g32-clip", "int4 weights in groups of 32, RTN with an MSE clipping search",
     "qopt-quantize-weights{format=int4 group=32 clip-search=true}"},
    {"w3a16-g32", "int3 weights in groups of 32, RTN, symmetric",
     "qopt-quantize-weights{format=int3 group=32}"},
    {"w6a16-g128", "int6 weights in groups of 128, RTN, symmetric",
     "qopt-quantize-weights{format=int6 group=128}"},
    {"w2a16-g32", "int2 weights in groups of 32, RTN, symmetric",
     "qopt-quantize-weights{format=int2 group=32}"},
    {"w2a16-g64", "int2 weights in groups of 64, RTN, symmetric",
     "qopt-quantize-weights{format=int2 group=64}"},
    {"nf4-g64", "NormalFloat4 weights in groups of 64 (QLoRA)",
     "qopt-quantize-weights{format=nf4 group=64}"},
    {"fp4-g32", "fp4_e2m1 weights in groups of 32 with f32 scales",
     "qopt-quantize-weights{format=fp4_e2m1 group=32}"},
    {"mxfp4", "OCP MXFP4: fp4_e2m1 weights, e8m0 scale per 32",
     "qopt-quantize-weights{format=mxfp4}"},
    {"fp8-w", "fp8_e4m3 weights per output channel", "qopt-quantize-weights{format=fp8_e4m3 group=0}"},
    // GPTQ: the input Hessians come from calibration.
    {"w8a16-gptq", "int8 weights per output channel, GPTQ",
     "qopt-quantize-weights{method=gptq format=int8 group=0}", true},
    {"w4a16-g128-gptq", "int4 weights in groups of 128, GPTQ",
     "qopt-quantize-weights{method=gptq format=int4 group=128}", true},
    {"w4a16-g64-gptq", "int4 weights in groups of 64, GPTQ",
     "qopt-quantize-weights{method=gptq format=int4 group=64}", true},
    {"w4a16-g32-gptq", "int4 weights in groups of 32, GPTQ",
     "qopt-quantize-weights{method=gptq format=int4 group=32}", true},
    {"w4a16-g32-gptq-ao", "int4 weights in groups of 32, GPTQ with act-order (static groups)",
     "qopt-quantize-weights{method=gptq format=int4 group=32 act-order=true}", true},
    {"w3a16-g32-gptq", "int3 weights in groups of 32, GPTQ",
     "qopt-quantize-weights{method=gptq format=int3 group=32}", true},
    {"nf4-g64-gptq", "NormalFloat4 weights in groups of 64, GPTQ",
     "qopt-quantize-weights{method=gptq format=nf4 group=64}", true},
    {"fp4-g32-gptq", "fp4_e2m1 weights in groups of 32 with f32 scales, GPTQ",
     "qopt-quantize-weights{method=gptq format=fp4_e2m1 group=32}", true},
    {"mxfp4-gptq", "OCP MXFP4 weights, GPTQ", "qopt-quantize-weights{method=gptq format=mxfp4}", true},
    // Fitted codebooks (lut<N>): weighted k-means against the calibrated
    // input Hessian's diagonal.
    {"lut16-g32", "4-bit codes into one fitted 16-entry codebook per layer, f32 scales per 32",
     "qopt-quantize-weights{format=lut<16> group=32}", true},
    {"lut8-g32", "3-bit codes into one fitted 8-entry codebook per layer, f32 scales per 32",
     "qopt-quantize-weights{format=lut<8> group=32}", true},
    {"lut16", "4-bit codes into a fitted 16-entry codebook per output channel (SqueezeLLM)",
     "qopt-quantize-weights{format=lut<16> group=0}", true},
    // Dense-and-sparse: 0.5 % of the weights (by |w| sqrt(H_kk)) in float.
    {"w3a16-g32-sparse", "int3 weights in groups of 32, RTN, 0.5% outliers kept in float (CSR)",
     "qopt-quantize-weights{format=int3 group=32 outliers=0.005}", true},
    {"w4a16-g32-sparse", "int4 weights in groups of 32, RTN, 0.5% outliers kept in float (CSR)",
     "qopt-quantize-weights{format=int4 group=32 outliers=0.005}", true},
    // Bias correction: the output mean shift of each layer's weight error
    // over the calibrated input mean goes into its bias.
    {"w3a16-g32-bc", "int3 weights in groups of 32, RTN, bias correction",
     "qopt-quantize-weights{format=int3 group=32 correct-bias=true}", true},
    {"w4a16-g32-bc", "int4 weights in groups of 32, RTN, bias correction",
     "qopt-quantize-weights{format=int4 group=32 correct-bias=true}", true},
    {"w2a16-g32-bc", "int2 weights in groups of 32, RTN, bias correction",
     "qopt-quantize-weights{format=int2 group=32 correct-bias=true}", true},
    // Quantized activations.
    {"w8a8", "int8 weights per channel; int8 activations per token (dynamic)",
     "qopt-quantize-weights{format=int8 group=0},"
     "qopt-quantize-activations{format=int8 granularity=per_token}"},
    {"w8a8-static", "int8 weights per channel; int8 activations per tensor, calibrated (q99999)",
     "qopt-quantize-weights{format=int8 group=0},"
     "qopt-quantize-activations{format=int8 granularity=per_tensor range=q99999}",
     true},
    {"w4a8", "int4 weights in groups of 32; int8 activations per token (dynamic)",
     "qopt-quantize-weights{format=int4 group=32},"
     "qopt-quantize-activations{format=int8 granularity=per_token}"},
    {"w4a8-gptq", "int4 weights in groups of 32 by GPTQ; int8 activations per token (dynamic)",
     "qopt-quantize-weights{method=gptq format=int4 group=32},"
     "qopt-quantize-activations{format=int8 granularity=per_token}",
     true},
    // SmoothQuant: per-channel scales from calibration migrate activation
    // outliers into the weights before quantization.
    {"float-smooth", "SmoothQuant scales folded (alpha 0.5), no quantization: the same function",
     "qopt-smooth{alpha=0.5}", true},
    {"w8a8-smooth", "SmoothQuant (alpha 0.5); int8 weights per channel; int8 activations per token",
     "qopt-smooth{alpha=0.5},"
     "qopt-quantize-weights{format=int8 group=0},"
     "qopt-quantize-activations{format=int8 granularity=per_token}",
     true},
    {"w4a8-smooth", "SmoothQuant (alpha 0.5); int4 weights in groups of 32; int8 activations per token",
     "qopt-smooth{alpha=0.5},"
     "qopt-quantize-weights{format=int4 group=32},"
     "qopt-quantize-activations{format=int8 granularity=per_token}",
     true},
    // QuaRot: the residual stream rotated by a randomized Hadamard, online
    // Hadamards before the residual writers; the same function in float.
    {"float-rotate", "Hadamard rotations folded (QuaRot R1 + online R4), no quantization: the same function",
     "qopt-rotate{partial-online=true}"},
    {"w4a4-rotate", "QuaRot: rotations; int4 weights per channel by GPTQ; int4 activations per token",
     "qopt-rotate{partial-online=true},"
     "qopt-quantize-weights{method=gptq format=int4 group=0},"
     "qopt-quantize-activations{format=int4 granularity=per_token}",
     true},
    {"w4a4", "int4 weights per channel by GPTQ; int4 activations per token (no rotation)",
     "qopt-quantize-weights{method=gptq format=int4 group=0},"
     "qopt-quantize-activations{format=int4 granularity=per_token}",
     true},
    // AWQ: scales searched for the int4 quantizer that follows.
    {"w4a16-awq", "AWQ scales (searched on calibration data); int4 weights in groups of 32, RTN",
     "qopt-smooth{search=awq format=int4 group=32},"
     "qopt-quantize-weights{format=int4 group=32}",
     true},
    {"w4a16-g32-rotate-gptq", "Hadamard rotations (QuaRot); int4 weights in groups of 32 by GPTQ",
     "qopt-rotate{partial-online=true},"
     "qopt-quantize-weights{method=gptq format=int4 group=32}",
     true},
    {"w8a8-fp8", "fp8_e4m3 weights per channel; fp8_e4m3 activations per token (dynamic)",
     "qopt-quantize-weights{format=fp8_e4m3 group=0},"
     "qopt-quantize-activations{format=fp8_e4m3 granularity=per_token}"},
};

llvm::ArrayRef<Recipe> qopt::getRecipes() { return kRecipes; }

/// A recipe made for `name` once and handed out by pointer for the life of
/// the process.
static const Recipe *internRecipe(llvm::StringRef name, const std::string &description,
                                  const std::string &pipeline, bool needsLatencies) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<Recipe>, std::less<>> made;
  static llvm::StringSet<> strings;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto found = made.find(name); found != made.end())
    return found->second.get();
  auto intern = [&](const std::string &text) { return strings.insert(text).first->getKey(); };
  auto recipe = std::make_unique<Recipe>(
      Recipe{intern(name.str()), intern(description), intern(pipeline), true, true, needsLatencies});
  return made.emplace(name.str(), std::move(recipe)).first->second.get();
}

/// The positive number after `prefix` in `name` ("mixed-4.25": "4.25").
static std::optional<llvm::StringRef> getBudgetText(llvm::StringRef name, llvm::StringRef prefix) {
  double value = 0;
  if (!name.consume_front(prefix) || name.getAsDouble(value) || !(value > 0))
    return std::nullopt;
  return name;
}

/// "latency-<ms>": bit allocation under a budget of <ms> milliseconds of
/// summed kernel time (measured per layer and scheme on this machine).
static const Recipe *getLatencyBudgetRecipe(llvm::StringRef name) {
  std::optional<llvm::StringRef> budget = getBudgetText(name, "latency-");
  if (!budget)
    return nullptr;
  return internRecipe(name,
                      "weights mixed by bit allocation (integer program) to " + budget->str() +
                          " ms of summed kernel time, measured on this machine; RTN",
                      "qopt-allocate-bits{latency-ms=" + budget->str() + " sensitivity=measured},qopt-quantize-weights",
                      true);
}

/// "mixed-<bpw>": bit allocation to an average of <bpw> bits per weight,
/// then RTN in each layer's chosen scheme.
static const Recipe *getMixedPrecisionRecipe(llvm::StringRef name) {
  std::optional<llvm::StringRef> budget = getBudgetText(name, "mixed-");
  if (!budget)
    return nullptr;
  return internRecipe(name,
                      "weights mixed by bit allocation (integer program) to " + budget->str() +
                          " bits per weight on average; RTN",
                      "qopt-allocate-bits{budget=" + budget->str() + " sensitivity=measured},qopt-quantize-weights",
                      false);
}

const Recipe *qopt::findRecipe(llvm::StringRef name) {
  for (const Recipe &recipe : kRecipes)
    if (recipe.name == name)
      return &recipe;
  if (const Recipe *mixed = getMixedPrecisionRecipe(name))
    return mixed;
  return getLatencyBudgetRecipe(name);
}
