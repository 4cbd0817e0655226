"""Fidelity against bits per weight: uniform recipes vs allocated mixed precision.

    python -m qopt.bpw_curve model.onnx --data eval.npy --calib calib.npy -o curve.png
        [--uniform w2a16-g32,w3a16-g32,...] [--extra lut-or-other recipes] [--qopt build/bin/qopt]

Runs `qopt eval --json` on the uniform recipes, then on `mixed-<bpw>` at
each uniform recipe's own bits per weight (the same budget, allocated by
qopt-allocate-bits), and plots the first output's KLD against bits per
weight for both series (log scale), plus any --extra recipes as points.
Writes the plot (any matplotlib format, by the extension of -o) and the
numbers beside it as JSON (same name, .json), and prints a table. Exits 1
when an allocated point is worse than the uniform one at its budget (the
allocation must dominate).
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

DEFAULT_UNIFORM = "w2a16-g64,w2a16-g32,w3a16-g32,w4a16-g128,w4a16-g32,w6a16-g128,w8a16"

DEFAULT_EXTRA = "lut8-g32,lut16-g32,w3a16-g32-sparse,w4a16-g32-sparse,w3a16-g32-bc,w4a16-g32-bc"


def run_eval(qopt: str, model: str, recipes: list[str], data: str, calib: str) -> list[dict]:
    command = [qopt, "eval", model, "--recipe", ",".join(recipes), "--data", data, "--calib", calib, "--json"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bpw_curve: {' '.join(command)} failed:\n{done.stderr}")
    return [{"recipe": r["recipe"], "bits_per_weight": r["bits_per_weight"],
             "kld": r["outputs"][0]["kld"], "top1": r["outputs"][0].get("top1_agreement"),
             "sqnr_db": r["outputs"][0].get("sqnr_db")}
            for r in json.loads(done.stdout)["results"]]


def plot(path: Path, title: str, uniform: list[dict], mixed: list[dict], extra: list[dict]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.plot([p["bits_per_weight"] for p in uniform], [p["kld"] for p in uniform], "o-", label="uniform")
    axes.plot([p["bits_per_weight"] for p in mixed], [p["kld"] for p in mixed], "s-", label="allocated (mixed-<bpw>)")
    for point in uniform:
        axes.annotate(point["recipe"], (point["bits_per_weight"], point["kld"]), fontsize=7,
                      textcoords="offset points", xytext=(4, 4))
    for point in extra:
        axes.plot(point["bits_per_weight"], point["kld"], "^", color="tab:green")
        axes.annotate(point["recipe"], (point["bits_per_weight"], point["kld"]), fontsize=7,
                      textcoords="offset points", xytext=(4, -10))
    axes.set_yscale("log")
    axes.set_xlabel("bits per weight (codes + scales)")
    axes.set_ylabel("KLD of the first output vs float")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--data", required=True, help="evaluation samples (.npy / .npz)")
    parser.add_argument("--calib", required=True, help="calibration samples (.npy / .npz)")
    parser.add_argument("-o", "--output", required=True, help="the plot (.png, .svg, ...)")
    parser.add_argument("--uniform", default=DEFAULT_UNIFORM, help="uniform recipes, comma-separated")
    parser.add_argument("--extra", default=DEFAULT_EXTRA, help="more recipes to plot as points ('' for none)")
    parser.add_argument("--qopt", default=str(Path(__file__).resolve().parents[2] / "build/bin/qopt"))
    parser.add_argument("--title", default=None)
    args = parser.parse_args()

    uniform = sorted(run_eval(args.qopt, args.model, args.uniform.split(","), args.data, args.calib),
                     key=lambda p: p["bits_per_weight"])
    budgets = [f"mixed-{p['bits_per_weight']:.4f}" for p in uniform]
    mixed = run_eval(args.qopt, args.model, budgets, args.data, args.calib)
    extra = run_eval(args.qopt, args.model, args.extra.split(","), args.data, args.calib) if args.extra else []

    output = Path(args.output)
    plot(output, args.title or Path(args.model).name, uniform, mixed, extra)
    output.with_suffix(".json").write_text(json.dumps(
        {"model": args.model, "uniform": uniform, "mixed": mixed, "extra": extra}, indent=2))

    print(f"{'bpw':>7}  {'uniform recipe':<16} {'uniform KLD':>12}  {'mixed bpw':>9} {'mixed KLD':>12}")
    dominated = True
    for u, m in zip(uniform, mixed):
        # The allocation may tie (all at the top format) but never lose by more than noise.
        better = m["kld"] <= u["kld"] * 1.05 and m["bits_per_weight"] <= u["bits_per_weight"] + 1e-6
        dominated &= better
        print(f"{u['bits_per_weight']:7.3f}  {u['recipe']:<16} {u['kld']:12.5g}  {m['bits_per_weight']:9.3f} "
              f"{m['kld']:12.5g}{'' if better else '  <- not dominated'}")
    for e in extra:
        print(f"{e['bits_per_weight']:7.3f}  {e['recipe']:<16} {e['kld']:12.5g}")
    print(f"wrote {output} and {output.with_suffix('.json')}")
    return 0 if dominated else 1


if __name__ == "__main__":
    sys.exit(main())
