"""A model compiled by `qopt compile --emit lib`, loaded into this process.

The shared library implements runtime/qopt_runtime.h:

    const qopt_model_info qopt_model;      names, element types, shapes
    void qopt_model_run(void **buffers);   buffers: inputs, then outputs

CompiledModel reads the signature from `qopt_model` and calls
`qopt_model_run` through ctypes on numpy arrays. An input array that is
already C-contiguous with the model's dtype and shape is passed as is (no
copy); others are copied once into that layout. Outputs are new arrays, or
the caller's through `out=`. ctypes releases the GIL during the call; the
generated code keeps no mutable global state, so threads may run one model
concurrently.

A library compiled with --target cuda runs its kernels through the CUDA
driver; its runtime ends the process (status 77) where there is none, so
CompiledModel looks for the driver and a GPU first and raises NoGpuError.
"""

import ctypes
import os

import numpy as np

from .driver import QoptError

# ONNX TensorProto.DataType numbers, as qopt_runtime.h numbers element types.
_NUMPY_DTYPES = {
    1: np.dtype(np.float32),
    2: np.dtype(np.uint8),
    3: np.dtype(np.int8),
    4: np.dtype(np.uint16),
    5: np.dtype(np.int16),
    6: np.dtype(np.int32),
    7: np.dtype(np.int64),
    9: np.dtype(np.bool_),
    10: np.dtype(np.float16),
    11: np.dtype(np.float64),
    12: np.dtype(np.uint32),
    13: np.dtype(np.uint64),
}


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("element_type", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64))]


class _ModelInfo(ctypes.Structure):
    _fields_ = [("num_inputs", ctypes.c_int32), ("num_outputs", ctypes.c_int32),
                ("inputs", ctypes.POINTER(_TensorInfo)), ("outputs", ctypes.POINTER(_TensorInfo))]


class NoGpuError(QoptError, RuntimeError):
    """A model compiled for an NVIDIA GPU, run where no GPU or driver is."""


def _cuda_device_problem():
    """Why the CUDA driver cannot run kernels here, or None (what
    runtime/qopt_cuda.c checks before it gives up)."""
    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError as error:
        return f"the CUDA driver (libcuda.so.1) cannot be loaded: {error}"
    status = driver.cuInit(0)
    if status != 0:
        return f"cuInit failed (CUDA error {status})"
    count = ctypes.c_int(0)
    status = driver.cuDeviceGetCount(ctypes.byref(count))
    if status != 0 or count.value == 0:
        return "the CUDA driver sees no GPU"
    return None


class TensorSpec:
    """One input or output: its name, numpy dtype and static shape."""

    def __init__(self, name, dtype, shape):
        self.name = name
        self.dtype = dtype
        self.shape = shape

    def __repr__(self):
        return f"TensorSpec(name={self.name!r}, dtype={self.dtype}, shape={self.shape})"


def _read_specs(infos, count, library_path):
    specs = []
    for i in range(count):
        info = infos[i]
        name = info.name.decode("utf-8")
        dtype = _NUMPY_DTYPES.get(info.element_type)
        if dtype is None:
            raise TypeError(f"{library_path}: tensor '{name}' has ONNX element type {info.element_type}, "
                            "which numpy has no dtype for")
        specs.append(TensorSpec(name, dtype, tuple(info.shape[d] for d in range(info.rank))))
    return specs


class CompiledModel:
    """A qopt-compiled shared library: `model(x=array)` or
    `model.run({"input.1": array})` returns {output name: array}."""

    def __init__(self, library_path, keep_alive=None):
        self.library_path = os.fspath(library_path)
        # A handle of its own (RTLD_LOCAL): several models in one process do
        # not see each other's qopt_model / qopt_model_run.
        self._library = ctypes.CDLL(os.path.abspath(self.library_path), mode=os.RTLD_LOCAL)
        self._keep_alive = keep_alive  # e.g. the scratch directory holding the library
        info = _ModelInfo.in_dll(self._library, "qopt_model")
        self.inputs = _read_specs(info.inputs, info.num_inputs, self.library_path)
        self.outputs = _read_specs(info.outputs, info.num_outputs, self.library_path)
        self._run = self._library.qopt_model_run
        self._run.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        self._run.restype = None
        # qopt_cuda.c's entry points: the model launches GPU kernels.
        self.uses_gpu = hasattr(self._library, "mgpuLaunchKernel")
        self._gpu_checked = False

    @property
    def input_names(self):
        return [spec.name for spec in self.inputs]

    @property
    def output_names(self):
        return [spec.name for spec in self.outputs]

    def set_num_threads(self, count):
        """Threads of the parallel kernels (OpenMP's omp_set_num_threads:
        process-wide, shared by every model loaded here)."""
        if int(count) < 1:
            raise ValueError(f"thread count must be positive, not {count}")
        try:
            set_threads = self._library.omp_set_num_threads
        except AttributeError:
            raise RuntimeError(f"{self.library_path} is not linked with OpenMP: it runs on the calling thread")
        set_threads.argtypes = [ctypes.c_int]
        set_threads(int(count))

    def _input_array(self, spec, value):
        array = value if isinstance(value, np.ndarray) else np.asarray(value)
        if array.dtype != spec.dtype:
            raise TypeError(f"input '{spec.name}' has dtype {array.dtype}; the model takes {spec.dtype} "
                            f"(convert it with .astype(np.{spec.dtype.name}))")
        if array.shape != spec.shape:
            raise ValueError(f"input '{spec.name}' has shape {list(array.shape)}; the model takes "
                             f"{list(spec.shape)}")
        return np.ascontiguousarray(array)  # the array itself when already contiguous

    def _output_array(self, spec, out):
        if out is None or spec.name not in out:
            return np.empty(spec.shape, spec.dtype)
        array = out[spec.name]
        if not isinstance(array, np.ndarray) or array.dtype != spec.dtype or array.shape != spec.shape \
                or not array.flags.c_contiguous or not array.flags.writeable:
            raise ValueError(f"out['{spec.name}'] must be a writable C-contiguous {spec.dtype} array of shape "
                             f"{list(spec.shape)}")
        return array

    def run(self, inputs=None, /, *, out=None, **named_inputs):
        """Runs the model. Inputs by keyword (`x=array`) or as a dict (for
        names that are not identifiers); `out` optionally maps output names
        to preallocated arrays. Returns {output name: array}."""
        given = dict(inputs or {})
        overlap = given.keys() & named_inputs.keys()
        if overlap:
            raise ValueError(f"input '{sorted(overlap)[0]}' given twice (in the dict and as a keyword)")
        given.update(named_inputs)
        unknown = sorted(given.keys() - set(self.input_names))
        if unknown:
            raise ValueError(f"the model has no input '{unknown[0]}' (its inputs: {', '.join(self.input_names)})")
        missing = [name for name in self.input_names if name not in given]
        if missing:
            raise ValueError(f"input '{missing[0]}' is missing (the model takes {', '.join(self.input_names)})")
        if out is not None:
            extra = sorted(set(out) - set(self.output_names))
            if extra:
                raise ValueError(f"out names '{extra[0]}', which is not an output "
                                 f"(outputs: {', '.join(self.output_names)})")
        if self.uses_gpu and not self._gpu_checked:
            problem = _cuda_device_problem()
            if problem:
                raise NoGpuError(f"{self.library_path} was compiled for an NVIDIA GPU (--target cuda), but "
                                 f"{problem}; run it where there is one, or compile with target='cpu'")
            self._gpu_checked = True
        arrays = [self._input_array(spec, given[spec.name]) for spec in self.inputs]
        results = [self._output_array(spec, out) for spec in self.outputs]
        buffers = (ctypes.c_void_p * (len(arrays) + len(results)))(*(a.ctypes.data for a in arrays + results))
        self._run(buffers)
        return {spec.name: array for spec, array in zip(self.outputs, results)}

    __call__ = run

    def __repr__(self):
        return f"CompiledModel({self.library_path!r}, inputs={self.inputs}, outputs={self.outputs})"
