"""Generation fidelity of KV-cache formats: a decoder (exported with a KV
cache) compiled with `qopt compile --generate --emit lib` once per weight
recipe and cache format, every build fed the same token sequences
teacher-forced (a prompt prefilled, then one decode step per token, so
every later token reads the cache), and its next-token distributions
compared with the float build's (float weights, f32 cache).

    python -m qopt.kv_eval decoder.onnx [--formats f32,f16,int8,int4,int4-r3]
        [--recipes float,w4a8] [--data tokens.npy | --sequences 8 --length 96]
        [--prompt-len 16] [--max-seq-len 128] [--json out.json]

Prints one row per (recipe, format): mean KLD(float || build) over the
decoded positions, the share of positions whose argmax agrees, and the
cache's bytes per token and layer. Without --data, the sequences are
sampled (temperature 1, seeded) from the float build, starting at token 1.
A format suffixed `-r3` adds --kv-hadamard.
"""

import argparse
import json
import os
import sys
import tempfile

import numpy as np

from qopt.driver import CompileError, run_qopt
from qopt.generator import Generator


def parse_format(text):
    """'int4-r3' -> ('int4', True)."""
    name, _, suffix = text.partition("-")
    if name not in ("f32", "f16", "int8", "int4") or suffix not in ("", "r3"):
        raise ValueError(f"unknown KV-cache format {text!r} (f32, f16, int8, int4, optionally -r3)")
    return name, suffix == "r3"


def cache_bytes_per_token(name, head_size, kv_heads, group):
    """Bytes one token adds to one layer's cache (keys and values)."""
    if name in ("f32", "f16"):
        return 2 * kv_heads * head_size * (4 if name == "f32" else 2)
    codes = head_size if name == "int8" else head_size // 2
    value_groups = head_size // min(group, head_size // 2)
    # Key scales and offsets are per channel per `group` slots; value ones per slot per group.
    return kv_heads * (2 * codes + 8 * head_size / group + 8 * value_groups)


def build(model, recipe, kv_format, work, max_seq_len, prefill_len, group, qopt_bin=None):
    name, hadamard = parse_format(kv_format)
    output = os.path.join(work, f"lib-{recipe}-{kv_format}.so")
    arguments = ["compile", model, "--generate", "--emit", "lib", "-o", output, "--max-seq-len", str(max_seq_len),
                 "--prefill-len", str(prefill_len), "--kv-cache", name, "--kv-group", str(group)]
    if recipe != "float":
        arguments += ["--recipe", recipe]
    if hadamard:
        arguments.append("--kv-hadamard")
    run_qopt(arguments, CompileError, qopt_bin)
    return output


def log_softmax(logits):
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def sample_sequences(generator, count, length, seed):
    """`count` sequences of `length` tokens drawn from the generator
    (softmax of its logits, temperature 1), each starting at token 1."""
    rng = np.random.default_rng(seed)
    sequences = []
    for _ in range(count):
        generator.reset()
        tokens, logits = [1], generator.prefill([1])
        while len(tokens) < length:
            p = np.exp(log_softmax(logits))
            tokens.append(int(rng.choice(len(p), p=p / p.sum())))
            logits = generator.step(tokens[-1])
        sequences.append(tokens)
    return np.array(sequences, np.int64)


def decoded_log_probs(library, sequences, prompt_len):
    """log p of every decoded position: [sequences, length - prompt_len + 1, vocab]."""
    with Generator(library) as generator:
        return np.stack([log_softmax(generator.teacher_force(s[:prompt_len], s[prompt_len:-1]))
                         for s in sequences])


def evaluate(model, formats, recipes, sequences=None, count=8, length=96, prompt_len=16, max_seq_len=128,
             prefill_len=16, group=32, seed=0, qopt_bin=None, work=None):
    """Rows of {recipe, kv_cache, kld, top1, bytes_per_token}, the first the
    float reference itself."""
    with tempfile.TemporaryDirectory(dir=work) as directory:
        reference_library = build(model, "float", "f32", directory, max_seq_len, prefill_len, group, qopt_bin)
        with Generator(reference_library) as generator:
            shape = generator.kv_heads, generator.head_size
            if sequences is None:
                sequences = sample_sequences(generator, count, length, seed)
        sequences = np.asarray(sequences, np.int64)
        if sequences.ndim != 2 or sequences.shape[1] <= prompt_len + 1:
            raise ValueError(f"sequences must be [count, length > {prompt_len + 1}], not {list(sequences.shape)}")
        reference = decoded_log_probs(reference_library, sequences, prompt_len)
        rows = []
        for recipe in recipes:
            for kv_format in formats:
                if recipe == "float" and kv_format == "f32":
                    log_probs = reference
                else:
                    library = build(model, recipe, kv_format, directory, max_seq_len, prefill_len, group, qopt_bin)
                    log_probs = decoded_log_probs(library, sequences, prompt_len)
                kld = np.sum(np.exp(reference) * (reference - log_probs), -1)
                top1 = np.argmax(reference, -1) == np.argmax(log_probs, -1)
                rows.append({"recipe": recipe, "kv_cache": kv_format, "kld": float(kld.mean()),
                             "kld_max": float(kld.max()), "top1": float(top1.mean()),
                             "positions": int(kld.size),
                             "cache_bytes_per_token_layer": cache_bytes_per_token(parse_format(kv_format)[0],
                                                                                  shape[1], shape[0], group)})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--formats", default="f32,f16,int8,int4,int4-r3")
    parser.add_argument("--recipes", default="float")
    parser.add_argument("--data", help="int64 .npy of token sequences [count, length]")
    parser.add_argument("--sequences", type=int, default=8)
    parser.add_argument("--length", type=int, default=96)
    parser.add_argument("--prompt-len", type=int, default=16)
    parser.add_argument("--max-seq-len", type=int, default=128)
    parser.add_argument("--prefill-len", type=int, default=16)
    parser.add_argument("--kv-group", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args(argv)
    formats = args.formats.split(",")
    for f in formats:
        parse_format(f)
    sequences = np.load(args.data) if args.data else None
    rows = evaluate(args.model, formats, args.recipes.split(","), sequences, args.sequences, args.length,
                    args.prompt_len, args.max_seq_len, args.prefill_len, args.kv_group, args.seed)
    print(f"{'recipe':<14} {'kv cache':<9} {'KLD':>10} {'KLD max':>10} {'top-1':>7} {'B/token/layer':>14}")
    for row in rows:
        print(f"{row['recipe']:<14} {row['kv_cache']:<9} {row['kld']:10.3e} {row['kld_max']:10.3e} "
              f"{row['top1']:7.2%} {row['cache_bytes_per_token_layer']:14.0f}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
