//===- QoptOps.td - qopt operations ------------------------*- tablegen -*-===//

#ifndef QOPT_DIALECT_QOPTOPS_TD
#define QOPT_DIALECT_QOPTOPS_TD

include "qopt/Dialect/QoptAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"

def Qopt_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Qopt_IndexTensor : RankedTensorOf<[I32, I64]>;

//===----------------------------------------------------------------------===//
// linear
//===----------------------------------------------------------------------===//

def Qopt_LinearOp : Qopt_Op<"linear", [Pure]> {
  let summary = "float linear layer: y = x W^T + b";
  let description = [{
    `result[..., n] = sum_k input[..., k] * weight[n, k] + bias[n]`.
    The weight is [N, K] (out, in), like torch.nn.Linear and llama2.c; the
    input has any number of leading dimensions. This is the unit that
    smoothing, rotation, GPTQ and bit allocation act on; passes expect the
    weight (and bias) to be constants.

    ```mlir
    %y = qopt.linear %x, %w, %b
           : tensor<4x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<4x32xf32>
    ```
  }];
  let arguments = (ins Qopt_FloatTensor:$input, Qopt_FloatTensor:$weight,
                       Optional<Qopt_FloatTensor>:$bias);
  let results = (outs Qopt_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,` type($weight)
    (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// qlinear
//===----------------------------------------------------------------------===//

def Qopt_QLinearOp : Qopt_Op<"qlinear", [Pure, AttrSizedOperandSegments]> {
  let summary = "quantized linear layer over packed weight codes";
  let description = [{
    The linear layer `y = x W^T + b` whose [N, K] weight is stored as codes
    of `format`, packed per `layout`, with one scale per `group` consecutive
    codes of a row (`group` = K: per channel; when `group` does not divide K
    the last group of a row is shorter, and there are ceil(K / group)
    groups). Weight element (n, k) is

        W[n, k] = scales[n, k / group] * (value(code[n, k]) - zeros[n, k / group])

    where value() decodes the format (the integer itself, a mini-float, an
    nf4 level, or `codebook` entry), and `zeros` is present only for
    asymmetric integer formats. For microscaled formats the scales are
    e8m0 (`f8E8M0FNU`) and `group` equals the format's block.

    Optional parts:
    - `codebook(%c)`: the values of `lut<N>` codes, [N_levels], per channel
      [N, N_levels] or per group [N, G, N_levels].
    - `bias(%b)`: [N].
    - `outliers(%row_ptr, %cols, %values)`: weights kept in float beside the
      codes (dense-and-sparse, SqueezeLLM/SpQR), in CSR form over [N, K];
      they are added to the dequantized weight.
    - `act`: the activation quantization the kernel applies to `input`
      (`#qopt.act<...>`); absent means float activations.

    ```mlir
    %y = qopt.qlinear %x, %codes, %scales zeros(%z) bias(%b)
           {format = #qopt.format<uint4>, group = 32 : i64}
           : (tensor<4x64xf32>, tensor<32x32xi8>, tensor<32x2xf16>, tensor<32x2xi8>,
              tensor<32xf32>) -> tensor<4x32xf32>
    ```
  }];
  let arguments = (ins
    Qopt_FloatTensor:$input,
    RankedTensorOf<[I8]>:$packed,
    RankedTensorOf<[AnyFloat]>:$scales,
    Optional<RankedTensorOf<[AnyFloat, AnySignlessInteger]>>:$zeros,
    Optional<Qopt_FloatTensor>:$codebook,
    Optional<Qopt_FloatTensor>:$bias,
    Optional<Qopt_IndexTensor>:$outlier_row_ptr,
    Optional<Qopt_IndexTensor>:$outlier_cols,
    Optional<Qopt_FloatTensor>:$outlier_values,
    Qopt_FormatAttr:$format,
    ConfinedAttr<I64Attr, [IntPositive]>:$group,
    DefaultValuedAttr<Qopt_PackedLayout, "::qopt::PackedLayout::row_major">:$layout,
    OptionalAttr<Qopt_ActQuantAttr>:$act);
  let results = (outs Qopt_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $packed `,` $scales
    (`zeros` `(` $zeros^ `)`)?
    (`codebook` `(` $codebook^ `)`)?
    (`bias` `(` $bias^ `)`)?
    (`outliers` `(` $outlier_row_ptr^ `,` $outlier_cols `,` $outlier_values `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Output features N (rows of the weight).
    int64_t getNumOutputs();
    /// Reduction size K (last dimension of the input).
    int64_t getReductionSize();
  }];
}

//===----------------------------------------------------------------------===//
// conv2d / qconv2d
//===----------------------------------------------------------------------===//

def Qopt_Conv2DOp : Qopt_Op<"conv2d", [Pure]> {
  let summary = "float 2-D convolution, NCHW (ONNX Conv)";
  let description = [{
    `input` [N, C, H, W], `weight` [F, C / groups, KH, KW], optional `bias`
    [F]; the result is [N, F, OH, OW] with

        OH = (H + pads[0] + pads[2] - ((KH - 1) * dilations[0] + 1)) / strides[0] + 1

    (likewise OW with index 1 and 3). `pads` are [top, left, bottom, right]
    as ONNX writes them (auto_pad is resolved at import). Input channels are
    split into `groups` groups; output channel f reads group f / (F / groups).
    Read as a matrix, the weight is [F, K] with K = C / groups * KH * KW in
    (channel, row, column) order: the matrix that weight quantization, GPTQ
    and the input Hessian (over image patches) work on.

    ```mlir
    %y = qopt.conv2d %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
                                  pads = array<i64: 1, 1, 1, 1>, groups = 1 : i64}
           : tensor<1x3x8x8xf32>, tensor<16x3x3x3xf32>, tensor<16xf32> -> tensor<1x16x8x8xf32>
    ```
  }];
  let arguments = (ins Qopt_FloatTensor:$input, Qopt_FloatTensor:$weight,
                       Optional<Qopt_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntPositive]>, "1">:$groups);
  let results = (outs Qopt_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,` type($weight)
    (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Qopt_QConv2DOp : Qopt_Op<"qconv2d", [Pure, AttrSizedOperandSegments]> {
  let summary = "quantized 2-D convolution over packed weight codes";
  let description = [{
    `qopt.conv2d` whose weight, read as the [F, K] matrix (K = C / groups *
    KH * KW, in (channel, row, column) order), is stored exactly as
    `qopt.qlinear` stores its [N, K] weight: codes of `format` packed per
    `layout`, one scale (and zero point, for asymmetric integers) per `group`
    consecutive codes of a row, the last group of a row possibly shorter.
    `kernel` is [KH, KW]; `groups` is the convolution's channel grouping (not
    the quantization `group`). `act`, when present, quantizes the input on
    its way into the kernel; convolutions take per-tensor scales (dynamic:
    the absolute maximum of the whole input; static: calibrated).
    `codebook`, for `lut<N>` codes, is as in `qopt.qlinear`.

    ```mlir
    %y = qopt.qconv2d %x, %codes, %scales bias(%b)
           {format = #qopt.format<int8>, group = 27 : i64, kernel = array<i64: 3, 3>,
            strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
            pads = array<i64: 1, 1, 1, 1>, groups = 1 : i64}
           : (tensor<1x3x8x8xf32>, tensor<16x27xi8>, tensor<16x1xf32>, tensor<16xf32>)
           -> tensor<1x16x8x8xf32>
    ```
  }];
  let arguments = (ins
    Qopt_FloatTensor:$input,
    RankedTensorOf<[I8]>:$packed,
    RankedTensorOf<[AnyFloat]>:$scales,
    Optional<RankedTensorOf<[AnyFloat, AnySignlessInteger]>>:$zeros,
    Optional<Qopt_FloatTensor>:$codebook,
    Optional<Qopt_FloatTensor>:$bias,
    Qopt_FormatAttr:$format,
    ConfinedAttr<I64Attr, [IntPositive]>:$group,
    DefaultValuedAttr<Qopt_PackedLayout, "::qopt::PackedLayout::row_major">:$layout,
    OptionalAttr<Qopt_ActQuantAttr>:$act,
    DenseI64ArrayAttr:$kernel,
    DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$pads,
    DefaultValuedAttr<ConfinedAttr<I64Attr, [IntPositive]>, "1">:$groups);
  let results = (outs Qopt_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $packed `,` $scales
    (`zeros` `(` $zeros^ `)`)?
    (`codebook` `(` $codebook^ `)`)?
    (`bias` `(` $bias^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Output channels F (rows of the weight matrix).
    int64_t getNumOutputs();
    /// K = C / groups * KH * KW (columns of the weight matrix).
    int64_t getReductionSize();
  }];
}

//===----------------------------------------------------------------------===//
// norm
//===----------------------------------------------------------------------===//

def Qopt_NormOp : Qopt_Op<"norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "RMSNorm or LayerNorm over the last dimension";
  let description = [{
    `rms`:   y = x / sqrt(mean(x^2) + eps) * gamma (+ beta)
    `layer`: y = (x - mean(x)) / sqrt(var(x) + eps) * gamma (+ beta)

    Normalization is over the last dimension; `gamma` and `beta` have its
    size. Smoothing scales and rotations fold into the gains.

    ```mlir
    %y = qopt.norm rms %x, %gamma {epsilon = 1.0e-05 : f32}
           : tensor<1x8x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins Qopt_NormKind:$kind, Qopt_FloatTensor:$input,
                       Qopt_FloatTensor:$gamma, Optional<Qopt_FloatTensor>:$beta,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon);
  let results = (outs Qopt_FloatTensor:$result);
  let assemblyFormat = [{
    $kind $input `,` $gamma (`,` $beta^)? attr-dict `:` type($input) `,` type($gamma)
    (`,` type($beta)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// hadamard
//===----------------------------------------------------------------------===//

def Qopt_HadamardOp : Qopt_Op<"hadamard", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "online Hadamard rotation of the last dimension";
  let description = [{
    Splits the last dimension into blocks of `size` and multiplies each
    block (a row vector) by the orthonormal Hadamard matrix H_size /
    sqrt(size). This is the rotation that cannot be folded into weights
    (QuaRot, Ashkboos et al. 2024). `size` = 2^k * m with H_m = 1 or a Paley
    matrix of order m <= 256, and H_size = H_m (x) H_2^k
    (qopt/Support/Hadamard.h): it lowers to k Walsh-Hadamard butterfly
    stages and, for m > 1, one m x m product: O(size * (k + m)) per block.

    ```mlir
    %y = qopt.hadamard %x {size = 64 : i64} : tensor<1x8x128xf32>
    ```
  }];
  let arguments = (ins Qopt_FloatTensor:$input,
                       ConfinedAttr<I64Attr, [IntPositive]>:$size);
  let results = (outs Qopt_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// quantize / dequantize
//===----------------------------------------------------------------------===//

def Qopt_QuantizeOp : Qopt_Op<"quantize", [Pure]> {
  let summary = "quantize activations to codes and scales";
  let description = [{
    Quantizes `input` symmetrically per `scheme`: per_token gives one scale
    per row (scales shape: input shape with last dimension 1), per_tensor one
    scale (all dimensions 1). Dynamic schemes compute
    scale = absmax / max_magnitude(format); static ones use the calibrated
    scale. Codes are round-half-to-even of input / scale, saturated.
    Integer codes are stored in i8, fp8_e4m3 codes in f8E4M3FN.

    ```mlir
    %codes, %scales = qopt.quantize %x {scheme = #qopt.act<int8, per_token>}
                        : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4x1xf32>
    ```
  }];
  let arguments = (ins Qopt_FloatTensor:$input, Qopt_ActQuantAttr:$scheme);
  let results = (outs AnyRankedTensor:$codes, Qopt_FloatTensor:$scales);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($codes) `,` type($scales)
  }];
  let hasVerifier = 1;
}

def Qopt_DequantizeOp : Qopt_Op<"dequantize", [Pure]> {
  let summary = "codes times scales (minus zero points) back to float";
  let description = [{
    `result = scales * (value(codes) - zeros)`, with `scales` and `zeros`
    broadcast to the shape of `codes`: each of their dimensions is 1 (one
    scale across it), equal to the codes' dimension (one per element), or a
    divisor of it (one per block of consecutive elements, as ONNX blocked
    DequantizeLinear). Codes are unpacked: one per element.

    ```mlir
    %x = qopt.dequantize %codes, %scales {format = #qopt.format<int8>}
           : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$codes, Qopt_FloatTensor:$scales,
                       Optional<RankedTensorOf<[AnyFloat, AnySignlessInteger]>>:$zeros,
                       Qopt_FormatAttr:$format);
  let results = (outs Qopt_FloatTensor:$result);
  let assemblyFormat = [{
    $codes `,` $scales (`zeros` `(` $zeros^ `:` type($zeros) `)`)? attr-dict `:`
    type($codes) `,` type($scales) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// observe
//===----------------------------------------------------------------------===//

def Qopt_ObserveOp : Qopt_Op<"observe", [AllTypesMatch<["input", "result"]>]> {
  let summary = "identity probe for calibration statistics";
  let description = [{
    Returns its input unchanged. Calibration inserts one probe per tensor it
    needs statistics of and records what flows through probe `id` (unique
    within a module). The probe has side effects on purpose: it must survive
    dead-code elimination while calibration runs.

    ```mlir
    %y = qopt.observe %x {id = 3 : i64, label = "layers.0.wq.input"} : tensor<1x8x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$id,
                       OptionalAttr<StrAttr>:$label);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

#endif // QOPT_DIALECT_QOPTOPS_TD
