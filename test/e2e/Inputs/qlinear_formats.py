"""Every weight format of qopt.qlinear against a numpy reference.

    qlinear_formats.py generate <dir> [--m M --k K --n N] [--act dynamic|static] [--exact]
    qlinear_formats.py check <dir> <exe>  runs the executable and compares

--act gives the integer formats int8 activations (per-token absmax scales, or
a static scale of 1), as W8A8/W4A8 kernels run them; the reference quantizes
x the same way (round half to even). --exact draws integer inputs, power-of-two
scales and integer biases, so that every product and sum is exact in f32 and
the result must equal the reference bit for bit (integer accumulation).
Shapes that are not multiples of the kernels' vector width (K, N) or of the
group (a shorter last group) exercise the tails.

Codes are random, packed here (row_major: code k of a row at bits
[k*b, (k+1)*b) of the row's little-endian bit string), and decoded here with
formulas independent of qopt's C++ tables. Codebooks (lut<N>) are per
channel or per tensor; some cases carry CSR outliers added to the weight. The compiled qopt.qlinear ops must
give x @ W^T + b with W = scale * (value(code) - zero), within float rounding.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

NF4 = [-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
       -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
       0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
       0.7229568362236023, 1.0]
# Cases that also carry outliers: a CSR side table added to the weight.
WITH_OUTLIERS = {"int4_outliers", "lut16_tensor"}
MINIFLOATS = {"fp8_e4m3": (4, 3, True), "fp6_e3m2": (3, 2, False), "fp4_e2m1": (2, 1, False)}

# name, format attribute, bits, group, zeros?, scale kind, codebook?
CASES = [
    ("int2", "int2", 2, 16, False, "f32", None),
    ("int3", "int3", 3, 32, False, "f32", None),
    ("int4", "int4", 4, 32, False, "f16", None),
    ("int8", "int8", 8, 64, False, "f32", None),
    ("uint3_zero", "uint3", 3, 16, True, "f32", None),
    ("uint4_zero", "uint4", 4, 32, True, "bf16", None),
    ("uint8_zero", "uint8", 8, 64, True, "f32", None),
    ("fp8_e4m3", "fp8_e4m3", 8, 32, False, "f32", None),
    ("fp6_e3m2", "fp6_e3m2", 6, 32, False, "f32", None),
    ("fp4_e2m1", "fp4_e2m1", 4, 16, False, "f32", None),
    ("nf4", "nf4", 4, 64, False, "f32", None),
    ("lut8", "lut<8>", 3, 32, False, "f32", "per_channel"),
    ("lut16_channel", "lut<16>", 4, 32, False, "f32", "per_channel"),
    ("lut16_tensor", "lut<16>", 4, 16, False, "f32", "per_tensor"),
    ("int4_outliers", "int4", 4, 32, False, "f32", None),
    ("mxfp4", "fp4_e2m1, mx = 32", 4, 32, False, "e8m0", None),
    ("mxint8", "int8, mx = 32", 8, 32, False, "e8m0", None),
]


def minifloat(code, exponent_bits, mantissa_bits, has_nan):
    sign = -1.0 if (code >> (exponent_bits + mantissa_bits)) & 1 else 1.0
    e = (code >> mantissa_bits) & ((1 << exponent_bits) - 1)
    m = code & ((1 << mantissa_bits) - 1)
    bias = (1 << (exponent_bits - 1)) - 1
    if has_nan and e == (1 << exponent_bits) - 1 and m == (1 << mantissa_bits) - 1:
        return float("nan")
    if e == 0:
        return sign * (m / (1 << mantissa_bits)) * 2.0 ** (1 - bias)
    return sign * (1 + m / (1 << mantissa_bits)) * 2.0 ** (e - bias)


def decode(fmt, bits, codes, codebook, row):
    if fmt.startswith("uint"):
        return codes.astype(np.float64)
    if fmt.startswith("int"):
        return np.where(codes >= 1 << (bits - 1), codes - (1 << bits), codes).astype(np.float64)
    if fmt == "nf4":
        return np.array(NF4)[codes]
    if fmt.startswith("lut"):
        if codebook.ndim == 1:
            return codebook[codes]
        return np.take_along_axis(codebook, codes, axis=1)
    base = fmt.split(",")[0]
    return np.vectorize(lambda c: minifloat(int(c), *MINIFLOATS[base]))(codes)


def pack(codes, bits):
    """Rows of codes -> row_major bytes (little-endian bit strings)."""
    rows = []
    for row in codes:
        value = 0
        for k, code in enumerate(row):
            value |= int(code) << (k * bits)
        rows.append(value.to_bytes((len(row) * bits + 7) // 8, "little"))
    return np.frombuffer(b"".join(rows), np.uint8).reshape(len(codes), -1)


def hex_dense(array):
    return '"0x' + np.ascontiguousarray(array).tobytes().hex().upper() + '"'


def quantize_rows(x, static):
    """x as the int8 activation quantizer sees it: codes times scales."""
    if static:
        scale = np.ones((x.shape[0], 1), np.float32)
    else:
        absmax = np.abs(x).max(axis=1, keepdims=True)
        scale = np.where(absmax == 0, np.float32(1), absmax / np.float32(127)).astype(np.float32)
    codes = np.clip(np.round(x / scale), -128, 127)  # np.round is half to even
    return codes.astype(np.float64) * scale.astype(np.float64)


def generate(directory, M, K, N, act, exact):
    rng = np.random.default_rng(0)
    if exact:
        x = rng.integers(-15, 16, (M, K)).astype(np.float32)
        bias = rng.integers(-8, 9, N).astype(np.float32)
    else:
        x = rng.standard_normal((M, K)).astype(np.float32)
        bias = rng.standard_normal(N).astype(np.float32)
    x_seen = quantize_rows(x, act == "static") if act else x.astype(np.float64)
    act_attribute = ""
    if act == "dynamic":
        act_attribute = ", act = #qopt.act<int8, per_token>"
    elif act == "static":
        act_attribute = ", act = #qopt.act<int8, per_tensor, scale = 1.0>"
    cases = [case for case in CASES
             if (not act or case[1].startswith(("int", "uint")))
             # nf4 and lut levels are not dyadic; fp8 values span 2^-9..448, so their
             # sums need more than f32's 24 bits
             and (not exact or not case[1].startswith(("nf4", "lut", "fp8_e4m3")))]
    lines, outputs, expected = [], [], {}
    for index, (name, attribute, bits, group, has_zeros, scale_kind, codebook_kind) in enumerate(cases):
        groups = -(-K // group)
        base = attribute.split(",")[0]
        codes = rng.integers(0, 1 << bits, (N, K))
        if base == "fp8_e4m3":  # no NaN codes
            codes = np.where((codes & 0x7F) == 0x7F, codes ^ 1, codes)
        packed = pack(codes, bits)
        codebook_shape = (1 << bits,) if codebook_kind == "per_tensor" else (N, 1 << bits)
        codebook = np.sort(rng.standard_normal(codebook_shape), axis=-1).astype(np.float32)
        if scale_kind == "e8m0":
            exponents = rng.integers(124 if exact else 120, 128 if exact else 130, (N, groups)).astype(np.uint8)
            scales = 2.0 ** (exponents.astype(np.float64) - 127)
            scale_type, scale_data = "f8E8M0FNU", exponents
        else:
            raw = rng.uniform(0.01, 0.1, (N, groups)).astype(np.float32)
            if exact:
                raw = (2.0 ** -rng.integers(1, 4, (N, groups))).astype(np.float32)
            if scale_kind == "f16":
                raw = raw.astype(np.float16)
                scale_type = "f16"
            elif scale_kind == "bf16":
                bits16 = (raw.view(np.uint32) >> 16).astype(np.uint16)  # truncated bf16
                raw = (bits16.astype(np.uint32) << 16).view(np.float32)
                scale_type, scale_data = "bf16", bits16
            else:
                scale_type = "f32"
            scales = raw.astype(np.float64)
            if scale_kind != "bf16":
                scale_data = raw
        zeros = rng.integers(0, 1 << bits, (N, groups)) if has_zeros else np.zeros((N, groups))
        values = decode(base, bits, codes, codebook.astype(np.float64), np.arange(N)[:, None])
        weight = np.repeat(scales, group, axis=1)[:, :K] * (values - np.repeat(zeros, group, axis=1)[:, :K])
        if name in WITH_OUTLIERS:  # 0 to 3 per row, some rows without
            row_ptr, cols, outlier_values = [0], [], []
            for n in range(N):
                chosen = np.sort(rng.choice(K, int(rng.integers(0, 4)), replace=False))
                picked = rng.integers(-8, 9, len(chosen)) if exact else 4 * rng.standard_normal(len(chosen))
                cols += chosen.tolist()
                outlier_values += picked.astype(np.float32).tolist()
                row_ptr.append(len(cols))
            for n in range(N):
                for j in range(row_ptr[n], row_ptr[n + 1]):
                    weight[n, cols[j]] += outlier_values[j]
        expected[name] = (x_seen @ weight.T + bias).tolist()

        operands = f"%x, %codes{index}, %scales{index}"
        types = f"tensor<{M}x{K}xf32>, tensor<{N}x{packed.shape[1]}xi8>, tensor<{N}x{groups}x{scale_type}>"
        lines.append(f"  %codes{index} = arith.constant dense<{hex_dense(packed)}> : tensor<{N}x{packed.shape[1]}xi8>")
        lines.append(f"  %scales{index} = arith.constant dense<{hex_dense(scale_data)}> : tensor<{N}x{groups}x{scale_type}>")
        extra = ""
        if has_zeros:
            lines.append(f"  %zeros{index} = arith.constant dense<{hex_dense(zeros.astype(np.uint8))}> : tensor<{N}x{groups}xi8>")
            extra += f" zeros(%zeros{index})"
            types += f", tensor<{N}x{groups}xi8>"
        if codebook_kind:
            codebook_type = "tensor<" + "x".join(str(d) for d in codebook.shape) + "xf32>"
            lines.append(f"  %codebook{index} = arith.constant dense<{hex_dense(codebook)}> : {codebook_type}")
            extra += f" codebook(%codebook{index})"
            types += f", {codebook_type}"
        extra += " bias(%bias)"
        types += f", tensor<{N}xf32>"
        if name in WITH_OUTLIERS:
            nnz = len(cols)
            lines.append(f"  %rows{index} = arith.constant dense<{hex_dense(np.array(row_ptr, np.int32))}> : tensor<{N + 1}xi32>")
            lines.append(f"  %cols{index} = arith.constant dense<{hex_dense(np.array(cols, np.int32))}> : tensor<{nnz}xi32>")
            lines.append(f"  %outliers{index} = arith.constant dense<{hex_dense(np.array(outlier_values, np.float32))}> : tensor<{nnz}xf32>")
            extra += f" outliers(%rows{index}, %cols{index}, %outliers{index})"
            types += f", tensor<{N + 1}xi32>, tensor<{nnz}xi32>, tensor<{nnz}xf32>"
        lines.append(f"  %y{index} = qopt.qlinear {operands}{extra} {{format = #qopt.format<{attribute}>, "
                     f"group = {group} : i64{act_attribute}}} : ({types}) -> tensor<{M}x{N}xf32>")
        outputs.append(name)
    results = ", ".join(f"%y{i}" for i in range(len(cases)))
    result_types = ", ".join(f'tensor<{M}x{N}xf32> {{onnx.name = "{name}"}}' for name in outputs)
    plain_types = ", ".join(f"tensor<{M}x{N}xf32>" for _ in outputs)
    module = [f'func.func @main(%x: tensor<{M}x{K}xf32> {{onnx.name = "x"}}) -> ({result_types}) {{',
              f"  %bias = arith.constant dense<{hex_dense(bias)}> : tensor<{N}xf32>", *lines,
              f"  return {results} : {plain_types}", "}"]
    with open(os.path.join(directory, "model.mlir"), "w") as f:
        f.write("\n".join(module) + "\n")
    np.save(os.path.join(directory, "x.npy"), x)
    with open(os.path.join(directory, "expected.json"), "w") as f:
        json.dump({"exact": exact, "expected": expected}, f)


def check(directory, executable):
    data = json.load(open(os.path.join(directory, "expected.json")))
    expected, exact = data["expected"], data["exact"]
    args = [executable, "--input", f"x={directory}/x.npy"]
    for name in expected:
        args += ["--output", f"{name}={directory}/{name}.npy"]
    subprocess.run(args, check=True)
    ok = True
    for name, values in expected.items():
        want = np.array(values)
        got = np.load(os.path.join(directory, f"{name}.npy")).astype(np.float64)
        error = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
        good = error == 0 if exact else error < 1e-5
        ok &= good
        print(f"{name}: relative error {error:.2e} {('exact ' if exact else '') + ('ok' if good else 'FAIL')}")
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        parser = argparse.ArgumentParser()
        parser.add_argument("command")
        parser.add_argument("directory")
        parser.add_argument("--m", type=int, default=2)
        parser.add_argument("--k", type=int, default=64)
        parser.add_argument("--n", type=int, default=16)
        parser.add_argument("--act", choices=["dynamic", "static"])
        parser.add_argument("--exact", action="store_true")
        args = parser.parse_args()
        generate(args.directory, args.m, args.k, args.n, args.act, args.exact)
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))
