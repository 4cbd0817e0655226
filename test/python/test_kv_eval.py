"""qopt.Generator (the C API of a --generate library) and qopt.kv_eval on a
small synthetic Llama (2 layers, 4 query heads over 2 KV heads of 16)."""

import numpy as np
import onnx
import pytest

import qopt
from qopt import kv_eval, llama2c


@pytest.fixture(scope="module")
def decoder(tmp_path_factory):
    config = llama2c.Config(dim=64, hidden_dim=128, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=96, seq_len=128)
    checkpoint = llama2c.synthetic_checkpoint(config, seed=3)
    path = tmp_path_factory.mktemp("decoder") / "decoder.onnx"
    onnx.save(llama2c.to_onnx(checkpoint, config.seq_len, kv_cache=True), path)
    return checkpoint, str(path)


def test_generator_teacher_forcing_equals_reference(decoder, tmp_path):
    checkpoint, path = decoder
    library = str(tmp_path / "float.so")
    qopt.driver.run_qopt(["compile", path, "--generate", "--emit", "lib", "-o", library, "--kv-cache", "f32",
                          "--max-seq-len", "64", "--prefill-len", "8"], qopt.CompileError)
    tokens = [1, 5, 9, 33, 2, 70, 11, 4, 8, 90, 12, 13, 40]
    with qopt.Generator(library) as generator:
        assert (generator.vocab, generator.kv_heads, generator.head_size) == (96, 2, 16)
        rows = generator.teacher_force(tokens[:10], tokens[10:])
        with pytest.raises(qopt.GeneratorError, match="outside the vocabulary"):
            generator.step(96)
    expected = llama2c.reference_forward(checkpoint, tokens)[9:]
    assert rows.shape == (4, 96)
    assert np.max(np.abs(rows - expected)) <= 1e-4 * np.max(np.abs(expected))


def test_kv_eval_orders_formats(decoder):
    _, path = decoder
    rows = kv_eval.evaluate(path, ["f32", "f16", "int8", "int4"], ["float"], count=2, length=40, prompt_len=8,
                            group=16)
    by_format = {row["kv_cache"]: row for row in rows}
    assert by_format["f32"]["kld"] == 0.0 and by_format["f32"]["top1"] == 1.0
    assert 0.0 < by_format["f16"]["kld"] < by_format["int8"]["kld"] < by_format["int4"]["kld"]
    assert all(row["positions"] == 2 * (40 - 8) for row in rows)
    assert by_format["int4"]["cache_bytes_per_token_layer"] < by_format["f16"]["cache_bytes_per_token_layer"]


def test_kv_eval_rejects_unknown_format():
    with pytest.raises(ValueError, match="unknown KV-cache format 'int3'"):
        kv_eval.parse_format("int3")


def test_qopt_eval_kv_cache_errors(decoder, tmp_path):
    _, path = decoder
    short = tmp_path / "short.npy"
    np.save(short, np.ones((1, 9), np.int64))
    with pytest.raises(qopt.EvalError, match="leave no decode steps after --prompt-len 8"):
        qopt.driver.run_qopt(["eval", path, "--kv-cache", "int8", "--data", short, "--prompt-len", "8"],
                             qopt.EvalError)
    with pytest.raises(qopt.EvalError, match="unknown format 'int3'"):
        qopt.driver.run_qopt(["eval", path, "--kv-cache", "int3", "--data", short], qopt.EvalError)
    empty = tmp_path / "empty.npy"
    np.save(empty, np.zeros((0, 40), np.int64))
    with pytest.raises(qopt.EvalError, match="no token sequences"):
        qopt.driver.run_qopt(["eval", path, "--kv-cache", "int8", "--data", empty], qopt.EvalError)
    floats = tmp_path / "floats.npy"
    np.save(floats, np.ones((1, 40), np.float32))
    with pytest.raises(qopt.EvalError, match="int64 or int32 array"):
        qopt.driver.run_qopt(["eval", path, "--kv-cache", "int8", "--data", floats], qopt.EvalError)
