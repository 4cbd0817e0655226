"""Checks a `qopt compile --generate` build of a llama2.c checkpoint's
KV-cache export (python -m qopt.llama2c to-onnx --kv-cache) against the
checkpoint's float64 numpy reference.

    python -m qopt.generator_check GENERATOR CHECKPOINT [--library LIB.so]
        [--prompt-len N] [--new-tokens M] [--tolerance T]

- greedy generation after a random prompt (longer than a prefill step, so
  prefill takes several steps) equals the reference token for token, and the
  logits of every generated token equal the reference's full-sequence forward
  pass (the KV-cache steps against no cache at all); for a cache stored as
  f16 / int8 / int4 or rotated (--kv-hadamard), the logits equal
  qopt.kv_reference's model of that cache instead;
- seeded sampling (temperature, top-k, top-p) is reproducible, differs under
  another seed, and only draws tokens within the top k of their logits;
- a full cache stops generation (prompt + generated = max_seq_len + 1);
- an empty prompt, a token outside the vocabulary and a prompt longer than
  the cache are errors that say so, with no output file written;
- with --library, the shared library's C API (ctypes) gives the executable's
  logits.
Prints one line per check ("<check>: ... ok|FAIL"); exits 1 on a failure.
With --tolerance none (a quantized build), only the checks that do not
compare with the float reference run.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from qopt import kv_reference, llama2c
from qopt.generator import Generator, GeneratorError


def run(generator, *args):
    result = subprocess.run([generator, *map(str, args)], capture_output=True, text=True)
    return result.returncode, result.stdout, result.stderr


def generate(generator, work, prompt, new_tokens, *options):
    ids_path, logits_path = os.path.join(work, "ids.npy"), os.path.join(work, "logits.npy")
    code, out, err = run(generator, "--prompt", ",".join(map(str, prompt)), "--max-new-tokens", new_tokens,
                         "--output", ids_path, "--logits", logits_path, *options)
    if code:
        raise RuntimeError(f"{generator} failed ({code}): {err.strip()}")
    report = json.loads(out)
    ids = np.load(ids_path)
    if list(ids) != report["ids"]:
        raise RuntimeError("--output and the JSON disagree on the generated ids")
    return [int(t) for t in ids], np.load(logits_path), report


def relative_error(got, expected):
    return float(np.max(np.abs(np.asarray(got, np.float64) - expected)) / np.max(np.abs(expected)))


class Checks:
    def __init__(self):
        self.failed = 0

    def report(self, name, ok, detail=""):
        print(f"{name}: {detail} {'ok' if ok else 'FAIL'}".replace("  ", " "))
        self.failed += not ok


def library_logits(library, prompt, steps):
    """Logits after prefill of `prompt`, then after each token of `steps`,
    through the C API of qopt_generator.h; and the status and message of a
    step with a token outside the vocabulary."""
    with Generator(library) as g:
        rows = g.teacher_force(prompt, steps)
        try:
            g.step(1 << 40)
            return rows, (0, "")
        except GeneratorError as error:
            return rows, (-1, str(error))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("generator")
    parser.add_argument("checkpoint")
    parser.add_argument("--library")
    parser.add_argument("--prompt-len", type=int, default=20)
    parser.add_argument("--new-tokens", type=int, default=24)
    parser.add_argument("--tolerance", default="1e-4", help="logits relative error bar, or 'none'")
    parser.add_argument("--kv-hadamard", action="store_true",
                        help="the generator was compiled with --kv-hadamard (R3)")
    args = parser.parse_args(argv)
    checkpoint = llama2c.read_checkpoint(args.checkpoint)
    vocab = checkpoint.config.vocab_size
    info = json.loads(run(args.generator, "--info")[1])
    max_seq_len = info["max_seq_len"]
    rng = np.random.default_rng(11)
    prompt = [1] + [int(t) for t in rng.integers(0, vocab, args.prompt_len - 1)]
    checks = Checks()
    with tempfile.TemporaryDirectory() as work:
        ids, logits, report = generate(args.generator, work, prompt, args.new_tokens)
        print(f"# {len(prompt)} prompt tokens ({info['prefill_len']} per prefill step), "
              f"{report['prefill_tok_s']:.0f} prefill tok/s, {report['decode_tok_s']:.0f} decode tok/s")
        kv_format = kv_reference.KvFormat(info["kv_cache"], info["kv_group"], args.kv_hadamard)
        if args.tolerance != "none" and kv_format.name == "f32" and not kv_format.hadamard:
            expected = llama2c.reference_generate(checkpoint, prompt, args.new_tokens)
            same = sum(a == b for a, b in zip(ids, expected))
            checks.report("greedy", ids == expected, f"{same}/{len(expected)} tokens equal the reference;")
            full = llama2c.reference_forward(checkpoint, prompt + ids[:-1])[len(prompt) - 1:]
            error = relative_error(logits, full)
            checks.report("cache steps vs full forward", error < float(args.tolerance),
                          f"logits relative error {error:.2e};")
        elif args.tolerance != "none":
            # The cache format's numpy model (qopt.kv_reference), teacher-forced
            # with the generated ids: the logits match it, and each greedy id is
            # its argmax wherever its top two are apart by more than the error bar.
            expected = kv_reference.reference_logits(checkpoint, prompt, ids[:-1], info["prefill_len"], kv_format)
            error = relative_error(logits, expected)
            name = kv_format.name + (" + R3" if kv_format.hadamard else "")
            checks.report(f"cache steps vs the {name} cache's reference", error < float(args.tolerance),
                          f"logits relative error {error:.2e};")
            top2 = np.sort(expected, axis=1)[:, -2:]
            clear = (top2[:, 1] - top2[:, 0]) > 4 * float(args.tolerance) * np.max(np.abs(expected))
            agree = [int(np.argmax(row)) == t for row, t in zip(expected, ids)]
            checks.report("greedy", all(a for a, c in zip(agree, clear) if c),
                          f"{sum(agree)}/{len(ids)} tokens are the reference's argmax, "
                          f"all {int(clear.sum())} clear ones;")
            full = llama2c.reference_forward(checkpoint, prompt + ids[:-1])[len(prompt) - 1:]
            print(f"# {name} cache: logits relative error {relative_error(logits, full):.2e} "
                  f"against the float cache's full forward pass")
        else:
            checks.report("greedy", len(ids) == args.new_tokens and all(0 <= t < vocab for t in ids),
                          f"{len(ids)} tokens;")

        sampling = ["--temperature", "0.8", "--top-k", "20", "--top-p", "0.9"]
        first, first_logits, _ = generate(args.generator, work, prompt, args.new_tokens, *sampling, "--seed", 5)
        again, _, _ = generate(args.generator, work, prompt, args.new_tokens, *sampling, "--seed", 5)
        other, _, _ = generate(args.generator, work, prompt, args.new_tokens, *sampling, "--seed", 6)
        checks.report("sampling reproducible", first == again, "seed 5 twice;")
        checks.report("sampling seeded", first != other, "seed 6 differs;")
        ranks = [int(np.sum(row > row[t])) for row, t in zip(first_logits, first)]
        checks.report("top-k", max(ranks) < 20, f"worst rank of a drawn token {max(ranks)};")

        full_ids, _, _ = generate(args.generator, work, prompt, max_seq_len)
        checks.report("full cache stops", len(prompt) + len(full_ids) == max_seq_len + 1,
                      f"{len(full_ids)} new tokens after {len(prompt)} with {max_seq_len} slots;")

        for name, bad_prompt, message in [("empty prompt", "", "empty"),
                                          ("token outside the vocabulary", f"1,{vocab}", "outside the vocabulary"),
                                          ("prompt longer than the cache", ",".join(["1"] * (max_seq_len + 1)),
                                           "exceed")]:
            out_path = os.path.join(work, "unwritten.npy")
            code, _, err = run(args.generator, "--prompt", bad_prompt, "--output", out_path)
            ok = code != 0 and message in err and not os.path.exists(out_path)
            checks.report(f"error: {name}", ok, f"exit {code}, '{err.strip()}';")

    if args.library:
        rows, (bad, bad_message) = library_logits(args.library, prompt, ids[:-1])
        error = relative_error(rows, logits.astype(np.float64))
        checks.report("library C API", error < 1e-6, f"logits vs the executable {error:.2e};")
        checks.report("library error", bad != 0 and "vocabulary" in bad_message, f"'{bad_message}';")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
