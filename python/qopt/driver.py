"""Finding and running the `qopt` compiler driver from Python.

The Python API is a thin layer over the built tools: every compile and eval
runs `qopt` as a subprocess, so the compiler's own diagnostics (located at
the ONNX node, the file, the option) reach the caller unchanged, carried by
the exceptions below.

The binary is, in this order: the `qopt_bin` argument of the API call, the
QOPT_BIN environment variable, the repository's `build/bin/qopt` (when the
package is used from its source tree, as `pip install -e` or PYTHONPATH do),
then `qopt` on PATH.
"""

import os
import shutil
import subprocess


class QoptError(Exception):
    """Base class of the errors the qopt Python API raises."""


class QoptNotFoundError(QoptError, FileNotFoundError):
    """No qopt binary where the package looked for one."""


class QoptToolError(QoptError):
    """A qopt subcommand failed. `str(error)` is the driver's message
    (its stderr, located: file, node or option); the attributes keep the
    whole story for logs."""

    def __init__(self, message, *, command, returncode, stderr):
        super().__init__(message)
        self.message = message
        self.command = command
        self.returncode = returncode
        self.stderr = stderr


class CompileError(QoptToolError):
    """`qopt compile` rejected the model, the recipe or an option."""


class EvalError(QoptToolError):
    """`qopt eval` failed (bad samples, unknown recipe, ...)."""


def _repository_binary():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.environ.get("QOPT_BUILD_DIR") or os.path.join(here, "..", "..", "build")
    return os.path.normpath(os.path.join(build, "bin", "qopt"))


def find_qopt_binary(qopt_bin=None):
    """The qopt executable to run (see the module's docstring for the order)."""
    tried = []
    for source, candidate in (("qopt_bin argument", qopt_bin), ("QOPT_BIN", os.environ.get("QOPT_BIN")),
                              ("repository build", _repository_binary())):
        if not candidate:
            continue
        candidate = os.fspath(candidate)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
        tried.append(f"{source}: {candidate}")
        if source != "repository build":
            # An explicit choice that does not exist is an error, not a cue to look elsewhere.
            break
    else:
        on_path = shutil.which("qopt")
        if on_path:
            return on_path
        tried.append("PATH: no 'qopt'")
    raise QoptNotFoundError("no qopt binary found (" + "; ".join(tried) +
                            "); build it with scripts/build.sh or set QOPT_BIN")


def _located_message(stderr):
    """The error lines of the driver's stderr (diagnostics start with
    'qopt <command>: error:' or '<file>:<line>: error:'), with the notes after
    them; all of stderr when no line says 'error'."""
    lines = stderr.strip().splitlines()
    first = next((i for i, line in enumerate(lines) if "error" in line.lower()), None)
    return "\n".join(lines if first is None else lines[first:]) or "(no message)"


def run_qopt(arguments, error_class, qopt_bin=None):
    """Runs `qopt <arguments>`; returns its stdout, raises `error_class`
    with the located message when it fails."""
    command = [find_qopt_binary(qopt_bin)] + [os.fspath(a) for a in arguments]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        message = _located_message(result.stderr)
        if result.returncode < 0:
            message += f"\n(qopt was killed by signal {-result.returncode})"
        raise error_class(message, command=command, returncode=result.returncode, stderr=result.stderr)
    return result.stdout
