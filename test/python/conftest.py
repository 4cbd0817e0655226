"""Fixtures of the Python API tests: small ONNX models built here, sample
arrays, and the qopt binary (QOPT_BIN, set by ctest; else the repository
build)."""

import shutil

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import qopt


def _tensor(rng, name, *shape):
    return numpy_helper.from_array((rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float32), name)


def build_mlp(batch="batch", first_layer_name="fc1", outputs=32, seed=0):
    """x [batch, 4, 64] -> MatMul -> Add -> Relu -> MatMul -> Add -> y [batch, 4, outputs]: two
    linear layers, a symbolic batch dimension."""
    rng = np.random.default_rng(seed)
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"], name=first_layer_name),
             helper.make_node("Add", ["h", "b1"], ["h2"], name="fc1.bias"),
             helper.make_node("Relu", ["h2"], ["h3"], name="act"),
             helper.make_node("MatMul", ["h3", "w2"], ["h4"], name="fc2"),
             helper.make_node("Add", ["h4", "b2"], ["y"], name="fc2.bias")]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 4, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 4, outputs])],
        [_tensor(rng, "w1", 64, 128), _tensor(rng, "b1", 128), _tensor(rng, "w2", 128, outputs),
         _tensor(rng, "b2", outputs)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


@pytest.fixture(scope="session")
def qopt_bin():
    return qopt.find_qopt_binary()


@pytest.fixture(scope="session")
def mlp_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "mlp.onnx"
    onnx.save(build_mlp(), path)
    return path


@pytest.fixture(scope="session")
def samples():
    """Calibration and evaluation samples of the MLP (batch 1): {"x": [n, 1, 4, 64]}."""
    rng = np.random.default_rng(1)
    return {"calib": {"x": rng.standard_normal((16, 1, 4, 64)).astype(np.float32)},
            "eval": {"x": rng.standard_normal((8, 1, 4, 64)).astype(np.float32)}}


def find_chromium():
    """Chromium (Debian's `chromium`, which scripts/setup.sh installs), or None."""
    return next(filter(None, (shutil.which(name) for name in ("chromium", "chromium-browser"))), None)
