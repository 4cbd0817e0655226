"""The package installs with pip from the repository (python/pyproject.toml),
offline: a wheel built with the environment's setuptools holds the API and the
helper modules."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import qopt

PYTHON_DIR = Path(__file__).resolve().parents[2] / "python"


def test_wheel_builds_offline_and_holds_the_api(tmp_path):
    # A copy, so that setuptools' build/ and egg-info stay out of the source tree.
    source = tmp_path / "python"
    shutil.copytree(PYTHON_DIR, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-build-isolation", "--no-deps",
                    "--no-index", "--wheel-dir", str(tmp_path / "dist"), str(source)], check=True, timeout=120)
    (wheel,) = (tmp_path / "dist").glob("qopt-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in ("__init__", "compiler", "compiled_model", "driver", "evaluation", "model_inputs", "llama2c",
                   "vision_models", "check_against_ort"):
        assert f"qopt/{module}.py" in names


def test_public_names():
    assert callable(qopt.compile) and callable(qopt.eval)
    assert issubclass(qopt.CompileError, qopt.QoptError) and issubclass(qopt.EvalError, qopt.QoptError)
    assert issubclass(qopt.QoptNotFoundError, FileNotFoundError)
    assert set(qopt.__all__) <= set(dir(qopt))
