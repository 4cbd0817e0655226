"""qopt.eval: `qopt eval --json --per-layer` as dicts, rows and DataFrames;
errors."""

import importlib.util

import numpy as np
import pytest

import qopt


@pytest.fixture(scope="module")
def evaluation(mlp_path, samples):
    return qopt.eval(mlp_path, ["float", "w8a16", "w4a16-g32"], data=samples["eval"], calib=samples["calib"],
                     shapes={"x": (1, 4, 64)})


def test_result_keys_and_values(evaluation, samples):
    assert isinstance(evaluation, dict)
    assert evaluation["samples"] == len(samples["eval"]["x"])
    assert [r["recipe"] for r in evaluation["results"]] == ["float", "w8a16", "w4a16-g32"]
    float_result, w8, w4 = evaluation["results"]
    for result in evaluation["results"]:
        assert set(result) == {"recipe", "bits_per_weight", "outputs", "layers"}
        (output,) = result["outputs"]
        assert set(output) == {"name", "sqnr_db", "kld", "top1_agreement", "positions"}
        assert output["name"] == "y" and output["positions"] == 8 * 4
        assert [layer["name"] for layer in result["layers"]] == ["fc1.output", "fc2.output"]
    # The float recipe is the reference itself.
    assert float_result["bits_per_weight"] == 32
    assert float_result["outputs"][0]["kld"] == 0 and float_result["outputs"][0]["sqnr_db"] is None
    assert float_result["outputs"][0]["top1_agreement"] == 1
    # int8 weights (+ fp16 per-channel scales) beat int4 in groups of 32, and both are close.
    assert 8 < w8["bits_per_weight"] < 9 and 4 < w4["bits_per_weight"] < 6
    w8_out, w4_out = w8["outputs"][0], w4["outputs"][0]
    assert w8_out["sqnr_db"] > w4_out["sqnr_db"] + 12 > 12
    assert 0 < w8_out["kld"] < w4_out["kld"]
    # Every layer's output carries the error, more of it at 4 bits.
    for w8_layer, w4_layer in zip(w8["layers"], w4["layers"]):
        assert 0 < w4_layer["sqnr_db"] < w8_layer["sqnr_db"] < 100
    assert evaluation.recipe("w8a16") is w8
    with pytest.raises(KeyError, match="no recipe 'w2a16-g32'"):
        evaluation.recipe("w2a16-g32")


def test_rows_and_dataframes(evaluation):
    rows = evaluation.output_rows()
    assert [(r["recipe"], r["output"]) for r in rows] == [("float", "y"), ("w8a16", "y"), ("w4a16-g32", "y")]
    assert len(evaluation.layer_rows()) == 3 * 2
    if importlib.util.find_spec("pandas") is None:
        with pytest.raises(ImportError, match="needs pandas"):
            evaluation.to_dataframe()
    else:
        frame = evaluation.to_dataframe("layers")
        assert list(frame.columns) == ["recipe", "layer", "sqnr_db"] and len(frame) == 6


def test_without_per_layer_and_with_a_sample_limit(mlp_path, samples):
    result = qopt.eval(mlp_path, "w8a16", data=samples["eval"]["x"], shapes={"x": (1, 4, 64)}, per_layer=False,
                       samples=3)
    assert result["samples"] == 3 and "layers" not in result["results"][0]


def test_errors_carry_the_drivers_message(mlp_path, samples):
    wrong = {"x": np.zeros((2, 1, 4, 63), np.float32)}
    with pytest.raises(qopt.EvalError, match=r"input 'x' needs \[samples\] \+ \[1, 4, 64\]") as caught:
        qopt.eval(mlp_path, "w8a16", data=wrong, shapes={"x": (1, 4, 64)})
    assert caught.value.returncode == 1
    with pytest.raises(qopt.EvalError, match="needs calibration data"):
        qopt.eval(mlp_path, "w4a16-g32-gptq", data=samples["eval"], shapes={"x": (1, 4, 64)})
    with pytest.raises(ValueError, match="names no recipe"):
        qopt.eval(mlp_path, " , ", data=samples["eval"])
    with pytest.raises(TypeError, match="data must be a path"):
        qopt.eval(mlp_path, "w8a16", data=[1, 2, 3])
