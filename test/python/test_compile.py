"""qopt.compile: the emitted library loaded with ctypes, run on numpy arrays
and compared with ONNX Runtime; input validation; compiler errors."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import qopt
from conftest import build_mlp


def run_onnxruntime(model_path, x):
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    return session.run(["y"], {"x": x})[0]


def relative_error(actual, expected):
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


@pytest.fixture(scope="module")
def float_model(mlp_path, qopt_bin):
    return qopt.compile(mlp_path, shapes={"x": (2, 4, 64)}, qopt_bin=qopt_bin)


def test_float_model_matches_onnxruntime(float_model, mlp_path):
    assert [(s.name, s.dtype, s.shape) for s in float_model.inputs] == [("x", np.float32, (2, 4, 64))]
    assert [(s.name, s.dtype, s.shape) for s in float_model.outputs] == [("y", np.float32, (2, 4, 32))]
    x = np.random.default_rng(2).standard_normal((2, 4, 64)).astype(np.float32)
    y = float_model(x=x)["y"]
    assert y.shape == (2, 4, 32) and y.dtype == np.float32
    assert relative_error(y, run_onnxruntime(mlp_path, x)) < 1e-5


def test_quantized_recipe_is_close_to_onnxruntime_but_not_exact(mlp_path, samples):
    model = qopt.compile(mlp_path, recipe="w4a16-g32-gptq", calib=samples["calib"], shapes={"x": (1, 4, 64)})
    x = samples["eval"]["x"][0]
    error = relative_error(model.run({"x": x})["y"], run_onnxruntime(mlp_path, x))
    # int4 weights in groups of 32: a few percent of the output's scale, never zero.
    assert 1e-4 < error < 0.2


def test_model_proto_and_calibration_file(tmp_path, samples):
    calib = tmp_path / "calib.npz"
    np.savez(calib, **samples["calib"])
    model = qopt.compile(build_mlp(batch=1), recipe="w8a8-static", calib=calib)
    x = samples["eval"]["x"][1]
    reference = run_onnxruntime_from_proto(build_mlp(batch=1), x)
    assert relative_error(model(x=x)["y"], reference) < 0.05


def run_onnxruntime_from_proto(model, x):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(["y"], {"x": x})[0]


def test_contiguous_inputs_are_not_copied(float_model):
    spec = float_model.inputs[0]
    x = np.random.default_rng(3).standard_normal((2, 4, 64)).astype(np.float32)
    assert float_model._input_array(spec, x) is x
    strided = np.asfortranarray(x)
    copied = float_model._input_array(spec, strided)
    assert copied is not strided and copied.flags.c_contiguous
    np.testing.assert_array_equal(float_model(x=strided)["y"], float_model(x=x)["y"])


def test_outputs_into_caller_arrays(float_model):
    x = np.ones((2, 4, 64), np.float32)
    out = np.full((2, 4, 32), np.nan, np.float32)
    result = float_model(x=x, out={"y": out})
    assert result["y"] is out and np.isfinite(out).all()
    with pytest.raises(ValueError, match="out\\['y'\\]"):
        float_model(x=x, out={"y": np.zeros((2, 4, 31), np.float32)})


def test_input_errors_name_the_input(float_model):
    x = np.zeros((2, 4, 64), np.float32)
    with pytest.raises(TypeError, match="input 'x' has dtype float64; the model takes float32"):
        float_model(x=x.astype(np.float64))
    with pytest.raises(ValueError, match=r"input 'x' has shape \[2, 4, 63\]; the model takes \[2, 4, 64\]"):
        float_model(x=x[..., :63])
    with pytest.raises(ValueError, match="input 'x' is missing"):
        float_model()
    with pytest.raises(ValueError, match="the model has no input 'z'"):
        float_model(x=x, z=x)


def test_two_models_in_one_process_keep_their_own_symbols(mlp_path):
    # Same symbol names (qopt_model, qopt_model_run) in both libraries.
    narrow = qopt.compile(build_mlp(batch=1, outputs=8, seed=5))
    wide = qopt.compile(mlp_path, shapes={"x": (1, 4, 64)})
    x = np.random.default_rng(4).standard_normal((1, 4, 64)).astype(np.float32)
    assert narrow(x=x)["y"].shape == (1, 4, 8)
    assert wide(x=x)["y"].shape == (1, 4, 32)
    assert relative_error(narrow(x=x)["y"], run_onnxruntime_from_proto(build_mlp(batch=1, outputs=8, seed=5), x)) < 1e-5


def test_thread_count(float_model):
    float_model.set_num_threads(1)
    with pytest.raises(ValueError, match="positive"):
        float_model.set_num_threads(0)


def test_unsupported_op_is_a_compile_error_with_the_located_message():
    graph = helper.make_graph([helper.make_node("Frobnicate", ["x"], ["y"], name="mystery_node", domain="example.com")],
                              "bad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("example.com", 1)])
    with pytest.raises(qopt.CompileError) as caught:
        qopt.compile(model)
    message = str(caught.value)
    assert "mystery_node" in message and "Frobnicate" in message
    assert caught.value.returncode != 0 and "error" in caught.value.stderr
    assert caught.value.command[1] == "compile"


def test_option_errors(mlp_path):
    with pytest.raises(qopt.CompileError, match="unknown recipe 'w5a5'"):
        qopt.compile(mlp_path, recipe="w5a5", shapes={"x": (1, 4, 64)})
    with pytest.raises(qopt.CompileError, match="needs calibration data"):
        qopt.compile(mlp_path, recipe="w4a16-g32-gptq", shapes={"x": (1, 4, 64)})
    with pytest.raises(FileNotFoundError, match="nowhere.onnx"):
        qopt.compile("/nowhere.onnx")
    with pytest.raises(qopt.QoptNotFoundError, match="/no/such/qopt"):
        qopt.compile(mlp_path, qopt_bin="/no/such/qopt")


def test_cuda_target_runs_on_a_gpu_or_raises_without_one(mlp_path, samples):
    try:
        model = qopt.compile(mlp_path, recipe="w4a16-g32", target="cuda", gpu="sm_80", shapes={"x": (1, 4, 64)})
    except qopt.CompileError as error:
        if "toolkit" in str(error) or "ptxas" in str(error):
            pytest.skip(f"no CUDA toolkit: {error}")
        raise
    assert model.uses_gpu
    x = samples["eval"]["x"][0]
    from qopt.compiled_model import _cuda_device_problem
    if _cuda_device_problem() is None:
        assert relative_error(model(x=x)["y"], run_onnxruntime(mlp_path, x)) < 0.2
    else:
        # The runtime would end the process (exit 77); the API raises instead.
        with pytest.raises(qopt.NoGpuError, match="compiled for an NVIDIA GPU"):
            model(x=x)
