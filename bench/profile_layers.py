#!/usr/bin/python3
"""Per-layer rates inside whole networks, from Halide's profiler: each convolution of AlexNet,
VGG-11 and torchvision's ResNet-18 as the network runs it (its input from the layer before, its
threads, its fused epilogue), in GFLOP/s and % of the machine's peak (bench/peak_flops, same run);
or of any .net given by its path (bench/layer_nets/: a layer alone).

  /usr/bin/python3 bench/profile_layers.py [--models alexnet,resnet18,NET.net] [--batch 1]
                                          [--seconds 10] [--runs 1] [-- CNNGEN FLAGS...]

Each network is compiled twice: as shipped, timed by bench/model_bench, and with the target's
`profile` feature, whose sampling profiler bills the time of every Func. A layer's share of the
profiled time, times the shipped library's time per call, is the layer's time: the profiler's
own overhead scales out. A layer's Funcs are its convolution's (a direct convolution's register
tiles; Winograd's input transform, products and column transform) and its padded input; its
epilogue (bias, activation, residual add, and Winograd's last transform pass) is billed to the
tensor it stores, which is not counted: the rates are those of the convolution proper.
With --runs N each network is timed and profiled N times, alternately, and a layer's figure is the
median of its N, printed with the lowest and highest % of peak: a layer's share moves by about 10%
between runs (±30% under 0.1 ms), so one run cannot tell a layer at 80% from one at 90%.
Each layer's working set per loop level is the one `cnngen schedule` reports for the same
library: the register tile's sums, then the bytes L1, L2 and L3 hold or stream per image.
CNNGEN_BUILD=DIR measures another build tree than build/. Writes nothing outside the build tree.
"""
import argparse
import json
import os
import re
import statistics
import subprocess

import run

FUNC_LINE = re.compile(r"^\s+([^\s:]+):\s*([\d.]+)ms")
# Funcs of a convolution: codegen's suffixes (dsl/network.hpp, suffix::) and Halide's wrappers.
STAGES = ("", "_padded", "_winograd_rows", "_winograd_input", "_winograd_product",
          "_winograd_product_global_wrapper", "_winograd_columns", "_global_wrapper")


def convolutions(net_path):
    """(label, symbol, node, input shape) of each conv2d of the network, from `cnngen json`; the
    label is the layer's path where it has one (a name, or a named scope), else convK (the K-th
    convolution, as D2L's AlexNet and VGG-11 number them)."""
    graph = json.loads(subprocess.run([os.path.join(run.BUILD, "cnngen"), "json", net_path],
                                      capture_output=True, text=True, check=True).stdout)
    nodes = [node for node in graph["nodes"] if node["op"] == "conv2d"]
    labels = [node["path"] if node.get("name") or "." in node["path"] else f"conv{k + 1}"
              for k, node in enumerate(nodes)]
    return [(label, node["symbol"], node, graph["tensors"][node["inputs"][0]]["shape"])
            for label, node in zip(labels, nodes)]


SET_LINE = re.compile(r"^  (L\d)\s+([\d.]+) (B|KiB|MiB)")
UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 * 1024}


def working_sets(net_path, weights, flags):
    """Per conv2d, in order, its working set per loop level as `cnngen schedule` reports it (the
    schedule's own figures, codegen/schedule_report.hpp): the register tile's sums, then the
    bytes each of L1, L2 and L3 holds or streams, summed over the level's items."""
    text = subprocess.run([os.path.join(run.BUILD, "cnngen"), "schedule", net_path, "--weights", weights,
                           *flags], capture_output=True, text=True, check=True).stdout
    sets = []
    for block in text.split("\n\n")[1:]:
        if not block.startswith("conv2d"):
            continue
        sums = re.search(r"\((\d+) sums\)", block)
        levels = {}
        for line in block.splitlines():
            match = SET_LINE.match(line)
            if match:
                levels[match.group(1)] = levels.get(match.group(1), 0) + float(match.group(2)) * UNITS[match.group(3)]
        parts = [f"{sums.group(1)} sums" if sums else "columns"]
        parts += [f"{level} {size / 1024:.0f}K" for level, size in sorted(levels.items())]
        sets.append(" · ".join(parts))
    return sets


def billed_ms(report):
    """Each Func's billed time per run, summed over the library's pipelines (its parts); Halide's
    runtime (halide_malloc, halide_free) too, as part of the call that a layer has its share of."""
    billed = {}
    for line in report.splitlines():
        match = FUNC_LINE.match(line)
        if match:
            name = match.group(1).split("$")[0]
            billed[name] = billed.get(name, 0.0) + float(match.group(2))
    return billed


def layer_ms(symbol, billed):
    return sum(ms for name, ms in billed.items()
               if name.startswith(symbol) and name[len(symbol):] in STAGES)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="alexnet,vgg11,resnet18")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("cnngen_flags", nargs="*")
    args = parser.parse_args()
    profile_dir = os.path.join(run.DATA, "profile")
    os.makedirs(profile_dir, exist_ok=True)
    peak = run.run_json([os.path.join(run.BUILD, "bench", "peak_flops")])
    # cnngen's --target is taken apart: the profiled library adds the `profile` feature to it.
    target_parser = argparse.ArgumentParser(add_help=False)
    target_parser.add_argument("--target", default="host")
    known, flags = target_parser.parse_known_args(args.cnngen_flags)
    target = known.target
    avx2 = "avx2" in target and "avx512" not in target
    ceiling = peak["peak_gflops_avx2_all"] if avx2 else peak["peak_gflops_all"]
    rows = []
    for spec in args.models.split(","):
        # An example's name, or a .net file (a single layer of bench/layer_nets/, say).
        net_path = spec if spec.endswith(".net") else None
        model = os.path.splitext(os.path.basename(spec))[0]
        facts = run.prepare(model, net_path=net_path, cnngen_flags=["--target", target, *flags])
        _, binary = run.build_bench(profile_dir, model, facts["name"], facts["net"], facts["weights"],
                                    ["--target", f"{target}-profile", *flags])
        layers = convolutions(facts["net"])
        sets = working_sets(facts["net"], facts["weights"], ["--target", target, *flags])
        assert len(sets) == len(layers), f"{model}: {len(sets)} schedules for {len(layers)} convolutions"
        times = [[] for _ in layers]  # each layer's seconds per image, one per run
        calls = []
        for _ in range(max(1, args.runs)):
            call_seconds = run.measure("cnngen", facts, args.batch, args.seconds)["seconds"]
            result = subprocess.run([binary, facts["net"], "--batch", str(args.batch), "--seconds",
                                     str(args.seconds)], capture_output=True, text=True, check=True)
            billed = billed_ms(result.stdout + result.stderr)
            total = sum(billed.values())
            for k, (_, symbol, _, _) in enumerate(layers):
                times[k].append(layer_ms(symbol, billed) / total * call_seconds / args.batch)
            calls.append(call_seconds)
        for (label, symbol, node, in_shape), seconds, working_set in zip(layers, times, sets):
            a = node["arguments"]
            c, h, w = node["shape"]
            flop = 2 * c * h * w * a["in_channels"] // a["groups"] * a["kernel"][0] * a["kernel"][1]
            how = "Winograd" if f"{symbol}_winograd_product" in billed else "direct"
            rows.append((model, label, in_shape, node["shape"], a, how, seconds, flop, working_set))
        call_seconds = statistics.median(calls)
        convolutions_seconds = sum(statistics.median(r[6]) for r in rows if r[0] == model)
        share = convolutions_seconds * args.batch / call_seconds
        print(f"{model}: {call_seconds * 1e3:.2f} ms per call at batch {args.batch} (median of "
              f"{len(calls)}); {share:.0%} of it in the convolutions proper", flush=True)
    cpu = run.cpu_model()
    print(f"\n{cpu}, {peak['threads']} threads: % of peak below is of {ceiling} GFLOP/s; batch "
          f"{args.batch}; cnngen --target {target} {' '.join(flags)}")
    print(f"{'network':9} {'layer':24} {'in → out':>20} {'k/s':>5} {'how':>8} {'ms':>7} "
          f"{'GFLOP/s':>8} {'% peak':>6} {'lowest–highest':>14}  working set (cnngen schedule)")
    for model, label, in_shape, out_shape, a, how, seconds, flop, working_set in rows:
        def rate(s):
            return flop / s / 1e9 if s > 0 else 0.0  # GFLOP/s
        percent = [100 * rate(s) / ceiling for s in seconds]
        median = statistics.median(seconds)
        gflops = rate(median)
        shape = f"{in_shape[0]}×{in_shape[1]}×{in_shape[2]} → {out_shape[0]}"
        kernel = f"{a['kernel'][0]}/{a['stride'][0]}"
        spread = f"{min(percent):.1f}–{max(percent):.1f}"
        print(f"{model:9} {label:24} {shape:>20} {kernel:>5} {how:>8} {median * 1e3:>7.3f} "
              f"{gflops:>8.1f} {100 * gflops / ceiling:>6.1f} {spread:>14}  {working_set}")


if __name__ == "__main__":
    main()
