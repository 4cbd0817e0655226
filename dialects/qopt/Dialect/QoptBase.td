//===- QoptBase.td - The qopt dialect ----------------------*- tablegen -*-===//

#ifndef QOPT_DIALECT_QOPTBASE_TD
#define QOPT_DIALECT_QOPTBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Qopt_Dialect : Dialect {
  let name = "qopt";
  let cppNamespace = "::qopt";
  let summary = "Quantization as first-class IR: linears, norms, rotations and packed codes";
  let description = [{
    The qopt dialect holds what qopt's quantization passes reason about: float
    linear layers with constant weights (`qopt.linear`), their quantized form
    with packed codes, per-group scales and optional zero points, codebooks
    and sparse outliers (`qopt.qlinear`), normalizations where smoothing
    scales and rotations fold (`qopt.norm`), online rotations
    (`qopt.hadamard`), activation quantization (`qopt.quantize`,
    `qopt.dequantize`) and calibration probes (`qopt.observe`).

    Number formats are an attribute, `#qopt.format<int4>`, never baked into
    element types: scales and zero points are ordinary tensor operands, so
    group-wise LLM weights stay compact.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    /// Registers the attributes (defined in QoptAttrs.cpp, where their
    /// storage classes are complete).
    void registerAttributes();
  }];
}

class Qopt_Op<string mnemonic, list<Trait> traits = []>
    : Op<Qopt_Dialect, mnemonic, traits>;

class Qopt_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Qopt_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // QOPT_DIALECT_QOPTBASE_TD
