"""Checks of codebooks-outliers.test on `qopt eval --json` results."""
import json
import sys

results = {r["recipe"]: r for r in json.load(open(sys.argv[1]))["results"]}
kld = {name: r["outputs"][0]["kld"] for name, r in results.items()}
bpw = {name: r["bits_per_weight"] for name, r in results.items()}


def claim(text, holds):
    print(text if holds else f"FAILED: {text}: kld {kld}, bpw {bpw}")


claim("lut8-g32 beats w3a16-g32", kld["lut8-g32"] < kld["w3a16-g32"])
claim("lut16-g32 beats w4a16-g32", kld["lut16-g32"] < kld["w4a16-g32"])
claim("w3a16-g32-sparse beats w3a16-g32", kld["w3a16-g32-sparse"] < kld["w3a16-g32"])
claim("w3a16-g32-sparse costs more bits", bpw["w3a16-g32-sparse"] > bpw["w3a16-g32"] + 0.3)
claim("w3a16-g32-bc beats w3a16-g32", kld["w3a16-g32-bc"] < kld["w3a16-g32"])
