"""Text generation on the CPU: qopt's generator builds (`qopt compile
--generate`) beside ONNX Runtime with past/present tensors and
onnxruntime-genai, on the same KV-cache decoder (python -m qopt.llama2c
to-onnx --kv-cache), prompt, machine and thread counts. Prints one JSON
object per (model, contender, threads), then a table on stderr.

    .venv/bin/python bench/generate.py [--qopt build/bin/qopt] [--work /tmp/qopt-generate]
        [--models stories260K,llama110m] [--threads 1,2] [--contenders qopt-fp32,...]
        [--prompt-len 32] [--new-tokens 64] [--max-seq-len 128] [--repeat 3] [--json FILE]

Models: stories260K (../shared/models; skipped when absent) and the synthetic
110M Llama of bench/llama_models.py (dim 1024, 8 layers, 16 heads over 4 KV
heads, vocabulary 8192), both with a 128-slot cache (--max-seq-len; a longer
cache and --new-tokens show what the KV-cache format costs as it fills).

Contenders:
  ort-fp32          ONNX Runtime session of the float model, present fed back as past
                    (qopt.llama2c.ort_generate: numpy feeds, as its Python users call it)
  ort-nbits4        the same on MatMulNBits 4-bit, block 32, accuracy_level 4
                    (int8 activations), ORT's int4 CPU path
  genai-nbits4      onnxruntime-genai (its C++ generation loop, past/present in ORT
                    buffers) on that MatMulNBits model, when onnxruntime_genai imports
  qopt-fp32, qopt-w4a16-g32, qopt-w4a8, qopt-w8a8   `qopt compile --generate --mcpu native --recipe R`
                    (the cache f32 for qopt-fp32, else the compiler's default f16);
                    a suffix :f32, :f16, :int8, :int4 or :int4-r3 picks the KV-cache format
                    (--kv-cache, -r3: --kv-hadamard), e.g. qopt-w4a8:int8
Each runs in its own process: greedy generation of --new-tokens after a
random --prompt-len prompt (BOS first), --repeat times after a warm-up, the
median time to first token (prefill), prefill and decode tokens per second,
peak RSS (VmHWM; ORT's includes Python). ids_equal_ort_fp32: how many
leading generated tokens equal ort-fp32's. weight_gb_s: the bytes of the
linear weights a decode step streams (4 per fp32 weight, 0.625 per int4
weight with a float scale per 32, 1 per int8) times decode tokens/s, and
its fraction of the machine's DRAM read bandwidth (bench/read_bandwidth.c,
a 1 GiB buffer) with as many threads: weights that fit the last-level cache
(the 110M model's 62 MB of int4 do on a 260 MiB L3) stream from it, and the
fraction then exceeds 1. decode_speedup = decode tok/s over the counterpart's
(qopt-fp32 vs ort-fp32; the 4-bit recipes vs genai-nbits4, else ort-nbits4;
qopt-w8a8 vs ort-nbits4).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)

from qopt import kv_eval, llama2c  # noqa: E402
import llama_models  # noqa: E402
from qlinear_kernels import read_bandwidth  # noqa: E402

CONTENDERS = ["ort-fp32", "ort-nbits4", "genai-nbits4", "qopt-fp32", "qopt-w4a16-g32", "qopt-w4a8", "qopt-w8a8"]
BYTES_PER_WEIGHT = {"ort-fp32": 4.0, "qopt-fp32": 4.0, "ort-nbits4": 0.625, "genai-nbits4": 0.625,
                    "qopt-w4a16-g32": 0.625, "qopt-w4a8": 0.625, "qopt-w8a8": 1.0}
MAX_SEQ_LEN = 128


def log(message):
    print(message, file=sys.stderr, flush=True)


def split_contender(contender):
    """'qopt-w4a8:int8' -> ('qopt-w4a8', 'int8'); no suffix -> (contender, None)."""
    name, _, kv_format = contender.partition(":")
    return name, kv_format or None


def counterpart(contender, available):
    contender = split_contender(contender)[0]
    if contender == "qopt-fp32":
        return "ort-fp32"
    if contender in ("qopt-w4a16-g32", "qopt-w4a8") and "genai-nbits4" in available:
        return "genai-nbits4"
    return "ort-nbits4" if contender.startswith("qopt-") else None


def linear_weights(checkpoint):
    c = checkpoint.config
    per_layer = 2 * c.dim * c.dim + 2 * c.dim * c.kv_dim + 3 * c.dim * c.hidden_dim
    return c.n_layers * per_layer + c.dim * c.vocab_size


def prepare_model(name, checkpoint_path, work):
    """The KV-cache export of the checkpoint and its MatMulNBits form (with a genai_config.json)."""
    directory = os.path.join(work, name if MAX_SEQ_LEN == 128 else f"{name}-{MAX_SEQ_LEN}")
    os.makedirs(directory, exist_ok=True)
    checkpoint = llama2c.read_checkpoint(checkpoint_path)
    float_path = os.path.join(directory, "model.onnx")
    if not os.path.exists(float_path):
        import onnx
        onnx.save(llama2c.to_onnx(checkpoint, MAX_SEQ_LEN, kv_cache=True), float_path)
    nbits_dir = os.path.join(directory, "nbits4")
    nbits_path = os.path.join(nbits_dir, "model.onnx")
    if not os.path.exists(nbits_path):
        import logging
        import onnx
        from onnxruntime.quantization.matmul_nbits_quantizer import (DefaultWeightOnlyQuantConfig,
                                                                     MatMulNBitsQuantizer)
        logging.disable(logging.WARNING)
        os.makedirs(nbits_dir, exist_ok=True)
        config = DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True, accuracy_level=4)
        quantizer = MatMulNBitsQuantizer(onnx.load(float_path), algo_config=config)
        quantizer.process()
        quantizer.model.save_model_to_file(nbits_path, True)
    return checkpoint, float_path, nbits_path


def genai_config(checkpoint, threads):
    c = checkpoint.config
    return {
        "model": {
            "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 2, "type": "llama",
            "context_length": MAX_SEQ_LEN, "vocab_size": c.vocab_size,
            "decoder": {
                "filename": "model.onnx", "head_size": c.head_size, "hidden_size": c.dim,
                "num_attention_heads": c.n_heads, "num_hidden_layers": c.n_layers,
                "num_key_value_heads": c.n_kv_heads,
                "session_options": {"log_id": "onnxruntime-genai", "provider_options": [],
                                    "intra_op_num_threads": threads, "inter_op_num_threads": 1},
                "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask",
                           "position_ids": "position_ids", "past_key_names": "past_key_values.%d.key",
                           "past_value_names": "past_key_values.%d.value"},
                "outputs": {"logits": "logits", "present_key_names": "present.%d.key",
                            "present_value_names": "present.%d.value"},
            },
        },
        "search": {"do_sample": False, "num_beams": 1, "max_length": MAX_SEQ_LEN,
                   "past_present_share_buffer": False},
    }


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    return None


def worker(kind, path, prompt, new_tokens, threads, repeat, config_json):
    """Runs one ORT or genai contender in this process; prints its JSON."""
    runs = []
    if kind == "ort":
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        for _ in range(repeat):
            ids, timing = llama2c.ort_generate(path, prompt, new_tokens, session=session)
            runs.append((ids, timing["ttft_ms"], timing["prefill_tok_s"], timing["decode_tok_s"]))
    else:
        import onnxruntime_genai as og
        with open(os.path.join(os.path.dirname(path), "genai_config.json"), "w") as f:
            f.write(config_json)
        model = og.Model(os.path.dirname(path))
        for r in range(repeat + 1):
            params = og.GeneratorParams(model)
            params.set_search_options(max_length=len(prompt) + new_tokens, do_sample=False)
            generator = og.Generator(model, params)
            start = time.perf_counter()
            generator.append_tokens(prompt)
            generator.generate_next_token()
            ids = [int(generator.get_next_tokens()[0])]
            first = time.perf_counter()
            while len(ids) < new_tokens and not generator.is_done():
                generator.generate_next_token()
                ids.append(int(generator.get_next_tokens()[0]))
            end = time.perf_counter()
            if r:  # the first run warms up
                runs.append((ids, 1e3 * (first - start), len(prompt) / (first - start),
                             (len(ids) - 1) / (end - first)))
    print(json.dumps(summarize(runs, peak_rss_mib())))


def summarize(runs, rss):
    return {"ids": runs[-1][0], "ttft_ms": statistics.median(r[1] for r in runs),
            "prefill_tok_s": statistics.median(r[2] for r in runs),
            "decode_tok_s": statistics.median(r[3] for r in runs), "peak_rss_mib": rss}


def run_json(command, env=None):
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip()[-800:] or f"exit {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def qopt_generator(contender, float_path, args):
    name, kv_format = split_contender(contender)
    recipe = name[len("qopt-"):]
    recipe = "float" if recipe == "fp32" else recipe
    kv_format = kv_format or ("f32" if recipe == "float" else "f16")
    exe = os.path.join(os.path.dirname(float_path), f"generate-{recipe}-{kv_format}")
    if not os.path.exists(exe):
        start = time.perf_counter()
        kv_name, hadamard = kv_eval.parse_format(kv_format)
        kv_options = ["--kv-cache", kv_name] + (["--kv-hadamard"] if hadamard else [])
        subprocess.run([args.qopt, "compile", float_path, "--generate", "--max-seq-len", str(MAX_SEQ_LEN),
                        "--prefill-len", str(args.prompt_len), "--mcpu", "native", "--recipe", recipe, *kv_options,
                        "-o", exe], check=True, capture_output=True, text=True)
        log(f"  compiled {contender} in {time.perf_counter() - start:.1f} s")
    return exe


def bench(name, checkpoint_path, args, bandwidth, emit):
    checkpoint, float_path, nbits_path = prepare_model(name, checkpoint_path, args.work)
    rng = np.random.default_rng(0)
    prompt = [1] + [int(t) for t in rng.integers(3, checkpoint.config.vocab_size, args.prompt_len - 1)]
    weights = linear_weights(checkpoint)
    for threads in args.threads:
        rows = {}
        for contender in args.contenders:
            row = {"model": name, "contender": contender, "threads": threads, "prompt_tokens": len(prompt),
                   "new_tokens": args.new_tokens}
            try:
                if contender.startswith("qopt-"):
                    exe = qopt_generator(contender, float_path, args)
                    result = run_json([exe, "--prompt", ",".join(map(str, prompt)), "--max-new-tokens",
                                       str(args.new_tokens), "--threads", str(threads), "--repeat", str(args.repeat)])
                else:
                    kind = "genai" if contender.startswith("genai") else "ort"
                    path = float_path if contender == "ort-fp32" else nbits_path
                    config = json.dumps(genai_config(checkpoint, threads))
                    result = run_json([sys.executable, __file__, "--worker", kind, path, ",".join(map(str, prompt)),
                                       str(args.new_tokens), str(threads), str(args.repeat), config],
                                      env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
                row.update({k: result[k] for k in ("ttft_ms", "prefill_tok_s", "decode_tok_s", "peak_rss_mib")})
                row["ids"] = result["ids"]
                gbps = weights * BYTES_PER_WEIGHT[split_contender(contender)[0]] * row["decode_tok_s"] / 1e9
                row["weight_gb_s"] = round(gbps, 2)
                best = bandwidth.get(threads, {}).get("best_gbps")
                if best:
                    row["of_read_bandwidth"] = round(gbps / best, 3)
            except Exception as error:  # noqa: BLE001 - a failed contender is reported, the run goes on
                row["error"] = str(error)
            rows[contender] = row
        reference = rows.get("ort-fp32", {}).get("ids")
        for contender, row in rows.items():
            ids = row.pop("ids", None)
            if reference and ids:
                equal = next((i for i, (a, b) in enumerate(zip(ids, reference)) if a != b), min(len(ids), len(reference)))
                row["ids_equal_ort_fp32"] = equal
            peer = rows.get(counterpart(contender, rows))
            if peer and "decode_tok_s" in row and "decode_tok_s" in peer:
                row["decode_speedup"] = round(row["decode_tok_s"] / peer["decode_tok_s"], 3)
                row["vs"] = peer["contender"]
            emit(row)


def print_table(rows):
    log(f"{'model':<12} {'contender':<16} {'thr':>3} {'ttft ms':>9} {'prefill/s':>10} {'decode/s':>9} "
        f"{'GB/s':>6} {'of bw':>6} {'speedup':>8} {'vs':<13} {'same':>4} {'rss MiB':>8}")
    for r in rows:
        if "error" in r:
            log(f"{r['model']:<12} {r['contender']:<16} {r['threads']:>3} error: {r['error'][:80]}")
            continue
        log(f"{r['model']:<12} {r['contender']:<16} {r['threads']:>3} {r['ttft_ms']:>9.2f} {r['prefill_tok_s']:>10.0f} "
            f"{r['decode_tok_s']:>9.1f} {r['weight_gb_s']:>6.2f} {r.get('of_read_bandwidth', 0):>6.2f} "
            f"{r.get('decode_speedup', 0):>8.2f} {r.get('vs', ''):<13} {r.get('ids_equal_ort_fp32', -1):>4} "
            f"{r['peak_rss_mib'] or 0:>8.1f}")


def main(argv=None):
    global MAX_SEQ_LEN
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        kind, path, prompt, new_tokens, threads, repeat, config = argv[1:]
        worker(kind, path, [int(t) for t in prompt.split(",")], int(new_tokens), int(threads), int(repeat), config)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qopt", default=os.path.join(ROOT, "build", "bin", "qopt"))
    parser.add_argument("--work", default="/tmp/qopt-generate")
    parser.add_argument("--models", default="stories260K,llama110m")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--max-seq-len", type=int, default=128,
                        help="cache slots of every contender (the synthetic model's positions too)")
    parser.add_argument("--prompt-len", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json")
    parser.add_argument("--cc", default="clang-22")
    parser.add_argument("--bandwidth-mib", type=int, default=1024)
    args = parser.parse_args(argv)
    MAX_SEQ_LEN = args.max_seq_len
    args.threads = [int(t) for t in args.threads.split(",")]
    args.contenders = args.contenders.split(",")
    def known(contender):
        name, kv_format = split_contender(contender)
        if name not in CONTENDERS or (kv_format and not name.startswith("qopt-")):
            return False
        try:
            kv_eval.parse_format(kv_format or "f32")
            return True
        except ValueError:
            return False

    unknown = {c for c in args.contenders if not known(c)}
    if unknown:
        parser.error(f"unknown contenders: {', '.join(sorted(unknown))}")
    if "genai-nbits4" in args.contenders:
        try:
            import onnxruntime_genai  # noqa: F401
        except ImportError:
            log("onnxruntime_genai is not installed: genai-nbits4 skipped")
            args.contenders.remove("genai-nbits4")
    if args.prompt_len + args.new_tokens > MAX_SEQ_LEN:
        parser.error(f"--prompt-len + --new-tokens must fit the {MAX_SEQ_LEN}-slot cache")
    os.makedirs(args.work, exist_ok=True)
    bandwidth = read_bandwidth(args.work, args.threads, args)
    rows = []
    out = open(args.json, "w") if args.json else None

    def emit(row):
        rows.append(row)
        line = json.dumps(row)
        print(line, flush=True)
        if out:
            out.write(line + "\n")

    models = args.models.split(",")
    if "stories260K" in models:
        if os.path.exists(llama_models.DEFAULT_STORIES):
            bench("stories260K", llama_models.DEFAULT_STORIES, args, bandwidth, emit)
        else:
            log("stories260K not found: skipped")
    if "llama110m" in models:
        _, path = llama_models.synthetic_checkpoint_file(args.work, MAX_SEQ_LEN)
        bench("llama110m", path, args, bandwidth, emit)
    print_table(rows)
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
