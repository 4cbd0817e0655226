"""The KV-cache formats of `qopt compile --generate --kv-cache` in numpy, for
checking generators against a llama2.c checkpoint's float64 reference.

A generator stores every key and value it computes (float32) in its cache
format and the next steps read them back; the entries of a step's own new
tokens are read unquantized. So the stored cache is a function of the raw
entries: `KvFormat.store(keys, values)` gives what the steps read.

- f32: unchanged; f16: rounded to binary16.
- int8 / int4 (asymmetric, x = code * scale + offset, code in [0, 2^b - 1],
  scale = (max - min) / (2^b - 1) of the group, offset = its min): keys per
  channel over groups of `group` slots (the group in progress quantized
  over the slots it has so far), values per slot over groups of
  min(group, head_size / 2) channels (KIVI).
- hadamard (R3): keys and queries rotated by the orthonormal Sylvester
  Hadamard matrix of the head size before keys are stored.
"""

import numpy as np

from qopt import llama2c


def hadamard_matrix(n):
    """The orthonormal Sylvester Hadamard matrix of order n (a power of two),
    as qopt.hadamard's butterflies apply it."""
    if n < 1 or n & (n - 1):
        raise ValueError(f"no Sylvester Hadamard matrix of order {n}")
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h / np.sqrt(n)


def _fake_quantize(x, axis, levels):
    """x with each 1-D slice along `axis` quantized asymmetrically to [0, levels]."""
    low, high = x.min(axis=axis, keepdims=True), x.max(axis=axis, keepdims=True)
    step = (high - low) / levels
    step = np.where(step > 0, step, 1.0)
    codes = np.clip(np.rint((x - low) / step), 0, levels)
    return codes * step + low


class KvFormat:
    def __init__(self, name="f32", group=32, hadamard=False):
        if name not in ("f32", "f16", "int8", "int4"):
            raise ValueError(f"unknown KV-cache format {name!r}")
        self.name, self.group, self.hadamard = name, group, hadamard

    @property
    def levels(self):
        return {"int8": 255, "int4": 15}.get(self.name)

    def _store(self, entries, quantize):
        """entries [heads, slots, head_size] as the cache gives them back;
        `quantize` fake-quantizes them for the integer formats."""
        if self.name == "f32":
            return entries
        if self.name == "f16":
            return entries.astype(np.float16).astype(np.float64)
        return quantize(entries)

    def store_keys(self, keys):
        """Keys: per channel over groups of `group` slots."""
        def quantize(x):
            out = np.empty_like(x)
            for start in range(0, x.shape[1], self.group):
                out[:, start:start + self.group, :] = _fake_quantize(x[:, start:start + self.group, :], 1,
                                                                     self.levels)
            return out
        return self._store(keys, quantize)

    def store_values(self, values):
        """Values: per slot over groups of min(group, head_size / 2) channels."""
        def quantize(x):
            heads, slots, size = x.shape
            width = min(self.group, size // 2)
            return _fake_quantize(x.reshape(heads, slots, size // width, width), 3, self.levels).reshape(x.shape)
        return self._store(values, quantize)


def reference_logits(checkpoint, prompt, continuation, prefill_len, kv_format):
    """Logits [1 + len(continuation), vocab] of the prompt's last token and of
    each continuation token when a generator with `kv_format` takes them as
    qopt_generator_prefill (steps of prefill_len tokens while more than one
    is left) and qopt_generator_step (one at a time) do."""
    c = checkpoint.config
    rotation = hadamard_matrix(c.head_size) if kv_format.hadamard else None
    steps, position = [], 0
    prompt = [int(t) for t in prompt]
    while position < len(prompt):
        count = min(prefill_len, len(prompt) - position) if len(prompt) - position > 1 else 1
        steps.append(prompt[position:position + count])
        position += count
    steps += [[int(t)] for t in continuation]
    raw, rows, position = None, [], 0
    for tokens in steps:
        stored = None if raw is None else [(kv_format.store_keys(k), kv_format.store_values(v)) for k, v in raw]
        logits, present = llama2c.reference_step(checkpoint, tokens, stored, rotation=rotation)
        fresh = [(k[:, position:, :], v[:, position:, :]) for k, v in present]
        raw = fresh if raw is None else [(np.concatenate([rk, k], 1), np.concatenate([rv, v], 1))
                                         for (rk, rv), (k, v) in zip(raw, fresh)]
        rows.append(logits[-1])
        position += len(tokens)
    return np.stack(rows[len(steps) - len(continuation) - 1:])
