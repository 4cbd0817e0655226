"""qopt.eval: recipes' fidelity against the float model, through
`qopt eval --json --per-layer`, as plain dicts (and pandas DataFrames when
pandas is installed)."""

import json
import os
import tempfile

from .driver import EvalError, run_qopt
from .model_inputs import model_path, samples_path, shape_arguments


class EvalResult(dict):
    """`qopt eval --json` as parsed: {"model", "samples", "results": [{
    "recipe", "bits_per_weight", "outputs": [{"name", "sqnr_db", "kld",
    "top1_agreement", "positions"}], "layers": [{"name", "sqnr_db"}]}]}
    (kld and top-1 only for outputs with a last axis longer than 1; an
    exact output's SQNR is None). Flat rows and DataFrames on top."""

    def recipe(self, name):
        """The result of one recipe."""
        for result in self["results"]:
            if result["recipe"] == name:
                return result
        raise KeyError(f"no recipe '{name}' was evaluated (recipes: "
                       f"{', '.join(r['recipe'] for r in self['results'])})")

    def output_rows(self):
        """One flat dict per (recipe, output)."""
        return [{"recipe": result["recipe"], "bits_per_weight": result["bits_per_weight"], "output": output["name"],
                 "kld": output.get("kld"), "top1_agreement": output.get("top1_agreement"),
                 "sqnr_db": output["sqnr_db"]}
                for result in self["results"] for output in result["outputs"]]

    def layer_rows(self):
        """One flat dict per (recipe, layer)."""
        return [{"recipe": result["recipe"], "layer": layer["name"], "sqnr_db": layer["sqnr_db"]}
                for result in self["results"] for layer in result.get("layers", [])]

    def to_dataframe(self, rows="outputs"):
        """output_rows() or layer_rows() (rows="layers") as a pandas
        DataFrame; pandas is optional and imported only here."""
        try:
            import pandas
        except ImportError as error:
            raise ImportError("EvalResult.to_dataframe needs pandas (pip install pandas); "
                              "output_rows() and layer_rows() give the same rows as dicts") from error
        if rows not in ("outputs", "layers"):
            raise ValueError(f"rows must be 'outputs' or 'layers', not {rows!r}")
        return pandas.DataFrame(self.output_rows() if rows == "outputs" else self.layer_rows())


def eval(model, recipes, data, calib=None, shapes=None, *, samples=None, calib_samples=None, per_layer=True,
         report=None, extra_args=(), qopt_bin=None):
    """Runs the float model and each recipe's quantized model in-process on
    the evaluation samples and compares them.

    recipes: a recipe name, a comma-separated list, or a list of names.
    data, calib: evaluation and calibration samples: a .npz/.npy path,
        {input name: array [samples, ...]}, or one array.
    samples: evaluate at most this many samples.
    report: also write `qopt eval --report`'s HTML page there.

    Returns an EvalResult (a dict). Raises EvalError with the driver's
    located message when qopt eval fails.
    """
    names = recipes.split(",") if isinstance(recipes, str) else list(recipes)
    names = [name.strip() for name in names if name.strip()]
    if not names:
        raise ValueError("recipes names no recipe")
    with tempfile.TemporaryDirectory(prefix="qopt-eval-") as scratch:
        arguments = ["eval", model_path(model, scratch), "--recipe=" + ",".join(names),
                     "--data=" + samples_path(data, scratch, "data"), "--json"]
        if per_layer:
            arguments.append("--per-layer")
        if calib is not None:
            arguments.append("--calib=" + samples_path(calib, scratch, "calib"))
        if samples:
            arguments.append(f"--samples={int(samples)}")
        if calib_samples:
            arguments.append(f"--calib-samples={int(calib_samples)}")
        if report:
            arguments.append("--report=" + os.fspath(report))
        arguments += shape_arguments(shapes)
        arguments += list(extra_args)
        stdout = run_qopt(arguments, EvalError, qopt_bin)
    return EvalResult(json.loads(stdout))
