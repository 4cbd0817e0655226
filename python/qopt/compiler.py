"""qopt.compile: an ONNX model to a CompiledModel, through `qopt compile
--emit lib` and the shared library it writes."""

import os
import tempfile

from .compiled_model import CompiledModel
from .driver import CompileError, run_qopt
from .model_inputs import model_path, samples_path, shape_arguments


def compile(model, recipe=None, calib=None, target="cpu", shapes=None, *, mcpu=None, gpu=None,
            calib_samples=None, output=None, extra_args=(), qopt_bin=None):
    """Compiles `model` (a path or an onnx.ModelProto) into a shared library
    and loads it.

    recipe: a quantization recipe (`qopt compile --list-recipes x`), e.g.
        "w4a16-g32"; None compiles the float model.
    calib: calibration samples for recipes that need them: a .npz/.npy path,
        {input name: array [samples, ...]}, or one array.
    target: "cpu" or "cuda" (with gpu="sm_80" or "sm_90").
    shapes: {input name: (1, 128)} for inputs with symbolic dimensions.
    mcpu: an LLVM CPU name or "native" (AVX-512 VNNI kernels where present).
    output: where to keep the library (e.g. "libmodel.so", with its C header
        beside it); by default a scratch directory that lives as long as the
        returned model.
    extra_args: more `qopt compile` options, as strings.

    Raises CompileError (the compiler's located message) when qopt rejects
    the model or an option, QoptNotFoundError without a qopt binary.
    """
    scratch = tempfile.TemporaryDirectory(prefix="qopt-compile-")
    try:
        arguments = ["compile", model_path(model, scratch.name), "--emit=lib", f"--target={target}"]
        if recipe:
            arguments.append(f"--recipe={recipe}")
        if calib is not None:
            arguments.append(f"--calib={samples_path(calib, scratch.name, 'calib')}")
        if calib_samples:
            arguments.append(f"--calib-samples={int(calib_samples)}")
        if mcpu:
            arguments.append(f"--mcpu={mcpu}")
        if gpu:
            arguments.append(f"--gpu={gpu}")
        arguments += shape_arguments(shapes)
        arguments += list(extra_args)
        library = os.fspath(output) if output else os.path.join(scratch.name, "libmodel.so")
        arguments += ["-o", library]
        run_qopt(arguments, CompileError, qopt_bin)
        # The scratch directory (model copy, sample files, the library when no
        # output was asked for) goes with the model.
        return CompiledModel(library, keep_alive=scratch)
    except BaseException:
        scratch.cleanup()
        raise
