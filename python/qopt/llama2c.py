"""llama2.c checkpoints: read, synthesize, convert to ONNX, and a numpy reference.

    python -m qopt.llama2c to-onnx stories260K.bin -o llama.onnx [--seq-len 32]
    python -m qopt.llama2c synthetic -o synth.bin --dim 1024 --layers 8 ...
    python -m qopt.llama2c check llama.onnx stories260K.bin   # ORT vs numpy
    python -m qopt.llama2c to-onnx stories260K.bin -o decoder.onnx --kv-cache
    python -m qopt.llama2c check-kv decoder.onnx stories260K.bin
    python -m qopt.llama2c generate decoder.onnx --prompt 1 --max-new-tokens 64 [--temperature 0.8 ...]
    python -m qopt.llama2c to-hf stories260K.bin -o hf-dir   # LlamaForCausalLM, safetensors

The ONNX graph is the kind torch.onnx exports for a Llama decoder, with
explicit ops: RMSNorm as Pow/ReduceMean/Add/Sqrt/Reciprocal/Mul, linears as
MatMul by transposed weights, rotary embeddings on adjacent pairs through
Reshape/Split/Mul/Sub/Add/Concat, grouped-query attention by
Unsqueeze/Expand/Reshape of the key/value heads, a causal mask from
ConstantOfShape/Trilu, Softmax, SwiGLU as x * Sigmoid(x) * up, and reshape
targets computed by Shape/Gather/Concat subgraphs. Input: token ids
int64 [1, seq_len]; output: logits float [1, seq_len, vocab].

With kv_cache (--kv-cache) the graph is the decoder as optimum and
onnxruntime-genai's model builder export it, with symbolic dimensions:
inputs input_ids and position_ids int64 [batch, sequence_length],
attention_mask int64 [batch, total_sequence_length] (0 = padding) and per layer
past_key_values.{l}.key/.value float [batch, n_kv_heads, past_sequence_length,
head_size]; outputs logits [batch, sequence_length, vocab] and
present.{l}.key/.value [batch, n_kv_heads, total_sequence_length, head_size]
(past and the new keys after rotary, before the grouped-query repetition).
The rotary tables are gathered by position_ids, and the mask (query i at
absolute position past + i sees keys up to it, and no padding) is computed
from Shape/Range/LessOrEqual/And/Where at run time. ort_generate runs it with
ONNX Runtime, feeding present back as past.

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
import functools
import json
import os
import sys
import time

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

    @functools.cached_property
    def weights64(self):
        """The weights in float64, for the reference (computed once)."""
        return {name: array.astype(np.float64) for name, array in self.weights.items()}


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


def _classifier(weights):
    return weights.get("classifier", weights["token_embedding"])


# ---------------------------------------------------------------- Hugging Face directory

def _write_safetensors(path, tensors):
    """safetensors: an 8-byte little-endian header length, the JSON header
    (names, dtypes, shapes, byte offsets; padded to 8 bytes), the raw data."""
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    arrays = {name: np.ascontiguousarray(array, "<f4") for name, array in tensors.items()}
    for name, array in arrays.items():
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)
    with open(path, "wb") as f:
        f.write(len(blob).to_bytes(8, "little"))
        f.write(blob)
        for array in arrays.values():
            f.write(array.tobytes())


def _rotate_half_rows(weight, n_heads):
    """q/k projection rows from llama2.c's adjacent rotary pairs (2i, 2i+1) to
    Hugging Face's rotate_half halves (i, i + head/2): the inverse of
    permute_reverse in llama2.c's export.py."""
    rows, cols = weight.shape
    return weight.reshape(n_heads, rows // n_heads // 2, 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def write_hf_directory(checkpoint: Checkpoint, path):
    """The checkpoint as a Hugging Face LlamaForCausalLM directory: config.json,
    model.safetensors (float32) and a word-level tokenizer of placeholder tokens
    (<unk>, <s> = BOS 1, </s> = EOS 2, then t3, t4, ...: the real vocabulary is not
    in the checkpoint), enough for tools that load a tokenizer such as
    onnxruntime-genai's model builder."""
    c, w = checkpoint.config, checkpoint.weights
    freqs = 1.0 / (10000.0 ** (np.arange(0, c.head_size, 2) / c.head_size))
    if not np.allclose(w["freq_cis_real"], np.cos(np.outer(np.arange(c.seq_len), freqs)), atol=1e-5):
        raise ValueError("the checkpoint's rotary tables are not those of theta 10000")
    os.makedirs(path, exist_ok=True)
    tied = "classifier" not in w
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": c.dim,
              "intermediate_size": c.hidden_dim, "num_hidden_layers": c.n_layers,
              "num_attention_heads": c.n_heads, "num_key_value_heads": c.n_kv_heads, "head_dim": c.head_size,
              "vocab_size": c.vocab_size, "max_position_embeddings": c.seq_len, "rms_norm_eps": EPSILON,
              "rope_theta": 10000.0, "hidden_act": "silu", "attention_bias": False, "mlp_bias": False,
              "tie_word_embeddings": tied, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}
    tensors = {"model.embed_tokens.weight": w["token_embedding"]}
    for l in range(c.n_layers):
        p = f"model.layers.{l}"
        tensors.update({
            f"{p}.input_layernorm.weight": w["rms_att"][l],
            f"{p}.self_attn.q_proj.weight": _rotate_half_rows(w["wq"][l], c.n_heads),
            f"{p}.self_attn.k_proj.weight": _rotate_half_rows(w["wk"][l], c.n_kv_heads),
            f"{p}.self_attn.v_proj.weight": w["wv"][l], f"{p}.self_attn.o_proj.weight": w["wo"][l],
            f"{p}.post_attention_layernorm.weight": w["rms_ffn"][l],
            f"{p}.mlp.gate_proj.weight": w["w1"][l], f"{p}.mlp.down_proj.weight": w["w2"][l],
            f"{p}.mlp.up_proj.weight": w["w3"][l]})
    tensors["model.norm.weight"] = w["rms_final"]
    if not tied:
        tensors["lm_head.weight"] = w["classifier"]
    _write_safetensors(os.path.join(path, "model.safetensors"), tensors)
    special = ["<unk>", "<s>", "</s>"]
    vocab = {token: i for i, token in enumerate(special + [f"t{i}" for i in range(3, c.vocab_size)])}
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": token, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, token in enumerate(special)],
        "normalizer": None, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None,
        "decoder": None, "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}}
    tokenizer_config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>",
                        "unk_token": "<unk>", "model_max_length": c.seq_len}
    for name, content in [("config.json", config), ("generation_config.json",
                                                    {"bos_token_id": 1, "eos_token_id": 2}),
                          ("tokenizer.json", tokenizer), ("tokenizer_config.json", tokenizer_config)]:
        with open(os.path.join(path, name), "w") as f:
            json.dump(content, f, indent=1)


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


def reference_step(checkpoint: Checkpoint, tokens, cache=None, rotation=None):
    """Logits [S, vocab] of S new token ids after the cached positions, in float64
    as llama2.c computes them, and the cache with them appended. The cache is
    None (position 0) or a list per layer of (keys, values), each float64
    [n_kv_heads, P, head_size], keys after rotary; the new tokens take
    positions P ... P + S - 1, each seeing the keys up to its own position.
    With `rotation` (an orthogonal [head_size, head_size] matrix, QuaRot's
    R3), queries and keys are rotated after rotary: q k^T is unchanged, the
    cached keys are the rotated ones."""
    c, w = checkpoint.config, checkpoint.weights64
    tokens = np.asarray(tokens).reshape(-1)
    S, hs = len(tokens), c.head_size
    past = 0 if cache is None else cache[0][0].shape[1]
    if past + S > c.seq_len:
        raise ValueError(f"positions up to {past + S} exceed the checkpoint's {c.seq_len}")
    cos, sin = w["freq_cis_real"][past:past + S], w["freq_cis_imag"][past:past + S]
    x = w["token_embedding"][tokens]
    mask = np.triu(np.full((S, past + S), -np.inf), k=past + 1)
    present = []
    for layer in range(c.n_layers):
        xn = _rms_norm(x, w["rms_att"][layer])
        q = (xn @ w["wq"][layer].T).reshape(S, c.n_heads, hs).transpose(1, 0, 2)
        k = (xn @ w["wk"][layer].T).reshape(S, c.n_kv_heads, hs).transpose(1, 0, 2)
        v = (xn @ w["wv"][layer].T).reshape(S, c.n_kv_heads, hs).transpose(1, 0, 2)
        q, k = _rotate_pairs(q, cos, sin), _rotate_pairs(k, cos, sin)
        if rotation is not None:
            q, k = q @ rotation, k @ rotation
        if cache is not None:
            k, v = np.concatenate([cache[layer][0], k], axis=1), np.concatenate([cache[layer][1], v], axis=1)
        present.append((k, v))
        group = c.n_heads // c.n_kv_heads
        k, v = np.repeat(k, group, axis=0), np.repeat(v, group, axis=0)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hs) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = (scores / scores.sum(-1, keepdims=True)) @ v
        x = x + attention.transpose(1, 0, 2).reshape(S, c.dim) @ w["wo"][layer].T
        xn = _rms_norm(x, w["rms_ffn"][layer])
        gate = xn @ w["w1"][layer].T
        x = x + ((gate / (1 + np.exp(-gate))) * (xn @ w["w3"][layer].T)) @ w["w2"][layer].T
    return _rms_norm(x, w["rms_final"]) @ _classifier(w).T, present


def reference_forward(checkpoint: Checkpoint, tokens):
    """Logits [S, vocab] for token ids [S], as llama2.c computes them, in float64."""
    return reference_step(checkpoint, tokens)[0]


def sample_next(logits, rng=None, temperature=0.0, top_k=0, top_p=1.0):
    """The next token id from logits [vocab]: the argmax when temperature <= 0;
    otherwise a draw by `rng` (a numpy Generator) from softmax(logits /
    temperature) over the top_k most likely ids (0: all), cut to the smallest
    most likely set whose probability reaches top_p (1: no cut), renormalized."""
    logits = np.asarray(logits, np.float64).reshape(-1)
    if temperature <= 0:
        return int(np.argmax(logits))
    order = np.argsort(-logits, kind="stable")
    if top_k > 0:
        order = order[:top_k]
    probs = np.exp((logits[order] - logits[order[0]]) / temperature)
    probs /= probs.sum()
    if top_p < 1.0:
        keep = min(int(np.searchsorted(np.cumsum(probs), top_p)) + 1, len(order))
        order, probs = order[:keep], probs[:keep] / probs[:keep].sum()
    return int(order[rng.choice(len(order), p=probs)])


def _generate(step, prompt, max_new_tokens, max_len, eos=None, seed=0, **sampling):
    """Prefill `prompt` with step(ids) -> logits [len(ids), vocab] (which keeps
    its own cache), then decode one token at a time with sample_next(**sampling)
    until max_new_tokens, eos (kept) or max_len tokens in all. Returns the new
    ids and their timing: time to the first token, prefill and decode rates."""
    prompt = [int(t) for t in prompt]
    if not prompt or len(prompt) >= max_len:
        raise ValueError(f"the prompt needs 1 to {max_len - 1} tokens, not {len(prompt)}")
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    ids = [sample_next(step(prompt)[-1], rng, **sampling)]
    first = time.perf_counter()
    while len(ids) < max_new_tokens and ids[-1] != eos and len(prompt) + len(ids) < max_len:
        ids.append(sample_next(step([ids[-1]])[-1], rng, **sampling))
    end = time.perf_counter()
    decoded = len(ids) - 1
    return ids, {"ttft_ms": 1e3 * (first - start), "prefill_tok_s": len(prompt) / (first - start),
                 "decode_tok_s": decoded / (end - first) if decoded else None}


def reference_generate(checkpoint: Checkpoint, prompt, max_new_tokens, eos=None, seed=0, **sampling):
    """New token ids after `prompt` by the float64 reference with its cache:
    greedy by default, or sampled as sample_next (temperature, top_k, top_p)
    with numpy's Generator seeded by `seed`, as ort_generate."""
    cache = None

    def step(tokens):
        nonlocal cache
        logits, cache = reference_step(checkpoint, tokens, cache)
        return logits

    return _generate(step, prompt, max_new_tokens, checkpoint.config.seq_len, eos, seed, **sampling)[0]


# ---------------------------------------------------------------- ONNX graph

def _i64(*values):
    return np.array(values, np.int64)


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


class _Decoder(_GraphBuilder):
    """The decoder's ops, shared by both forms: the layers, RMSNorm, linears,
    heads, rotary embeddings and the grouped-query repetition. A form provides
    the shape-dependent pieces: `mask` (added to the scores), `model_shape`
    (the [batch, S, dim] target of merged heads), the rotary tables
    `rope_cos`/`rope_sin` broadcastable to [batch, heads, S, head/2, 1], and
    rope_targets, gqa_targets and cache (identity without a cache)."""

    def __init__(self, checkpoint: Checkpoint, norm):
        super().__init__()
        self.c, self.w, self.norm = checkpoint.config, checkpoint.weights, norm
        c = self.c
        self.const("axis_last", _i64(-1))
        self.const("two", np.array(2.0, np.float32))
        self.const("eps", np.array(EPSILON, np.float32))
        self.const("scale", np.array(np.sqrt(c.head_size), np.float32))
        self.const("split_pairs", _i64(1, 1))
        self.const("head_shape", _i64(c.n_heads, c.head_size))
        self.const("kv_head_shape", _i64(c.n_kv_heads, c.head_size))
        self.const("pair_shape", _i64(c.head_size // 2, 2))
        self.const("zero_index_vec", _i64(0))
        self.const("two_index_vec", _i64(2))

    def rms_norm(self, x, gain_name, gain, name):
        self.const(gain_name, gain)
        if self.norm == "layer":
            bias = self.const(f"{gain_name}.bias",
                              (0.1 * np.cos(np.arange(gain.size) + len(self.nodes))).astype(np.float32))
            return self.op("LayerNormalization", [x, gain_name, bias], name, axis=-1, epsilon=EPSILON)
        squared = self.op("Pow", [x, "two"], f"{name}.pow")
        mean = self.op("ReduceMean", [squared, "axis_last"], f"{name}.mean", keepdims=1)
        std = self.op("Sqrt", [self.op("Add", [mean, "eps"], f"{name}.add_eps")], f"{name}.sqrt")
        normalized = self.op("Mul", [x, self.op("Reciprocal", [std], f"{name}.rsqrt")], f"{name}.normalize")
        return self.op("Mul", [normalized, gain_name], f"{name}.gain")

    def linear(self, x, weight_name, weight, name):
        self.const(weight_name, np.ascontiguousarray(weight.T))  # torch exports x @ W^T
        return self.op("MatMul", [x, weight_name], name)

    def heads(self, x, head_shape, name):
        # Reshape target from the input's own shape, as torch exports view(b, s, h, d).
        shape = self.op("Shape", [x], f"{name}.shape")
        batch_seq = self.op("Slice", [shape, "zero_index_vec", "two_index_vec"], f"{name}.batch_seq")
        target = self.op("Concat", [batch_seq, head_shape], f"{name}.target", axis=0)
        split = self.op("Reshape", [x, target], f"{name}.split_heads")
        return self.op("Transpose", [split], f"{name}.transpose", perm=[0, 2, 1, 3])

    def rope(self, x, n_heads, name):
        # [b, h, S, hd] -> [b, h, S, hd/2, 2]: adjacent pairs (2i, 2i+1)
        lead, back = self.rope_targets(x, n_heads, name)
        target = self.op("Concat", [lead, "pair_shape"], f"{name}.pair_target", axis=0)
        pairs = self.op("Reshape", [x, target], f"{name}.pairs")
        even, odd = self.op("Split", [pairs, "split_pairs"], f"{name}.split", outputs=2, axis=-1)
        real = self.op("Sub", [self.op("Mul", [even, "rope_cos"], f"{name}.even_cos"),
                               self.op("Mul", [odd, "rope_sin"], f"{name}.odd_sin")], f"{name}.real")
        imag = self.op("Add", [self.op("Mul", [even, "rope_sin"], f"{name}.even_sin"),
                               self.op("Mul", [odd, "rope_cos"], f"{name}.odd_cos")], f"{name}.imag")
        rotated = self.op("Concat", [real, imag], f"{name}.rotated", axis=-1)
        return self.op("Reshape", [rotated, back], f"{name}.merge")

    def repeat_kv(self, x, name):
        # [b, kv, T, hd] -> [b, kv, 1, T, hd] -> [b, kv, group, T, hd] -> [b, h, T, hd]
        if self.c.n_heads == self.c.n_kv_heads:
            return x
        expand_target, merged_target = self.gqa_targets(x, name)
        expanded = self.op("Expand", [self.op("Unsqueeze", [x, "unsqueeze2"], f"{name}.unsqueeze"),
                                      expand_target], f"{name}.expand")
        return self.op("Reshape", [expanded, merged_target], f"{name}.repeat")

    def embed(self, tokens):
        self.const("token_embedding", self.w["token_embedding"])
        return self.op("Gather", ["token_embedding", tokens], "embed", axis=0)

    def layer(self, l, x):
        c, w, p = self.c, self.w, f"layers.{l}"
        xn = self.rms_norm(x, f"{p}.attention_norm.weight", w["rms_att"][l], f"{p}.attention_norm")
        q = self.heads(self.linear(xn, f"{p}.wq.weight", w["wq"][l], f"{p}.wq"), "head_shape", f"{p}.q")
        k = self.heads(self.linear(xn, f"{p}.wk.weight", w["wk"][l], f"{p}.wk"), "kv_head_shape", f"{p}.k")
        v = self.heads(self.linear(xn, f"{p}.wv.weight", w["wv"][l], f"{p}.wv"), "kv_head_shape", f"{p}.v")
        q, k = self.rope(q, c.n_heads, f"{p}.q_rope"), self.rope(k, c.n_kv_heads, f"{p}.k_rope")
        k, v = self.cache(l, k, v)
        k, v = self.repeat_kv(k, f"{p}.k"), self.repeat_kv(v, f"{p}.v")
        kt = self.op("Transpose", [k], f"{p}.kt", perm=[0, 1, 3, 2])
        scores = self.op("Div", [self.op("MatMul", [q, kt], f"{p}.qk"), "scale"], f"{p}.scaled")
        probs = self.op("Softmax", [self.op("Add", [scores, self.mask], f"{p}.masked")], f"{p}.softmax",
                        axis=-1)
        attention = self.op("Transpose", [self.op("MatMul", [probs, v], f"{p}.pv")], f"{p}.merge_t",
                            perm=[0, 2, 1, 3])
        merged = self.op("Reshape", [attention, self.model_shape], f"{p}.merge_heads")
        x = self.op("Add", [x, self.linear(merged, f"{p}.wo.weight", w["wo"][l], f"{p}.wo")], f"{p}.residual1")
        xn = self.rms_norm(x, f"{p}.ffn_norm.weight", w["rms_ffn"][l], f"{p}.ffn_norm")
        gate = self.linear(xn, f"{p}.w1.weight", w["w1"][l], f"{p}.w1")
        silu = self.op("Mul", [gate, self.op("Sigmoid", [gate], f"{p}.sigmoid")], f"{p}.silu")
        up = self.linear(xn, f"{p}.w3.weight", w["w3"][l], f"{p}.w3")
        down = self.linear(self.op("Mul", [silu, up], f"{p}.swiglu"), f"{p}.w2.weight", w["w2"][l], f"{p}.w2")
        return self.op("Add", [x, down], f"{p}.residual2")

    def logits(self, x):
        xn = self.rms_norm(x, "norm.weight", self.w["rms_final"], "norm")
        self.linear(xn, "output.weight", _classifier(self.w), "output")
        self.nodes[-1].output[0] = "logits"
        return "logits"

    def cache(self, l, k, v):
        return k, v


class _FixedDecoder(_Decoder):
    """Token ids [1, S] of one static length: constant reshape targets, rotary
    tables sliced to S, a causal mask from ConstantOfShape/Trilu."""

    def __init__(self, checkpoint, norm, S):
        super().__init__(checkpoint, norm)
        c, w, hs, self.S = self.c, self.w, self.c.head_size, S
        self.const("rope_cos", w["freq_cis_real"][:S].reshape(1, 1, S, hs // 2, 1))
        self.const("rope_sin", w["freq_cis_imag"][:S].reshape(1, 1, S, hs // 2, 1))
        self.const("unsqueeze2", _i64(2))
        self.const("one_index", _i64(1))
        self.const("mask_shape", _i64(S, S))
        self.const("gqa_shape", _i64(1, c.n_kv_heads, c.n_heads // c.n_kv_heads, S, hs))
        self.const("merged_heads", _i64(1, c.n_heads, S, hs))
        self.model_shape = self.const("model_shape", _i64(1, S, c.dim))
        self.x = self.embed("tokens")
        # Causal mask: -inf above the diagonal, 0 elsewhere.
        filled = self.op("ConstantOfShape", ["mask_shape"], "mask.fill",
                         value=numpy_helper.from_array(np.array([-np.inf], np.float32)))
        self.mask = self.op("Trilu", [filled, "one_index"], "mask.triu", upper=1)

    def rope_targets(self, x, n_heads, name):
        return (self.const(f"{name}.lead", _i64(1, n_heads, self.S)),
                self.const(f"{name}.back", _i64(1, n_heads, self.S, self.c.head_size)))

    def gqa_targets(self, x, name):
        return "gqa_shape", "merged_heads"

    def io(self):
        c = self.c
        return ([helper.make_tensor_value_info("tokens", TensorProto.INT64, [1, self.S])],
                [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, self.S, c.vocab_size])])


class _CachedDecoder(_Decoder):
    """The optimum / onnxruntime-genai form: symbolic batch and lengths, reshape
    targets from Shape, rotary tables [max_len, head/2] gathered by position_ids,
    the causal and padding mask computed from the input shapes, past/present keys
    and values per layer."""

    def __init__(self, checkpoint, norm, max_len):
        super().__init__(checkpoint, norm)
        c, w = self.c, self.w
        self.const("one_index_vec", _i64(1))
        self.const("three_index_vec", _i64(3))
        self.const("dim_vec", _i64(c.dim))
        if c.n_heads != c.n_kv_heads:
            self.const("unsqueeze2", _i64(2))
            self.const("four_index_vec", _i64(4))
            self.const("group_vec", _i64(c.n_heads // c.n_kv_heads))
            self.const("heads_vec", _i64(c.n_heads))
        self.const("rope_axes", _i64(1, 4))
        self.const("rope_cos_table", w["freq_cis_real"][:max_len])
        self.const("rope_sin_table", w["freq_cis_imag"][:max_len])
        self.x = self.embed("input_ids")
        ids_shape = self.op("Shape", ["input_ids"], "input_ids.shape")
        self.model_shape = self.op("Concat", [ids_shape, "dim_vec"], "model_shape", axis=0)
        # [batch, S] positions -> [batch, 1, S, head/2, 1] angles
        for part in ("cos", "sin"):
            gathered = self.op("Gather", [f"rope_{part}_table", "position_ids"], f"rope_{part}.gather", axis=0)
            self.op("Unsqueeze", [gathered, "rope_axes"], f"rope_{part}")
        self.mask = self._mask(ids_shape)

    def _mask(self, ids_shape):
        """[batch, 1, S, total]: 0 where query i (absolute position past + i)
        may see key j (j <= past + i and attention_mask[b, j] != 0), else the
        lowest float (not -inf, so that a fully padded row stays finite)."""
        self.const("zero_scalar", np.array(0, np.int64))
        self.const("one_scalar", np.array(1, np.int64))
        self.const("mask_padding_axes", _i64(1, 2))
        self.const("mask_visible", np.array(0.0, np.float32))
        self.const("mask_hidden", np.array(np.finfo(np.float32).min, np.float32))
        total = self.op("Gather", [self.op("Shape", ["attention_mask"], "mask.shape"), "one_scalar"],
                        "mask.total", axis=0)
        seq = self.op("Gather", [ids_shape, "one_scalar"], "mask.seq", axis=0)
        past = self.op("Sub", [total, seq], "mask.past")
        keys = self.op("Unsqueeze", [self.op("Range", ["zero_scalar", total, "one_scalar"], "mask.key_positions"),
                                     "zero_index_vec"], "mask.keys")  # [1, total]
        queries = self.op("Unsqueeze", [self.op("Range", [past, total, "one_scalar"], "mask.query_positions"),
                                        "one_index_vec"], "mask.queries")  # [S, 1]
        causal = self.op("LessOrEqual", [keys, queries], "mask.causal")  # [S, total]
        padding = self.op("Unsqueeze", [self.op("Cast", ["attention_mask"], "mask.bool", to=TensorProto.BOOL),
                                        "mask_padding_axes"], "mask.padding")  # [batch, 1, 1, total]
        visible = self.op("And", [causal, padding], "mask.visible")
        return self.op("Where", [visible, "mask_visible", "mask_hidden"], "mask")

    def rope_targets(self, x, n_heads, name):
        shape = self.op("Shape", [x], f"{name}.shape")
        return self.op("Slice", [shape, "zero_index_vec", "three_index_vec"], f"{name}.lead"), shape

    def gqa_targets(self, x, name):
        shape = self.op("Shape", [x], f"{name}.kv_shape")
        batch_kv = self.op("Slice", [shape, "zero_index_vec", "two_index_vec"], f"{name}.batch_kv")
        batch = self.op("Slice", [shape, "zero_index_vec", "one_index_vec"], f"{name}.batch")
        length_hd = self.op("Slice", [shape, "two_index_vec", "four_index_vec"], f"{name}.length_head")
        return (self.op("Concat", [batch_kv, "group_vec", length_hd], f"{name}.gqa_target", axis=0),
                self.op("Concat", [batch, "heads_vec", length_hd], f"{name}.merged_target", axis=0))

    def cache(self, l, k, v):
        return (self.op("Concat", [f"past_key_values.{l}.key", k], f"present.{l}.key", axis=2),
                self.op("Concat", [f"past_key_values.{l}.value", v], f"present.{l}.value", axis=2))

    def io(self):
        c, f32, i64 = self.c, TensorProto.FLOAT, TensorProto.INT64
        kv = lambda name, length: helper.make_tensor_value_info(
            name, f32, ["batch", c.n_kv_heads, length, c.head_size])
        cache_names = [(l, part) for l in range(c.n_layers) for part in ("key", "value")]
        inputs = [helper.make_tensor_value_info("input_ids", i64, ["batch", "sequence_length"]),
                  helper.make_tensor_value_info("attention_mask", i64, ["batch", "total_sequence_length"]),
                  helper.make_tensor_value_info("position_ids", i64, ["batch", "sequence_length"])]
        inputs += [kv(f"past_key_values.{l}.{part}", "past_sequence_length") for l, part in cache_names]
        outputs = [helper.make_tensor_value_info("logits", f32, ["batch", "sequence_length", c.vocab_size])]
        outputs += [kv(f"present.{l}.{part}", "total_sequence_length") for l, part in cache_names]
        return inputs, outputs


def to_onnx(checkpoint: Checkpoint, seq_len: int, norm: str = "rms", kv_cache: bool = False) -> onnx.ModelProto:
    """The checkpoint as an ONNX graph: tokens [1, seq_len] -> logits, or with
    kv_cache the past/present decoder of any length up to seq_len positions
    (the size of its rotary tables; metadata max_seq_len). norm="layer" is a
    pre-LN (OPT/GPT style) variant for testing LayerNorm handling:
    LayerNormalization with the checkpoint's gains and a fixed nonzero bias,
    not the checkpoint's function."""
    c = checkpoint.config
    if seq_len > c.seq_len:
        raise ValueError(f"seq_len {seq_len} exceeds the checkpoint's {c.seq_len}")
    g = _CachedDecoder(checkpoint, norm, seq_len) if kv_cache else _FixedDecoder(checkpoint, norm, seq_len)
    x = g.x
    for l in range(c.n_layers):
        x = g.layer(l, x)
    g.logits(x)
    inputs, outputs = g.io()
    graph = helper.make_graph(g.nodes, "llama2c", inputs, outputs, g.initializers)
    model = helper.make_model(graph, producer_name="qopt.llama2c",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 10
    if kv_cache:
        helper.set_model_props(model, {"max_seq_len": str(seq_len)})
    onnx.checker.check_model(model)
    return model


def _relative_error(got, expected):
    """max |got - expected| / max |expected|"""
    return float(np.max(np.abs(np.asarray(got, np.float64) - expected)) / np.max(np.abs(expected)))


def check_against_reference(model_path, checkpoint_path, executable=None, seed=0):
    """max |logits - numpy| / max |numpy| for random tokens, the logits from
    ONNX Runtime on the model, or from a qopt-compiled `executable` of it."""
    checkpoint = read_checkpoint(checkpoint_path)
    S = onnx.load(model_path).graph.input[0].type.tensor_type.shape.dim[1].dim_value
    tokens = np.random.default_rng(seed).integers(0, checkpoint.config.vocab_size, (1, S))
    if executable:
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
    return _relative_error(got, reference_forward(checkpoint, tokens[0]))


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


# ---------------------------------------------------------------- generation with ONNX Runtime

class OrtKVDecoder:
    """A kv_cache-form model in ONNX Runtime with its past: each call runs new
    token ids [batch, S] (mask: their attention_mask, default ones) after all
    those before, feeds present back as past, and returns logits [batch, S,
    vocab]. Position ids count the unmasked tokens before each (as Hugging
    Face's generate does for left padding). max_len: the model's max_seq_len."""

    def __init__(self, model_path=None, batch=1, session=None):
        if session is None:
            import onnxruntime as ort
            session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
        self.session, self.outputs = session, [o.name for o in session.get_outputs()]
        self.past = {i.name: np.zeros((batch, i.shape[1], 0, i.shape[3]), np.float32)
                     for i in session.get_inputs() if i.name.startswith("past_key_values.")}
        if not self.past:
            raise ValueError("not a kv_cache model (no past_key_values inputs): export with --kv-cache")
        self.mask = np.zeros((batch, 0), np.int64)
        self.max_len = int(session.get_modelmeta().custom_metadata_map.get("max_seq_len", sys.maxsize))

    def __call__(self, tokens, mask=None):
        tokens = np.asarray(tokens, np.int64)
        mask = np.ones(tokens.shape, np.int64) if mask is None else np.asarray(mask, np.int64)
        self.mask = np.concatenate([self.mask, mask], axis=1)
        positions = np.maximum(np.cumsum(self.mask, axis=1) - 1, 0)[:, -tokens.shape[1]:]
        feed = {"input_ids": tokens, "attention_mask": self.mask, "position_ids": positions, **self.past}
        results = dict(zip(self.outputs, self.session.run(None, feed)))
        self.past = {name: results[name.replace("past_key_values.", "present.")] for name in self.past}
        return results["logits"]


def ort_generate(model_path, prompt_ids, max_new_tokens, eos=None, seed=0, temperature=0.0, top_k=0,
                 top_p=1.0, session=None, warmup=True):
    """Generation with ONNX Runtime on a kv_cache-form model, present fed back as
    past (plain numpy feeds, no I/O binding): greedy by default, or sampled as
    sample_next with numpy's Generator seeded by `seed`. Returns the new ids and
    {ttft_ms, prefill_tok_s, decode_tok_s}, measured after one warm-up prefill
    and decode step on a separate cache (warmup) and without session creation."""
    decoder = OrtKVDecoder(model_path, session=session)
    if warmup and 0 < len(prompt_ids) < decoder.max_len:  # else _generate reports the prompt
        decoder([list(prompt_ids)])
        decoder([[int(prompt_ids[-1])]])
        decoder = OrtKVDecoder(session=decoder.session)
    return _generate(lambda ids: decoder([ids])[0], prompt_ids, max_new_tokens, decoder.max_len, eos, seed,
                     temperature=temperature, top_k=top_k, top_p=top_p)


def check_kv_against_reference(model_path, checkpoint_path, length=32, new_tokens=48, seed=0):
    """A kv_cache-form model against the numpy reference of its checkpoint, on
    random tokens after BOS run as a prefill of half, a chunk of 3 and single
    tokens. Returns a dict: the reference by chunks vs the reference of the
    whole sequence (max |difference| / max |logit|); the same for ONNX Runtime
    with its cache; for a batch of two whose second row is left-padded by 3
    (attention_mask 0); and whether greedy and seeded top-k/top-p generation
    from BOS give the reference's tokens."""
    checkpoint = read_checkpoint(checkpoint_path)
    c = checkpoint.config
    decoder = OrtKVDecoder(model_path)
    session, max_len = decoder.session, min(decoder.max_len, c.seq_len)
    length, pad = min(length, max_len), 3
    rng = np.random.default_rng(seed)
    tokens = np.concatenate([[1], rng.integers(0, c.vocab_size, length - 1)])
    other = np.concatenate([[1], rng.integers(0, c.vocab_size, length - pad - 1)])
    prefill = length // 2
    bounds = [0, prefill, prefill + 3] + list(range(prefill + 4, length + 1))
    chunks = list(zip(bounds, bounds[1:]))

    expected = reference_forward(checkpoint, tokens)
    cache, stepped = None, []
    for a, b in chunks:
        logits, cache = reference_step(checkpoint, tokens[a:b], cache)
        stepped.append(logits)
    result = {"reference_step_vs_forward": _relative_error(np.concatenate(stepped), expected)}

    got = np.concatenate([decoder(tokens[None, a:b])[0] for a, b in chunks])
    result["ort_kv_vs_numpy_relative_error"] = _relative_error(got, expected)

    # Row 1: `other` after `pad` masked positions, in the same chunks as row 0.
    padded = np.concatenate([np.zeros(pad, np.int64), other])
    padded_mask = np.concatenate([np.zeros(pad, np.int64), np.ones(len(other), np.int64)])
    decoder = OrtKVDecoder(session=session, batch=2)
    got = np.concatenate([decoder(np.stack([tokens[a:b], padded[a:b]]),
                                  np.stack([np.ones(b - a, np.int64), padded_mask[a:b]])) for a, b in chunks],
                         axis=1)
    result["ort_kv_padded_batch_relative_error"] = max(
        _relative_error(got[0], expected), _relative_error(got[1, pad:], reference_forward(checkpoint, other)))

    count = min(new_tokens, max_len - 1)
    for name, sampling in [("greedy", {}), ("sampled", dict(temperature=1.0, top_k=40, top_p=0.9, seed=seed))]:
        reference = reference_generate(checkpoint, [1], count, **sampling)
        ort_ids, _ = ort_generate(None, [1], count, session=session, warmup=False, **sampling)
        result[f"{name}_tokens"] = len(reference)
        result[f"{name}_equal"] = reference == ort_ids
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    convert = sub.add_parser("to-onnx", help="convert a checkpoint to ONNX")
    convert.add_argument("checkpoint")
    convert.add_argument("-o", "--output", required=True)
    convert.add_argument("--seq-len", type=int,
                         help="tokens per run (default 32); with --kv-cache the most positions (default the "
                              "checkpoint's)")
    convert.add_argument("--norm", choices=["rms", "layer"], default="rms",
                         help="layer: a pre-LN variant with LayerNormalization (not the checkpoint's function)")
    convert.add_argument("--kv-cache", action="store_true",
                         help="the past/present decoder of optimum and onnxruntime-genai (symbolic lengths)")
    hf = sub.add_parser("to-hf", help="write a Hugging Face LlamaForCausalLM directory (safetensors)")
    hf.add_argument("checkpoint")
    hf.add_argument("-o", "--output", required=True)
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
    check_kv = sub.add_parser("check-kv", help="a --kv-cache model in ONNX Runtime vs the numpy reference: "
                                               "logits by prefill and decode steps, greedy and sampled tokens")
    check_kv.add_argument("model")
    check_kv.add_argument("checkpoint")
    check_kv.add_argument("--tolerance", type=float, default=1e-4)
    check_kv.add_argument("--length", type=int, default=32, help="tokens of the logits check")
    check_kv.add_argument("--new-tokens", type=int, default=48, help="tokens of the generation checks")
    check_kv.add_argument("--seed", type=int, default=0)
    generate = sub.add_parser("generate", help="tokens generated by ONNX Runtime from a --kv-cache model, "
                                               "with timing (JSON)")
    generate.add_argument("model")
    generate.add_argument("--prompt", default="1", help="comma-separated token ids (default BOS = 1)")
    generate.add_argument("--max-new-tokens", type=int, default=64)
    generate.add_argument("--eos", type=int, help="a token id that ends generation (kept)")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--temperature", type=float, default=0.0, help="0: greedy")
    generate.add_argument("--top-k", type=int, default=0, help="0: all ids")
    generate.add_argument("--top-p", type=float, default=1.0)
    generate.add_argument("--threads", type=int, default=0, help="ONNX Runtime intra-op threads (0: its default)")
    sample = sub.add_parser("sample", help="token sequences sampled from the ONNX model (.npy)")
    sample.add_argument("model")
    sample.add_argument("-o", "--output", required=True)
    sample.add_argument("--count", type=int, default=32)
    sample.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "sample":
        np.save(args.output, sample_tokens(args.model, args.count, args.seed))
    elif args.command == "to-onnx":
        checkpoint = read_checkpoint(args.checkpoint)
        seq_len = args.seq_len or (checkpoint.config.seq_len if args.kv_cache else 32)
        onnx.save(to_onnx(checkpoint, seq_len, args.norm, kv_cache=args.kv_cache), args.output)
    elif args.command == "to-hf":
        write_hf_directory(read_checkpoint(args.checkpoint), args.output)
    elif args.command == "synthetic":
        config = Config(args.dim, args.hidden_dim, args.layers, args.heads, args.kv_heads, args.vocab,
                        args.seq_len)
        write_checkpoint(synthetic_checkpoint(config, args.seed), args.output)
    elif args.command == "generate":
        import onnxruntime as ort
        prompt = [int(t) for t in args.prompt.split(",")]
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
        ids, timing = ort_generate(args.model, prompt, args.max_new_tokens, args.eos, args.seed,
                                   args.temperature, args.top_k, args.top_p, session=session)
        print(json.dumps({"prompt": prompt, "ids": ids, **timing}))
    elif args.command == "check-kv":
        result = check_kv_against_reference(args.model, args.checkpoint, args.length, args.new_tokens, args.seed)
        ok = (result["reference_step_vs_forward"] <= 1e-9 and result["greedy_equal"] and result["sampled_equal"]
              and max(result["ort_kv_vs_numpy_relative_error"],
                      result["ort_kv_padded_batch_relative_error"]) <= args.tolerance)
        print(json.dumps({**result, "within_tolerance": ok}))
        return 0 if ok else 1
    else:
        error = check_against_reference(args.model, args.checkpoint, args.executable)
        who = "qopt" if args.executable else "ort"
        print(f'{{"{who}_vs_numpy_relative_error": {error:.3e}, "within_tolerance": '
              f'{str(error <= args.tolerance).lower()}}}')
        return 0 if error <= args.tolerance else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
