"""Generation fidelity of KV-cache formats from Python: `qopt eval
--kv-cache` (each recipe x cache format built as a generator, the token
sequences teacher-forced through the cache, next-token KLD / top-1 against
the float build with an f32 cache) on given sequences, or on sequences
sampled here from the float build.

    python -m qopt.kv_eval decoder.onnx [--formats f32,f16,int8,int4,int4-r3]
        [--recipes float,w4a8] [--data tokens.npy | --sequences 8 --length 96]
        [--prompt-len 16] [--kv-group 32] [--json out.json]

Without --data, the sequences are drawn (temperature 1, seeded) from the
float build (f32 cache) through qopt.Generator, starting at token 1.
"""

import argparse
import json
import os
import sys
import tempfile

import numpy as np

from qopt.driver import EvalError, run_qopt
from qopt.generator import Generator


def parse_format(text):
    """'int4-r3' -> ('int4', True)."""
    name, _, suffix = text.partition("-")
    if name not in ("f32", "f16", "int8", "int4") or suffix not in ("", "r3"):
        raise ValueError(f"unknown KV-cache format {text!r} (f32, f16, int8, int4, optionally -r3)")
    return name, suffix == "r3"


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


def sample_from_float_build(model, count, length, seed, work, qopt_bin=None):
    library = os.path.join(work, "float.so")
    max_seq_len = -(-length // 64) * 64
    run_qopt(["compile", model, "--generate", "--emit", "lib", "-o", library, "--kv-cache", "f32",
              "--max-seq-len", str(max_seq_len), "--prefill-len", "16"], EvalError, qopt_bin)
    with Generator(library) as generator:
        return sample_sequences(generator, count, length, seed)


def evaluate(model, formats, recipes, sequences=None, count=8, length=96, prompt_len=16, group=32, seed=0,
             qopt_bin=None):
    """`qopt eval --kv-cache` rows: {recipe, kv_cache, kld, kld_max, top1,
    positions, cache_bytes_per_token_layer}."""
    for f in formats:
        parse_format(f)
    with tempfile.TemporaryDirectory() as work:
        if sequences is None:
            sequences = sample_from_float_build(model, count, length, seed, work, qopt_bin)
        data = os.path.join(work, "sequences.npy")
        np.save(data, np.asarray(sequences, np.int64))
        out = run_qopt(["eval", model, "--kv-cache", ",".join(formats), "--recipe", ",".join(recipes), "--data",
                        data, "--prompt-len", str(prompt_len), "--kv-group", str(group), "--json"], EvalError,
                       qopt_bin)
    return json.loads(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--formats", default="f32,f16,int8,int4,int4-r3")
    parser.add_argument("--recipes", default="float")
    parser.add_argument("--data", help="int64 .npy of token sequences [count, length]")
    parser.add_argument("--sequences", type=int, default=8)
    parser.add_argument("--length", type=int, default=96)
    parser.add_argument("--prompt-len", type=int, default=16)
    parser.add_argument("--kv-group", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args(argv)
    sequences = np.load(args.data) if args.data else None
    rows = evaluate(args.model, args.formats.split(","), args.recipes.split(","), sequences, args.sequences,
                    args.length, args.prompt_len, args.kv_group, args.seed)
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
