"""What the Python API hands the qopt driver: the model, sample files and
shapes, written into a scratch directory when given as Python objects.

- model: a path (str or os.PathLike) or an onnx.ModelProto;
- samples (calibration, evaluation): a path to a .npz/.npy, a dict of
  arrays ({input name: [samples, ...]}), or one array for a one-input model;
- shapes: {input name: (1, 128)} for inputs with symbolic dimensions.
"""

import os

import numpy as np


def model_path(model, directory):
    """The model as a file the driver can read."""
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.exists(path):
            raise FileNotFoundError(f"model file '{path}' does not exist")
        return path
    try:
        import onnx
    except ImportError as error:  # pragma: no cover - onnx is a requirement of the project venv
        raise TypeError("model must be a path, or an onnx.ModelProto with the onnx package installed") from error
    if not isinstance(model, onnx.ModelProto):
        raise TypeError(f"model must be a path or an onnx.ModelProto, not {type(model).__name__}")
    path = os.path.join(directory, "model.onnx")
    try:
        serialized = model.SerializeToString()
    except ValueError:
        # Over protobuf's 2 GiB: weights beside the graph (the importer maps them).
        copy = onnx.ModelProto()
        copy.CopyFrom(model)
        onnx.save_model(copy, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.onnx.data")
        return path
    with open(path, "wb") as file:
        file.write(serialized)
    return path


def samples_path(samples, directory, stem):
    """Sample arrays as a file: .npz (numpy.savez, uncompressed, as the
    driver reads it) for a dict, .npy for one array."""
    if isinstance(samples, (str, os.PathLike)):
        path = os.fspath(samples)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{stem} file '{path}' does not exist")
        return path
    if isinstance(samples, dict):
        path = os.path.join(directory, stem + ".npz")
        np.savez(path, **{name: np.ascontiguousarray(array) for name, array in samples.items()})
        return path
    if isinstance(samples, np.ndarray):
        path = os.path.join(directory, stem + ".npy")
        np.save(path, np.ascontiguousarray(samples))
        return path
    raise TypeError(f"{stem} must be a path, a dict of numpy arrays or one numpy array, "
                    f"not {type(samples).__name__}")


def shape_arguments(shapes):
    """--shape name=1x128 for each entry of {name: (1, 128)}."""
    arguments = []
    for name, dims in (shapes or {}).items():
        if isinstance(dims, str):
            text = dims
        else:
            try:
                text = "x".join(str(int(d)) for d in dims)
            except (TypeError, ValueError) as error:
                raise TypeError(f"shape of input '{name}' must be a sequence of integers, not {dims!r}") from error
        arguments.append(f"--shape={name}={text}")
    return arguments
