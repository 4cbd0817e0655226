"""The Llama checkpoints of the Llama benchmarks (llama_float.py, llama_quantized.py).

stories260K (llama2.c's, from ../shared/models, if found) and a synthetic
Llama sized for a 2-core, 24 GiB machine: dim 1024, hidden 2816, 8 layers,
16 heads, 4 KV heads, vocabulary 8192 (~110 M parameters, ~440 MB of fp32
weights), written once into the work directory (rewritten when its header
differs).
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

from qopt import llama2c  # noqa: E402

DEFAULT_STORIES = os.path.join(HERE, "..", "..", "shared", "models", "stories260K.bin")
SYNTHETIC = dict(dim=1024, hidden_dim=2816, n_layers=8, n_heads=16, n_kv_heads=4, vocab_size=8192)


def synthetic_checkpoint_file(work, seq_len, **overrides):
    """(name, path) of the synthetic checkpoint (SYNTHETIC with `overrides`) for
    sequences up to `seq_len` (at least 64), written into `work` if missing."""
    config = llama2c.Config(**dict(SYNTHETIC, **overrides), seq_len=max(seq_len, 64))
    name = f"llama_dim{config.dim}_{config.n_layers}layers"
    path = os.path.join(work, f"llama_dim{config.dim}.bin" if not overrides else f"{name}_h{config.hidden_dim}.bin")
    header = np.array([config.dim, config.hidden_dim, config.n_layers, config.n_heads,
                       config.n_kv_heads, config.vocab_size, config.seq_len], np.int32)
    if not (os.path.exists(path) and np.array_equal(np.fromfile(path, np.int32, 7), header)):
        llama2c.write_checkpoint(llama2c.synthetic_checkpoint(config), path)
    return name, path


def checkpoints(work, stories, seq_len, models=("stories", "synthetic"), synthetic=None):
    """Yields (name, checkpoint path): stories260K if `stories` exists, then the
    synthetic model (made only when reached). `synthetic`: Config overrides."""
    if "stories" in models and os.path.exists(stories):
        yield "stories260K", stories
    if "synthetic" in models:
        yield synthetic_checkpoint_file(work, seq_len, **(synthetic or {}))
