//===- QoptAttrs.td - qopt attributes and enums ------------*- tablegen -*-===//

#ifndef QOPT_DIALECT_QOPTATTRS_TD
#define QOPT_DIALECT_QOPTATTRS_TD

include "qopt/Dialect/QoptBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Qopt_NormKind : I32EnumAttr<"NormKind", "normalization kind", [
    I32EnumAttrCase<"rms", 0>,
    I32EnumAttrCase<"layer", 1>]> {
  let cppNamespace = "::qopt";
}

def Qopt_Granularity : I32EnumAttr<"Granularity",
    "what one activation scale covers", [
    I32EnumAttrCase<"per_token", 0>,
    I32EnumAttrCase<"per_tensor", 1>]> {
  let cppNamespace = "::qopt";
  let genSpecializedAttr = 0;
}

def Qopt_PackedLayout : I32EnumAttr<"PackedLayout",
    "how packed weight codes are laid out in storage", [
    // Row n of the [N, K] code matrix is stored in row n of a [N, B] i8
    // tensor, B = ceil(K * bits / 8); code k occupies bits
    // [k * bits, (k + 1) * bits) of the row read as a little-endian bit
    // string (for int4: code 2j in the low nibble of byte j).
    I32EnumAttrCase<"row_major", 0>,
    // Panels of 16 rows for the CPU kernels with float activations (4- and
    // 8-bit codes): packed is [P, panel bytes], P = ceil(N / 16), and a
    // panel's steps hold one code (8-bit) or two consecutive codes (4-bit,
    // low nibble first) of each of its 16 rows. Scales and zeros are
    // [P, G, 16]. See qopt/Quant/PanelLayout.h.
    I32EnumAttrCase<"panel16", 1>,
    // Panels of 16 rows for int8 dot-product kernels (VNNI): each 32-bit
    // lane of a step holds 4 consecutive codes of its row (8-bit), or 8 (4-bit:
    // k..k+3 in the low nibbles, k+4..k+7 in the high ones).
    I32EnumAttrCase<"panel16_dot", 2>,
    // Tiles for the tensor-core GPU kernel (mma.sync.m16n8k16, sm_80 and
    // later; 4- and 8-bit codes): packed is [T, K / 16 * 512], T =
    // ceil(N / (256 / bits)) column tiles, and a lane's 16 bytes of a k step
    // are its B fragments for the whole tile. Scales and zeros are
    // [T, G, 256 / bits]. See qopt/Quant/MmaLayout.h.
    I32EnumAttrCase<"mma_sm80", 3>]> {
  let cppNamespace = "::qopt";
}

//===----------------------------------------------------------------------===//
// #qopt.format
//===----------------------------------------------------------------------===//

def Qopt_FormatAttr : Qopt_Attr<"Format", "format"> {
  let summary = "number format of quantized codes";
  let description = [{
    The format of one quantized code (see qopt/Quant/NumberFormat.h):

    ```mlir
    #qopt.format<int4>        // two's complement, [-8, 7]
    #qopt.format<uint3>       // [0, 7]
    #qopt.format<fp8_e4m3>    // OCP fp8, also fp6_e3m2, fp4_e2m1
    #qopt.format<nf4>         // NormalFloat4 levels
    #qopt.format<lut<16>>     // 16 values from a codebook operand
    #qopt.format<fp4_e2m1, mx = 32>  // microscaled: e8m0 scale per 32 codes
    #qopt.format<mxfp4>       // the same, by its OCP name (prints as above)
    ```
  }];
  let parameters = (ins "::qopt::NumberFormat":$value);
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    /// The element type that holds one unpacked code: i8 for integer,
    /// fp6/fp4/nf4 and lookup codes, f8E4M3FN for fp8_e4m3.
    ::mlir::Type getCodeStorageType() const;
  }];
}

//===----------------------------------------------------------------------===//
// #qopt.act
//===----------------------------------------------------------------------===//

def Qopt_ActQuantAttr : Qopt_Attr<"ActQuant", "act"> {
  let summary = "activation quantization scheme";
  let description = [{
    How activations are quantized on their way into a kernel:

    ```mlir
    #qopt.act<int8, per_token>                  // dynamic: absmax per row
    #qopt.act<fp8_e4m3, per_token>
    #qopt.act<int8, per_tensor, scale = 0.0213> // static, from calibration
    ```

    Dynamic schemes compute the scale at run time from the absolute maximum
    of each token (or of the whole tensor); a static scheme carries the
    calibrated scale. Quantization is symmetric, rounds half to even and
    saturates, as ONNX QuantizeLinear does.
  }];
  let parameters = (ins "::qopt::NumberFormat":$format,
                        "::qopt::Granularity":$granularity,
                        OptionalParameter<"::mlir::FloatAttr">:$staticScale);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool isStatic() const { return bool(getStaticScale()); }
  }];
}

#endif // QOPT_DIALECT_QOPTATTRS_TD
