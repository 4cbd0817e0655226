"""Python side of qopt: the compiler's Python API, model builders and
converters, evaluation helpers.

    import qopt
    model = qopt.compile("model.onnx", recipe="w4a16-g32", shapes={"x": (1, 8)})
    y = model(x=x)["y"]                     # numpy in, numpy out (zero-copy inputs)
    result = qopt.eval("model.onnx", ["w8a8", "w4a16-g32-gptq"], data="eval.npz", calib="calib.npz")
    with qopt.Generator("libgen.so") as g:  # qopt compile decoder.onnx --generate --emit lib
        logits = g.prefill([1, 15, 27])

The API runs the built `qopt` driver (QOPT_BIN, the repository's
build/bin/qopt, or PATH) and loads the libraries it emits with ctypes; the
helper modules (qopt.llama2c, qopt.vision_models, ...) are run with
`python -m`.
"""

from .compiled_model import CompiledModel, NoGpuError, TensorSpec
from .compiler import compile
from .driver import CompileError, EvalError, QoptError, QoptNotFoundError, QoptToolError, find_qopt_binary
from .evaluation import EvalResult, eval
from .generator import Generator, GeneratorError

__all__ = [
    "CompileError", "CompiledModel", "EvalError", "EvalResult", "Generator", "GeneratorError", "NoGpuError",
    "QoptError", "QoptNotFoundError", "QoptToolError", "TensorSpec", "compile", "eval", "find_qopt_binary",
]
