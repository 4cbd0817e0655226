"""A `qopt compile --generate --emit lib` library through its C API
(qopt_generator.h), with ctypes:

    with qopt.Generator("libgen.so") as g:
        logits = g.prefill([1, 15, 27])      # [vocab] of the last token
        logits = g.step(42)
        rows = g.teacher_force(prompt, continuation)   # [1 + len(continuation), vocab]
"""

import ctypes
import os

import numpy as np


class DecoderInfo(ctypes.Structure):
    """qopt_decoder_info of qopt_generator.h (the fields up to prefill_len)."""
    _fields_ = [("input_ids", ctypes.c_int32), ("attention_mask", ctypes.c_int32),
                ("position_ids", ctypes.c_int32), ("logits", ctypes.c_int32), ("num_layers", ctypes.c_int32),
                ("past", ctypes.POINTER(ctypes.c_int32)), ("present", ctypes.POINTER(ctypes.c_int32)),
                ("kv_heads", ctypes.c_int64), ("head_size", ctypes.c_int64), ("vocab", ctypes.c_int64),
                ("max_seq_len", ctypes.c_int64), ("prefill_len", ctypes.c_int64)]


class GeneratorError(RuntimeError):
    """A call of the C API returned an error; the message is the library's."""


class Generator:
    def __init__(self, library):
        self._lib = lib = ctypes.CDLL(os.path.abspath(library), mode=os.RTLD_LOCAL)
        lib.qopt_generator_create.restype = ctypes.c_void_p
        lib.qopt_generator_create.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        lib.qopt_generator_prefill.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64), ctypes.c_int64,
                                               ctypes.c_char_p, ctypes.c_size_t]
        lib.qopt_generator_step.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_char_p, ctypes.c_size_t]
        lib.qopt_generator_logits.restype = ctypes.POINTER(ctypes.c_float)
        lib.qopt_generator_logits.argtypes = [ctypes.c_void_p]
        lib.qopt_generator_info.restype = ctypes.POINTER(DecoderInfo)
        lib.qopt_generator_info.argtypes = [ctypes.c_void_p]
        lib.qopt_generator_reset.argtypes = [ctypes.c_void_p]
        lib.qopt_generator_free.argtypes = [ctypes.c_void_p]
        self._error = ctypes.create_string_buffer(512)
        self._handle = lib.qopt_generator_create(self._error, len(self._error))
        if not self._handle:
            raise GeneratorError(self._error.value.decode())
        info = lib.qopt_generator_info(self._handle).contents
        self.vocab, self.max_seq_len, self.prefill_len = info.vocab, info.max_seq_len, info.prefill_len
        self.kv_heads, self.head_size = info.kv_heads, info.head_size

    def close(self):
        if self._handle:
            self._lib.qopt_generator_free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check(self, status):
        if status:
            raise GeneratorError(self._error.value.decode())

    def logits(self):
        """The logits of the last token appended, a copy ([vocab] float32)."""
        pointer = self._lib.qopt_generator_logits(self._handle)
        return np.ctypeslib.as_array(pointer, shape=(self.vocab,)).copy()

    def reset(self):
        self._lib.qopt_generator_reset(self._handle)

    def prefill(self, tokens):
        """Appends `tokens` to the cache; the last one's logits."""
        tokens = [int(t) for t in tokens]
        array = (ctypes.c_int64 * len(tokens))(*tokens)
        self._check(self._lib.qopt_generator_prefill(self._handle, array, len(tokens), self._error,
                                                      len(self._error)))
        return self.logits()

    def step(self, token):
        """Appends one token; its logits."""
        self._check(self._lib.qopt_generator_step(self._handle, int(token), self._error, len(self._error)))
        return self.logits()

    def teacher_force(self, prompt, continuation):
        """From an empty cache: logits [1 + len(continuation), vocab] of the
        prompt's last token (prefill) and of each continuation token (one
        decode step each)."""
        self.reset()
        rows = [self.prefill(prompt)]
        rows += [self.step(t) for t in continuation]
        return np.stack(rows)
