"""llama2.c checkpoints: read, synthesize, convert to ONNX, and a numpy reference.

    python -m qopt.llama2c to-onnx stories260K.bin -o llama.onnx [--seq-len 32]
    python -m qopt.llama2c synthetic -o synth.bin --dim 1024 --layers 8 ...
    python -m qopt.llama2c check llama.onnx stories260K.bin   # ORT vs numpy

The ONNX graph is the kind torch.onnx exports for a Llama decoder, with
explicit ops: RMSNorm as Pow/ReduceMean/Add/Sqrt/Reciprocal/Mul, linears as
MatMul by transposed weights, rotary embeddings on adjacent pairs through
Reshape/Split/Mul/Sub/Add/Concat, grouped-query attention by
Unsqueeze/Expand/Reshape of the key/value heads, a causal mask from
ConstantOfShape/Trilu, Softmax, SwiGLU as x * Sigmoid(x) * up, and reshape
targets computed by Shape/Gather/Concat subgraphs. Input: token ids
int64 [1, seq_len]; output: logits float [1, seq_len, vocab].

Checkpoint format (legacy llama2.c, version 0): 7 int32 (dim, hidden_dim,
n_layers, n_heads, n_kv_heads, vocab_size, seq_len), then float32 arrays:
token_embedding [vocab, dim], rms_att [L, dim], wq [L, dim, dim],
wk [L, kv_dim, dim], wv [L, kv_dim, dim], wo [L, dim, dim], rms_ffn [L, dim],
w1 [L, hidden, dim], w2 [L, dim, hidden], w3 [L, hidden, dim], rms_final [dim],
freq_cis_real [seq, head/2], freq_cis_imag [seq, head/2]; a positive vocab
size means the classifier shares the embedding.
"""

import argparse
import dataclasses
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

EPSILON = 1e-5
OPSET = 21


@dataclasses.dataclass
class Config:
    dim: int
    hidden_dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    seq_len: int

    @property
    def head_size(self):
        return self.dim // self.n_heads

    @property
    def kv_dim(self):
        return self.head_size * self.n_kv_heads


@dataclasses.dataclass
class Checkpoint:
    config: Config
    weights: dict  # name -> float32 array, llama2.c layout ([out, in] matrices)


def _weight_shapes(c: Config):
    L, hs = c.n_layers, c.head_size
    return [("token_embedding", (c.vocab_size, c.dim)), ("rms_att", (L, c.dim)),
            ("wq", (L, c.dim, c.dim)), ("wk", (L, c.kv_dim, c.dim)), ("wv", (L, c.kv_dim, c.dim)),
            ("wo", (L, c.dim, c.dim)), ("rms_ffn", (L, c.dim)), ("w1", (L, c.hidden_dim, c.dim)),
            ("w2", (L, c.dim, c.hidden_dim)), ("w3", (L, c.hidden_dim, c.dim)),
            ("rms_final", (c.dim,)), ("freq_cis_real", (c.seq_len, hs // 2)),
            ("freq_cis_imag", (c.seq_len, hs // 2))]


def read_checkpoint(path) -> Checkpoint:
    data = open(path, "rb").read()
    header = np.frombuffer(data[:28], np.int32)
    config = Config(*[int(v) for v in header])
    shared = config.vocab_size > 0
    config.vocab_size = abs(config.vocab_size)
    floats = np.frombuffer(data[28:], np.float32)
    weights, offset = {}, 0
    for name, shape in _weight_shapes(config):
        size = int(np.prod(shape))
        if offset + size > floats.size:
            raise ValueError(f"{path}: truncated at {name}")
        weights[name] = floats[offset:offset + size].reshape(shape).copy()
        offset += size
    if not shared:
        weights["classifier"] = floats[offset:offset + config.vocab_size * config.dim].reshape(
            config.vocab_size, config.dim).copy()
    return Checkpoint(config, weights)


def synthetic_checkpoint(config: Config, seed=0) -> Checkpoint:
    """Random weights of trained-like scale (1/sqrt(fan_in)), rotary tables as llama2.c."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape in _weight_shapes(config):
        if name.startswith("rms"):
            weights[name] = (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
        elif name.startswith("freq_cis"):
            continue
        else:
            weights[name] = (rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float32)
    hs = config.head_size
    freqs = 1.0 / (10000.0 ** (np.arange(0, hs, 2, dtype=np.float64) / hs))
    angles = np.outer(np.arange(config.seq_len), freqs)
    weights["freq_cis_real"] = np.cos(angles).astype(np.float32)
    weights["freq_cis_imag"] = np.sin(angles).astype(np.float32)
    return Checkpoint(config, weights)


def write_checkpoint(checkpoint: Checkpoint, path):
    c = checkpoint.config
    with open(path, "wb") as f:
        f.write(np.array([c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size,
                          c.seq_len], np.int32).tobytes())
        for name, _ in _weight_shapes(c):
            f.write(checkpoint.weights[name].astype(np.float32).tobytes())


def _classifier(checkpoint):
    return checkpoint.weights.get("classifier", checkpoint.weights["token_embedding"])


# ---------------------------------------------------------------- reference

def _rms_norm(x, gain):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPSILON) * gain


def _rotate_pairs(x, cos, sin):
    """x [..., S, hd]: rotates adjacent pairs (2i, 2i+1) by the angles of position s."""
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out


def reference_forward(checkpoint: Checkpoint, tokens):
    """Logits [S, vocab] for token ids [S], as llama2.c computes them, in float64."""
    c, w = checkpoint.config, {k: v.astype(np.float64) for k, v in checkpoint.weights.items()}
    S, hs = len(tokens), c.head_size
    cos, sin = w["freq_cis_real"][:S], w["freq_cis_imag"][:S]
    x = w["token_embedding"][np.asarray(tokens)]
    mask = np.triu(np.full((S, S), -np.inf), k=1)
    for layer in range(c.n_layers):
        xn = _rms_norm(x, w["rms_att"][layer])
        q = (xn @ w["wq"][layer].T).reshape(S, c.n_heads, hs).transpose(1, 0, 2)
        k = (xn @ w["wk"][layer].T).reshape(S, c.n_kv_heads, hs).transpose(1, 0, 2)
        v = (xn @ w["wv"][layer].T).reshape(S, c.n_kv_heads, hs).transpose(1, 0, 2)
        q, k = _rotate_pairs(q, cos, sin), _rotate_pairs(k, cos, sin)
        group = c.n_heads // c.n_kv_heads
        k, v = np.repeat(k, group, axis=0), np.repeat(v, group, axis=0)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hs) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = (scores / scores.sum(-1, keepdims=True)) @ v
        x = x + attention.transpose(1, 0, 2).reshape(S, c.dim) @ w["wo"][layer].T
        xn = _rms_norm(x, w["rms_ffn"][layer])
        gate = xn @ w["w1"][layer].T
        x = x + ((gate / (1 + np.exp(-gate))) * (xn @ w["w3"][layer].T)) @ w["w2"][layer].T
    return _rms_norm(x, w["rms_final"]) @ _classifier(checkpoint).astype(np.float64).T


# ---------------------------------------------------------------- ONNX graph

class _GraphBuilder:
    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def const(self, name, array):
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, name, outputs=1, **attrs):
        names = [f"{name}" if outputs == 1 else f"{name}_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=name, **attrs))
        return names[0] if outputs == 1 else names


def to_onnx(checkpoint: Checkpoint, seq_len: int, norm: str = "rms") -> onnx.ModelProto:
    """The checkpoint as an ONNX graph. norm="layer" is a pre-LN (OPT/GPT
    style) variant for testing LayerNorm handling: LayerNormalization with the
    checkpoint's gains and a fixed nonzero bias, not the checkpoint's function."""
    c, w = checkpoint.config, checkpoint.weights
    if seq_len > c.seq_len:
        raise ValueError(f"seq_len {seq_len} exceeds the checkpoint's {c.seq_len}")
    g = _GraphBuilder()
    hs, H, KV, S = c.head_size, c.n_heads, c.n_kv_heads, seq_len
    i64 = lambda *v: np.array(v, np.int64)
    g.const("axis_last", i64(-1))
    g.const("two", np.array(2.0, np.float32))
    g.const("eps", np.array(EPSILON, np.float32))
    g.const("rope_cos", w["freq_cis_real"][:S].reshape(1, 1, S, hs // 2, 1))
    g.const("rope_sin", w["freq_cis_imag"][:S].reshape(1, 1, S, hs // 2, 1))
    g.const("scale", np.array(np.sqrt(hs), np.float32))
    g.const("split_pairs", i64(1, 1))
    g.const("one_index", i64(1))
    g.const("head_shape", i64(H, hs))
    g.const("kv_head_shape", i64(KV, hs))
    g.const("pair_shape", i64(hs // 2, 2))
    g.const("mask_shape", i64(S, S))
    g.const("gqa_shape", i64(1, KV, H // KV, S, hs))
    g.const("merged_heads", i64(1, H, S, hs))
    g.const("unsqueeze2", i64(2))
    g.const("model_shape", i64(1, S, c.dim))

    def rms_norm(x, gain_name, gain, name):
        g.const(gain_name, gain)
        if norm == "layer":
            bias = g.const(f"{gain_name}.bias", (0.1 * np.cos(np.arange(gain.size) + len(g.nodes))).astype(np.float32))
            return g.op("LayerNormalization", [x, gain_name, bias], name, axis=-1, epsilon=EPSILON)
        squared = g.op("Pow", [x, "two"], f"{name}.pow")
        mean = g.op("ReduceMean", [squared, "axis_last"], f"{name}.mean", keepdims=1)
        std = g.op("Sqrt", [g.op("Add", [mean, "eps"], f"{name}.add_eps")], f"{name}.sqrt")
        normalized = g.op("Mul", [x, g.op("Reciprocal", [std], f"{name}.rsqrt")], f"{name}.normalize")
        return g.op("Mul", [normalized, gain_name], f"{name}.gain")

    def linear(x, weight_name, weight, name):
        g.const(weight_name, np.ascontiguousarray(weight.T))  # torch exports x @ W^T
        return g.op("MatMul", [x, weight_name], name)

    def heads(x, head_shape, name):
        # Reshape target from the input's own shape, as torch exports view(b, s, h, d).
        shape = g.op("Shape", [x], f"{name}.shape")
        batch_seq = g.op("Slice", [shape, "zero_index_vec", "two_index_vec"], f"{name}.batch_seq")
        target = g.op("Concat", [batch_seq, head_shape], f"{name}.target", axis=0)
        split = g.op("Reshape", [x, target], f"{name}.split_heads")
        return g.op("Transpose", [split], f"{name}.transpose", perm=[0, 2, 1, 3])

    g.const("zero_index_vec", i64(0))
    g.const("two_index_vec", i64(2))

    def rope(x, n_heads, name):
        # [1, h, S, hd] -> [1, h, S, hd/2, 2]: adjacent pairs (2i, 2i+1)
        target = g.op("Concat", [g.const(f"{name}.lead", i64(1, n_heads, S)), "pair_shape"],
                      f"{name}.pair_target", axis=0)
        pairs = g.op("Reshape", [x, target], f"{name}.pairs")
        even, odd = g.op("Split", [pairs, "split_pairs"], f"{name}.split", outputs=2, axis=-1)
        real = g.op("Sub", [g.op("Mul", [even, "rope_cos"], f"{name}.even_cos"),
                            g.op("Mul", [odd, "rope_sin"], f"{name}.odd_sin")], f"{name}.real")
        imag = g.op("Add", [g.op("Mul", [even, "rope_sin"], f"{name}.even_sin"),
                            g.op("Mul", [odd, "rope_cos"], f"{name}.odd_cos")], f"{name}.imag")
        rotated = g.op("Concat", [real, imag], f"{name}.rotated", axis=-1)
        return g.op("Reshape", [rotated, g.const(f"{name}.back", i64(1, n_heads, S, hs))],
                    f"{name}.merge")

    def repeat_kv(x, name):
        if H == KV:
            return x
        expanded = g.op("Expand", [g.op("Unsqueeze", [x, "unsqueeze2"], f"{name}.unsqueeze"),
                                   "gqa_shape"], f"{name}.expand")
        return g.op("Reshape", [expanded, "merged_heads"], f"{name}.repeat")

    g.const("token_embedding", w["token_embedding"])
    x = g.op("Gather", ["token_embedding", "tokens"], "embed", axis=0)
    # Causal mask: -inf above the diagonal, 0 elsewhere.
    filled = g.op("ConstantOfShape", ["mask_shape"], "mask.fill",
                  value=numpy_helper.from_array(np.array([-np.inf], np.float32)))
    mask = g.op("Trilu", [filled, "one_index"], "mask.triu", upper=1)

    for l in range(c.n_layers):
        p = f"layers.{l}"
        xn = rms_norm(x, f"{p}.attention_norm.weight", w["rms_att"][l], f"{p}.attention_norm")
        q = heads(linear(xn, f"{p}.wq.weight", w["wq"][l], f"{p}.wq"), "head_shape", f"{p}.q")
        k = heads(linear(xn, f"{p}.wk.weight", w["wk"][l], f"{p}.wk"), "kv_head_shape", f"{p}.k")
        v = heads(linear(xn, f"{p}.wv.weight", w["wv"][l], f"{p}.wv"), "kv_head_shape", f"{p}.v")
        q, k = rope(q, H, f"{p}.q_rope"), rope(k, KV, f"{p}.k_rope")
        k, v = repeat_kv(k, f"{p}.k"), repeat_kv(v, f"{p}.v")
        kt = g.op("Transpose", [k], f"{p}.kt", perm=[0, 1, 3, 2])
        scores = g.op("Div", [g.op("MatMul", [q, kt], f"{p}.qk"), "scale"], f"{p}.scaled")
        probs = g.op("Softmax", [g.op("Add", [scores, mask], f"{p}.masked")], f"{p}.softmax", axis=-1)
        attention = g.op("Transpose", [g.op("MatMul", [probs, v], f"{p}.pv")], f"{p}.merge_t",
                         perm=[0, 2, 1, 3])
        merged = g.op("Reshape", [attention, "model_shape"], f"{p}.merge_heads")
        x = g.op("Add", [x, linear(merged, f"{p}.wo.weight", w["wo"][l], f"{p}.wo")], f"{p}.residual1")
        xn = rms_norm(x, f"{p}.ffn_norm.weight", w["rms_ffn"][l], f"{p}.ffn_norm")
        gate = linear(xn, f"{p}.w1.weight", w["w1"][l], f"{p}.w1")
        silu = g.op("Mul", [gate, g.op("Sigmoid", [gate], f"{p}.sigmoid")], f"{p}.silu")
        up = linear(xn, f"{p}.w3.weight", w["w3"][l], f"{p}.w3")
        down = linear(g.op("Mul", [silu, up], f"{p}.swiglu"), f"{p}.w2.weight", w["w2"][l], f"{p}.w2")
        x = g.op("Add", [x, down], f"{p}.residual2")

    xn = rms_norm(x, "norm.weight", w["rms_final"], "norm")
    logits = linear(xn, "output.weight", _classifier(checkpoint), "output")
    g.nodes[-1].output[0] = "logits"
    graph = helper.make_graph(
        g.nodes, "llama2c",
        [helper.make_tensor_value_info("tokens", TensorProto.INT64, [1, S])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, S, c.vocab_size])],
        g.initializers)
    model = helper.make_model(graph, producer_name="qopt.llama2c",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    return model


def check_against_reference(model_path, checkpoint_path, executable=None, seed=0):
    """max |logits - numpy| / max |numpy| for random tokens, the logits from
    ONNX Runtime on the model, or from a qopt-compiled `executable` of it."""
    checkpoint = read_checkpoint(checkpoint_path)
    S = onnx.load(model_path).graph.input[0].type.tensor_type.shape.dim[1].dim_value
    tokens = np.random.default_rng(seed).integers(0, checkpoint.config.vocab_size, (1, S))
    if executable:
        import os
        import subprocess
        import tempfile
        with tempfile.TemporaryDirectory() as work:
            np.save(os.path.join(work, "tokens.npy"), tokens)
            subprocess.run([executable, "--input", f"tokens={work}/tokens.npy",
                            "--output", f"logits={work}/logits.npy"], check=True)
            got = np.load(os.path.join(work, "logits.npy"))[0].astype(np.float64)
    else:
        import onnxruntime as ort
        session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
        got = session.run(None, {"tokens": tokens})[0][0].astype(np.float64)
    expected = reference_forward(checkpoint, tokens[0])
    return float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))


def sample_tokens(model_path, count, seed):
    """Token sequences sampled from the ONNX model itself (temperature 1,
    starting at BOS = 1): calibration and evaluation data in the model's own
    distribution. Returns int64 [count, sequence length]."""
    import onnxruntime as ort
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    length = session.get_inputs()[0].shape[1]
    rng = np.random.default_rng(seed)
    out = np.zeros((count, length), np.int64)
    for i in range(count):
        tokens = np.zeros((1, length), np.int64)
        tokens[0, 0] = 1
        for p in range(1, length):
            logits = session.run(None, {"tokens": tokens})[0][0, p - 1].astype(np.float64)
            probs = np.exp(logits - logits.max())
            tokens[0, p] = rng.choice(len(probs), p=probs / probs.sum())
        out[i] = tokens[0]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    convert = sub.add_parser("to-onnx", help="convert a checkpoint to ONNX")
    convert.add_argument("checkpoint")
    convert.add_argument("-o", "--output", required=True)
    convert.add_argument("--seq-len", type=int, default=32)
    convert.add_argument("--norm", choices=["rms", "layer"], default="rms",
                         help="layer: a pre-LN variant with LayerNormalization (not the checkpoint's function)")
    synth = sub.add_parser("synthetic", help="write a random checkpoint")
    synth.add_argument("-o", "--output", required=True)
    for field, default in [("dim", 64), ("hidden-dim", 172), ("layers", 2), ("heads", 8),
                           ("kv-heads", 4), ("vocab", 512), ("seq-len", 64), ("seed", 0)]:
        synth.add_argument(f"--{field}", type=int, default=default)
    check = sub.add_parser("check", help="ONNX Runtime (or --executable) vs the numpy reference")
    check.add_argument("model")
    check.add_argument("checkpoint")
    check.add_argument("--executable", help="a qopt-compiled executable of the model")
    check.add_argument("--tolerance", type=float, default=1e-4)
    sample = sub.add_parser("sample", help="token sequences sampled from the ONNX model (.npy)")
    sample.add_argument("model")
    sample.add_argument("-o", "--output", required=True)
    sample.add_argument("--count", type=int, default=32)
    sample.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "sample":
        np.save(args.output, sample_tokens(args.model, args.count, args.seed))
    elif args.command == "to-onnx":
        onnx.save(to_onnx(read_checkpoint(args.checkpoint), args.seq_len, args.norm), args.output)
    elif args.command == "synthetic":
        config = Config(args.dim, args.hidden_dim, args.layers, args.heads, args.kv_heads, args.vocab,
                        args.seq_len)
        write_checkpoint(synthetic_checkpoint(config, args.seed), args.output)
    else:
        error = check_against_reference(args.model, args.checkpoint, args.executable)
        who = "qopt" if args.executable else "ort"
        print(f'{{"{who}_vs_numpy_relative_error": {error:.3e}, "within_tolerance": '
              f'{str(error <= args.tolerance).lower()}}}')
        return 0 if error <= args.tolerance else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
