//===- Passes.td - qopt transformation passes --------------*- tablegen -*-===//
//
// Every qopt pass is declared here; its implementation is one .cpp file in
// lib/Transforms/ that starts with GEN_PASS_DEF_<NAME>, and its lit test is
// test/Transforms/<flag>.mlir.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TRANSFORMS_PASSES_TD
#define QOPT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseLinear : Pass<"qopt-fuse-linear"> {
  let summary = "Rewrite matmuls with a constant weight (+ bias add) into qopt.linear";
  let description = [{
    Finds the linear layers of an imported graph and makes them `qopt.linear`
    ops, the unit every quantization pass acts on:

    - `tosa.matmul %x, %w` with a constant weight of shape [1, K, N] and zero
      zero-points;
    - `linalg.matmul` with a constant [K, N] weight, or a constant [N, K]
      weight under transposed-B indexing maps, accumulating into zeros;
    - then a following add of a constant bias that broadcasts along N
      (`tosa.add`, `arith.addf`, `linalg.add`, or a `linalg.generic` whose
      body is one addf and which reads the bias along the last dimension only;
      either operand order, the bias optionally through `linalg.broadcast`)
      folds into the linear.

    - `linalg.matmul` whose weight is `qopt.dequantize` of constant integer
      codes [K, N] (ONNX DequantizeLinear of an initializer) becomes
      `qopt.qlinear`: codes transposed to [N, K] and packed row_major,
      scales and zero points (per tensor, per output channel or per block
      along K) laid out [N, K / group]; a `qopt.conv2d` of dequantized 8-bit
      codes with per-tensor or per-output-channel scales becomes
      `qopt.qconv2d` (ONNX Runtime's QDQ convolutions).

    The weight is stored [N, K] (out, in); a [K, N] constant is transposed
    once into a new resource blob. Constants reshaped from resource blobs
    share their data. Matmuls whose weight is not constant are left alone.
  }];
  let dependentDialects = ["::qopt::QoptDialect", "::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numLinears", "linears", "Number of matmuls rewritten into qopt.linear">,
    Statistic<"numQLinears", "qlinears", "Number of matmuls (convolutions) of dequantized weights rewritten into qopt.qlinear (qopt.qconv2d)">,
    Statistic<"numBiases", "biases", "Number of bias adds folded into qopt.linear">,
  ];
}

def QuantizeWeights : Pass<"qopt-quantize-weights"> {
  let summary = "Quantize the constant weights of qopt.linear and qopt.conv2d";
  let description = [{
    Every `qopt.linear` (`qopt.conv2d`) with a constant weight becomes a
    `qopt.qlinear` (`qopt.qconv2d`) whose weight is stored as codes of
    `format`, packed row_major, with one scale per `group` consecutive
    elements of a row (0: per output channel; a group that does not divide K
    leaves a shorter last group). A convolution's rows are its output
    channels, each of K = C / groups * KH * KW weights.

    - `method=rtn`: round to nearest. Symmetric quantization scales each
      group's absolute maximum onto the format's largest magnitude (signed
      integer codes, mini-floats, nf4); asymmetric (`symmetric=false`, uint
      formats) maps [min, max] onto the codes with a zero point;
      microscaled formats (mxfp4, mxint8...) use OCP MX power-of-two (e8m0)
      scales per block. `clip-search` tries clipping ratios 1.0..0.5 per
      group and keeps the one with the least squared error.

    - `method=gptq`: GPTQ (qopt/Quant/Gptq.h) against the layer's input
      Hessian `qopt.calib.hessian` left by calibration (`qopt compile
      --calib`; for a convolution, the Hessian of its image patches); a
      layer without one is an error, and grouped convolutions (one Hessian
      per group) are rounded by RTN with a warning. `damp` is the fraction of
      the mean diagonal added to it, `act-order` quantizes columns by
      decreasing Hessian diagonal with groups kept contiguous.

    - `format=lut<N>` (linears): codes index fitted codebooks (weighted
      k-means, SqueezeLLM, qopt/Quant/Codebook.h), each value weighing the
      Hessian diagonal H_kk of its column when calibration left one. With
      `group=0` a codebook per output channel (scale 1); with a group, one
      codebook over the values normalized by their group's absmax.

    - `outliers=f` (linears): the fraction f of weights with the largest
      |w| sqrt(H_kk) (|w| without a Hessian) stays in float in a CSR side
      table (dense-and-sparse, SqueezeLLM/SpQR); the rest is quantized
      with them zeroed, and the table holds W - Q(W) at their positions, so
      they are exact.

    - `correct-bias`: adds (W - Q(W)) E[x] to each output channel's bias
      (creating one if needed), E[x] the calibrated input mean
      `qopt.calib.channel_mean`: the output's mean is then the float one
      (bias correction, Nagel et al. 2019; Hubara et al. 2020).

    Rounding is half to even with saturation (qopt/Quant/NumberFormat.h).
    Calibration attributes (`qopt.calib.*`) carry over to the quantized op.
  }];
  let options = [
    Option<"method", "method", "std::string", /*default=*/"\"rtn\"",
           "Quantization method: rtn or gptq">,
    Option<"format", "format", "std::string", /*default=*/"\"int4\"",
           "Number format of the codes: int2..int8, uint2..uint8 (asymmetric), fp8_e4m3, "
           "fp6_e3m2, fp4_e2m1, nf4, mxfp4, mxfp6_e3m2, mxfp8_e4m3, mxint8">,
    Option<"group", "group", "int64_t", /*default=*/"128",
           "Elements of a row sharing a scale (0: per output channel)">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "Symmetric (no zero point) or asymmetric (uint formats, zero points)">,
    Option<"clipSearch", "clip-search", "bool", /*default=*/"false",
           "Search per group the clipping ratio with the least squared error">,
    Option<"damp", "damp", "double", /*default=*/"0.01",
           "GPTQ: fraction of the mean Hessian diagonal added to it">,
    Option<"actOrder", "act-order", "bool", /*default=*/"false",
           "GPTQ: quantize columns by decreasing Hessian diagonal">,
    Option<"outliers", "outliers", "double", /*default=*/"0.0",
           "Fraction of each linear's weights kept in float (CSR side table)">,
    Option<"correctBias", "correct-bias", "bool", /*default=*/"false",
           "Add the quantized weight's output mean shift to the bias (needs calibration)">,
  ];
  let dependentDialects = ["::qopt::QoptDialect", "::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numQuantized", "quantized", "Number of linears quantized">,
  ];
}

def QuantizeActivations : Pass<"qopt-quantize-activations"> {
  let summary = "Give every qopt.qlinear and qopt.qconv2d an activation quantization scheme";
  let description = [{
    Sets `act = #qopt.act<format, granularity[, scale]>` on every
    `qopt.qlinear` and `qopt.qconv2d`, so its input is quantized on the way
    into the kernel (W8A8, W4A8, fp8 activations):

    - `granularity=per_token` (dynamic): one scale per row, absmax / max
      magnitude, computed at run time;
    - `granularity=per_tensor` (static): one calibrated scale,
      range / max magnitude, where `range` picks the statistic calibration
      left on the layer: `absmax`, or the 0.999 / 0.9999 / 0.99999 quantile
      of |x| (`q999`, `q9999`, `q99999`). A layer without calibration
      statistics is an error.

    Convolutions take per-tensor scales: with `per_token` they get a dynamic
    per-tensor scale (absmax of the whole input at run time). Float
    `qopt.linear` and `qopt.conv2d` layers are left alone (quantize weights
    first).
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"int8\"",
           "Activation format: int8 (or another signed integer) or fp8_e4m3">,
    Option<"granularity", "granularity", "std::string", /*default=*/"\"per_token\"",
           "per_token (dynamic) or per_tensor (static, calibrated)">,
    Option<"range", "range", "std::string", /*default=*/"\"absmax\"",
           "Static range: absmax, q999, q9999 or q99999">,
  ];
  let dependentDialects = ["::qopt::QoptDialect"];
  let statistics = [
    Statistic<"numQuantized", "quantized", "Number of layers given an activation scheme">,
  ];
}

def PackWeights : Pass<"qopt-pack-weights"> {
  let summary = "Repack quantized weights into the layouts of the target's kernels";
  let description = [{
    Rewrites the constant packed codes, scales and zero points of each
    `qopt.qlinear` from `row_major` into the layout its target kernel reads
    (`target=cpu`: see qopt/Quant/PanelLayout.h; `target=sm_80|sm_90`:
    see qopt/Quant/MmaLayout.h):

    - float activations, 4- or 8-bit codes of fixed value (int, uint with
      zero points, fp4_e2m1 and mxfp4, nf4, fp8_e4m3): `panel16`, for the
      multiply-add kernels that decode codes in registers;
    - int8 activations (`act = #qopt.act<int8, ...>`) with 4- or 8-bit
      integer codes: `panel16_dot`, for the int8 dot-product (VNNI) kernels.

    - GPU targets: 4- or 8-bit integer codes with float activations of at
      least `gemm-min-rows` rows (M) -> `mma_sm80`, for the tensor-core GEMM
      (mma.sync m16n8k16, the same on sm_80 and sm_90). Fewer rows keep
      `row_major`, which the GEMV kernel reads.

    The weight's values do not change, only where its bytes are. Layers the
    kernels do not cover keep `row_major` and the reference lowering: other
    code widths, lookup formats, outliers, non-f32 inputs, fp8 activations,
    non-constant weights, convolutions.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "Kernel family to pack for: cpu, sm_80, sm_90">,
    Option<"gemmMinRows", "gemm-min-rows", "int64_t", /*default=*/"17",
           "GPU targets: the fewest input rows (M) that take the tensor-core layout">,
  ];
  let dependentDialects = ["::qopt::QoptDialect", "::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numPacked", "packed", "Number of layers repacked">,
  ];
}

def RecognizeNorms : Pass<"qopt-recognize-norms"> {
  let summary = "Recognize RMSNorm and LayerNorm in elementwise IR as qopt.norm";
  let description = [{
    Finds y = x * c / sqrt(mean(x^2) + eps) over the last dimension (and,
    with x = x0 - mean(x0), LayerNorm of x0) however the exporter spelled
    it: the generic bodies are evaluated at probe points, so Pow or Mul,
    ReduceMean or ReduceSum with Div, Sqrt then Reciprocal or Div or Rsqrt
    all match, and eps and c are recovered. A per-channel gain (and offset)
    generic that is the norm's only reader becomes gamma (and beta). Each
    match becomes one `qopt.norm`, which smoothing and rotation fold into.
  }];
  let dependentDialects = ["::qopt::QoptDialect", "::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numRecognized", "recognized", "Number of norms recognized">,
  ];
}

def Smooth : Pass<"qopt-smooth"> {
  let summary = "SmoothQuant: migrate activation outliers into the weights";
  let description = [{
    For each value X read only by `qopt.linear`s (q/k/v after a norm;
    gate/up after the second norm), produced by an elementwise multiply with
    a constant vector along the channels (a norm's gain, as any exporter
    writes it; an added constant vector, LayerNorm's beta, too), computes
    per input channel j

        s_j = max|X_j|^alpha / max|W_:j|^(1 - alpha)

    from the calibration statistics (`qopt.calib.channel_absmax`) and the
    readers' weights, divides the gain (and beta) by s and multiplies each
    reader's weight columns by s. The float model computes the same
    function; the activations are easier to quantize per token. The
    readers' statistics are rescaled (channel maxima, absmax, Hessian);
    |x| quantiles cannot be and are dropped. Xiao et al. 2022.

    Other producers of X: a `qopt.norm` (gamma and beta), a linear whose
    output reaches X directly or through a step that commutes with positive
    per-channel scales (SwiGLU's product in `up`, ReLU; its rows and bias
    take 1/s), and a linear whose output reaches X head by head (attention's
    v -> o: one scale per position in a head, tied across heads, v's rows
    take 1/s).

    `search=awq` (Lin et al. 2023) instead sets s_j = max|X_j|^a (normalized
    to sqrt(max s * min s) = 1) with a picked on a grid of 21 points in
    [0, 1] to minimize the readers' output error after RTN quantization to
    `format`/`group`, computed exactly from the calibrated input Hessians
    (tr(dW H dW^T)); a = 0 is plain RTN, so the search never loses to it on
    the calibration data. A remark reports a and both errors.
  }];
  let options = [
    Option<"alpha", "alpha", "double", /*default=*/"0.5",
           "Migration strength in [0, 1]: 0 leaves activations, 1 moves all into weights">,
    Option<"search", "search", "std::string", /*default=*/"\"\"",
           "Empty: SmoothQuant's fixed alpha; awq: AWQ's search for the weight quantizer below">,
    Option<"format", "format", "std::string", /*default=*/"\"int4\"",
           "search=awq: the weight format the scales are searched for">,
    Option<"group", "group", "int64_t", /*default=*/"32",
           "search=awq: the weight quantization group (0: per channel)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numSmoothed", "smoothed", "Number of activations smoothed">,
  ];
}

def Rotate : Pass<"qopt-rotate"> {
  let summary = "QuaRot: Hadamard rotations of the residual stream folded into the weights";
  let description = [{
    Rotates the residual stream by Q = diag(random signs) H / sqrt(d)
    (SpinQuant's R1): the embedding rows become E Q, every linear that
    writes the stream Q^T W (bias b Q), every linear that reads it after an
    RMSNorm W diag(gamma) Q with the norm's gain folded in (the norm keeps
    unit gain; RMSNorm(xQ) = RMSNorm(x) Q). With `online` (R4), each
    residual writer (the down projection after SwiGLU's product, the
    attention output projection) also gets a `qopt.hadamard` on its input
    and H folded into its weight columns. The float model computes the same
    function; the rotated activations lose their outlier channels, which
    is what 4-bit activations need. Hessians from calibration rotate with
    the inputs; channel maxima and |x| quantiles are dropped.

    With `per-head` (R2), wherever a linear's output reaches other linears
    only head by head (attention's values: split into heads, repeated for
    GQA, mixed over positions by P.V, merged into the output projection),
    every head block is rotated by one randomized Hadamard folded into the
    producer's rows and the consumer's columns.

    A pre-LN stream read only by LayerNorms becomes an RMSNorm stream first:
    every writer (linear rows and bias, embedding rows) is centered over the
    channels, so the stream has zero mean and the LayerNorms' mean
    subtraction does nothing; they become RMSNorms with the same eps, gamma
    and beta (the beta becomes the readers' bias).

    Sizes: d and the online sizes need a Hadamard matrix (2^k times a Paley
    order, qopt/Support/Hadamard.h); otherwise the pass fails with the
    factorization it tried, or with `partial-online` rotates the largest
    block that has one. The stream must be read only by norms and residual
    adds and written only by linears, adds and the embedding gather: anything
    else is reported at the op. Ashkboos et al. 2024; Liu et al. 2024.
  }];
  let options = [
    Option<"kind", "kind", "std::string", /*default=*/"\"hadamard\"",
           "Rotation: hadamard (randomized Hadamard)">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0", "Seed of the random signs">,
    Option<"online", "online", "bool", /*default=*/"true",
           "Insert online Hadamards before the residual writers (R4)">,
    Option<"partialOnline", "partial-online", "bool", /*default=*/"false",
           "Where an online size has no Hadamard matrix, rotate the largest block that has one">,
    Option<"perHead", "per-head", "bool", /*default=*/"true",
           "Rotate each attention head's values, folded into v and o (R2)">,
  ];
  let dependentDialects = ["::qopt::QoptDialect", "::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numRotated", "rotated", "Number of stream writers and embeddings rotated">,
    Statistic<"numOnline", "online-hadamards", "Number of online Hadamards inserted">,
    Statistic<"numPerHead", "per-head", "Number of value paths rotated per head (R2)">,
    Statistic<"numCentered", "centered-norms", "Number of LayerNorms turned into RMSNorms">,
  ];
}

def QuantizeKvCache : Pass<"qopt-quantize-kv-cache"> {
  let summary = "KV-cache storage formats (f16, int8, int4 KIVI-style) and QuaRot's R3 on q/k";
  let description = [{
    Acts on the function arguments marked `qopt.kv_cache = "key"|"value"`
    (the mark is consumed):
    a decoder step's past keys and values [1, heads, slots, head_size]
    that are concatenated with the step's new entries into `present`
    (`qopt compile --generate` marks them; the generator keeps the cache).

    `format` is how the generator stores the cache and the step reads it:
    `f32` leaves the arguments alone; `f16` makes them f16 tensors widened
    on entry; `int8` / `int4` make them unsigned codes (`i8`, int4 two per
    byte: channel e in the low nibble of byte e, channel e + head_size/2 in
    the high one) plus two new f32 arguments `<name>.scale` and
    `<name>.offset` (x = code * scale + offset, asymmetric). Keys are
    quantized per channel over groups of `group` slots (scales
    [1, heads, slots/group, head_size]), values per slot over groups of
    min(group, head_size/2) channels (scales [1, heads, slots, groups]), as
    KIVI (Liu et al. 2024) does. The dequantization is one generic per
    argument, at the top of the function.

    With `hadamard` (QuaRot's R3, Ashkboos et al. 2024), the step's new
    keys are rotated by the orthonormal Hadamard matrix of size head_size
    before they join the cache, and so is every query they meet: each
    contraction that the cached keys reach (through reshapes, transposes
    and head repeats that keep the head_size dimension whole) gets a
    `qopt.hadamard` on its other operand, whose contracted dimension must
    be its last. q·k is unchanged; the rotated keys lose their outlier
    channels before they are quantized. A path the pass cannot follow is an
    error at the op.
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"f16\"",
           "Cache storage: f32, f16, int8 or int4">,
    Option<"group", "group", "int64_t", /*default=*/"32",
           "Slots per key scale group; channels per value scale group (at most head_size/2)">,
    Option<"hadamard", "hadamard", "bool", /*default=*/"false",
           "Rotate the cached keys and the queries that meet them by a Hadamard matrix (R3)">,
  ];
  let dependentDialects = ["::qopt::QoptDialect", "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numConverted", "converted", "Number of cache arguments given another storage format">,
    Statistic<"numRotated", "rotated-queries", "Number of query operands rotated (R3)">,
  ];
}

def AllocateBits : Pass<"qopt-allocate-bits", "::mlir::ModuleOp"> {
  let summary = "Mixed precision: one weight scheme per layer under a size budget (integer program)";
  let description = [{
    Chooses for every linear layer and convolution with a constant weight
    one of the `candidates` weight schemes (format and group, e.g.
    int4-g32) so that the summed sensitivity is least while the weights fit
    the budget: `budget` bits per weight over these layers, or `size-mb`
    megabytes, and/or the kernels within `latency-ms` milliseconds (summed
    over the layers; each layer x scheme's latency is its compiled kernel's
    time on this machine, `qopt.calib.latency`, measured by the driver,
    qopt/Calibration/KernelLatency.h). The integer program of Hubara et al. 2020, solved by GLPK
    (qopt/Quant/BitAllocation.h). Layers that must share a scheme are tied
    into one variable: layers reading one weight, and with `tie=inputs`
    also layers reading one input (q/k/v, gate/up), so that a fused kernel
    can serve them.

    Sensitivity of a layer to a scheme: `measured` reads
    `qopt.calib.sensitivity` (the model's output KLD with only that layer
    quantized, measured on calibration data by the driver); `proxy` is the
    HAWQ-style Hessian-weighted weight error sum_nk (W - Q(W))_nk^2 H_kk
    from the calibrated input Hessian (RTN), cheap for large models; `auto`
    uses measured sensitivities when every layer has them.

    Each chosen scheme is written to the layer as `qopt.weight_scheme`,
    which qopt-quantize-weights honours. A remark summarizes the solver, its
    time and optimality gap; `report` writes a JSON report with every
    layer's scheme, bits, sensitivity, size (and latency).
  }];
  let options = [
    Option<"budget", "budget", "double", /*default=*/"0.0",
           "Average bits per weight, scales included (e.g. 4.25)">,
    Option<"sizeMb", "size-mb", "double", /*default=*/"0.0",
           "Total weight storage in megabytes (10^6 bytes), instead of budget">,
    Option<"latencyMs", "latency-ms", "double", /*default=*/"0.0",
           "Summed kernel latency of the layers in milliseconds (with or without a size budget)">,
    Option<"candidates", "candidates", "std::string",
           /*default=*/"::qopt::kDefaultAllocationCandidates.str()",
           "Comma-separated weight schemes to choose from">,
    Option<"sensitivity", "sensitivity", "std::string", /*default=*/"\"auto\"",
           "Sensitivities: auto, measured or proxy">,
    Option<"tie", "tie", "std::string", /*default=*/"\"weights\"",
           "Layers forced to one scheme: weights (shared weights) or inputs (also a shared input)">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write the per-layer allocation as JSON to this file">,
    Option<"timeLimit", "time-limit", "double", /*default=*/"60.0",
           "Seconds the solver may take (then the best allocation found, with its gap)">,
  ];
}

def InsertProbes : Pass<"qopt-insert-probes", "::mlir::ModuleOp"> {
  let summary = "Insert qopt.observe probes on the inputs (and outputs) of layers";
  let description = [{
    Calibration's first step: every `qopt.linear` / `qopt.qlinear` /
    `qopt.conv2d` / `qopt.qconv2d` input
    gets a `qopt.observe` probe (one per distinct tensor, so q/k/v sharing
    their input share a probe), labelled with the layer's name (its ONNX
    node) and `.input`; with `outputs=true` every layer output gets one
    labelled `.output` (per-layer fidelity in `qopt eval`). Probe ids
    continue after the largest id already in the module.
  }];
  let options = [
    Option<"inputs", "inputs", "bool", /*default=*/"true", "Probe each layer's input">,
    Option<"outputs", "outputs", "bool", /*default=*/"false", "Probe each layer's output">,
  ];
  let dependentDialects = ["::qopt::QoptDialect"];
  let statistics = [
    Statistic<"numProbes", "probes", "Number of probes inserted">,
  ];
}

def ProbesToResults : Pass<"qopt-probes-to-results", "::mlir::ModuleOp"> {
  let summary = "Return what each qopt.observe probe sees as an extra function result";
  let description = [{
    Makes probes observable by an ordinary compiled model: each
    `qopt.observe` is removed and its input appended to its function's
    results, in walk order, with the result attributes `onnx.name` (the
    probe's label, else `probe<id>`) and `qopt.probe = id`. A tensor the
    function already returns is copied (`linalg.copy`), so that every
    result has a buffer of its own. A function with probes must have a
    single block.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

#endif // QOPT_TRANSFORMS_PASSES_TD
