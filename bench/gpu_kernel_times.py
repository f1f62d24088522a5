#!/usr/bin/env python3
"""Sums an `ncu --metrics gpu__time_duration.sum` log by kernel and prints the kernels that took the
most time: where a GPU build of cnngen spends its calls (bench/gpu_check.sh runs it on the GPU
machine). Kernel names are cnngen's Funcs (`_kernel_relu_9_s0_…` is the stage that stores layer 9).

  gpu_kernel_times.py NCU_LOG [--top 8]"""
import argparse
import collections
import re

UNITS_MS = {"ns": 1e-6, "nsecond": 1e-6, "us": 1e-3, "usecond": 1e-3, "ms": 1.0, "msecond": 1.0, "s": 1e3, "second": 1e3}


def kernel_times(text):
    """{kernel name: (total ms, launches)} from ncu's per-launch report."""
    launches = re.findall(r"\n  (\S+) \(\d+, \d+, \d+\)x\(\d+, \d+, \d+\).*?gpu__time_duration\.sum\s+(\S+)\s+([\d.,]+)",
                          text, re.S)
    totals, counts = collections.defaultdict(float), collections.Counter()
    for name, unit, value in launches:
        totals[name] += float(value.replace(",", "")) * UNITS_MS[unit]
        counts[name] += 1
    return {name: (totals[name], counts[name]) for name in totals}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log")
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    with open(args.log) as f:
        times = kernel_times(f.read())
    if not times:
        raise SystemExit(f"{args.log}: no gpu__time_duration.sum readings")
    total = sum(t for t, _ in times.values())
    print(f"{args.log}: {sum(c for _, c in times.values())} launches, {total:.3f} ms on the GPU")
    for name, (ms, count) in sorted(times.items(), key=lambda item: -item[1][0])[:args.top]:
        print(f"  {ms:10.3f} ms {100 * ms / total:5.1f}%  ×{count:<3} {name}")


if __name__ == "__main__":
    main()
