"""latency.test: a budget from the measured latencies, and the check of the allocation's remark.

    latency.test.py calibrated.mlir                 prints a budget halfway between the fastest and
                                                    the slowest allocation (ms)
    latency.test.py calibrated.mlir --check remark  checks the remark's time against that budget
"""
import re
import sys

text = open(sys.argv[1]).read()
tables = [dict((k, float(v)) for k, v in re.findall(r'"?([\w<>-]+)"? = ([0-9.e+-]+) : f64', table))
          for table in re.findall(r"qopt\.calib\.latency = \{([^}]*)\}", text)]
assert len(tables) == 15, f"expected 15 timed layers, found {len(tables)}"
fastest = sum(min(t.values()) for t in tables)
slowest = sum(max(t.values()) for t in tables)
budget = fastest + 0.5 * (slowest - fastest)
if len(sys.argv) == 2:
    print(f"{budget:.6f}")
    sys.exit(0)
remark = open(sys.argv[3]).read()
match = re.search(r"proven optimal .* ([0-9.]+) ms \(latency budget ([0-9.]+) ms\)", remark)
if not match:
    sys.exit(f"no optimal latency remark in: {remark}")
used, stated = float(match.group(1)), float(match.group(2))
ok = used <= stated * (1 + 1e-6) and abs(stated - budget) < 1e-3
print("within the latency budget, proven optimal" if ok else f"FAILED: {used} ms against {stated} (budget {budget})")
