"""Calls a qopt model library through its C ABI and compares with the executable."""
import ctypes
import os
import subprocess
import sys
import tempfile

import numpy as np

library_path, executable = sys.argv[1], sys.argv[2]


class TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("element_type", ctypes.c_int32),
                ("rank", ctypes.c_int32), ("shape", ctypes.POINTER(ctypes.c_int64))]


class ModelInfo(ctypes.Structure):
    _fields_ = [("num_inputs", ctypes.c_int32), ("num_outputs", ctypes.c_int32),
                ("inputs", ctypes.POINTER(TensorInfo)), ("outputs", ctypes.POINTER(TensorInfo))]


library = ctypes.CDLL(library_path)
info = ModelInfo.in_dll(library, "qopt_model")
assert (info.num_inputs, info.num_outputs) == (1, 1)
shape = lambda t: tuple(t.shape[i] for i in range(t.rank))
x = np.random.default_rng(3).standard_normal(shape(info.inputs[0])).astype(np.float32)
y = np.zeros(shape(info.outputs[0]), np.float32)
buffers = (ctypes.c_void_p * 2)(x.ctypes.data, y.ctypes.data)
library.qopt_model_run(buffers)

with tempfile.TemporaryDirectory() as work:
    np.save(os.path.join(work, "x.npy"), x)
    subprocess.run([executable, "--input", f"x={work}/x.npy", "--output", f"y={work}/y.npy"], check=True)
    expected = np.load(os.path.join(work, "y.npy"))
assert np.array_equal(y, expected), np.max(np.abs(y - expected))
print("library matches executable")
