#!/usr/bin/python3
"""cnngen's benchmark: the generated libraries against PyTorch, ONNX Runtime and OpenVINO on the same
models, batch sizes and machine, in one run, alternating the engines round by round.

  /usr/bin/python3 bench/run.py [--quick] [--rounds R] [--seconds S] [--models lenet,vgg11] [--evict-mb M]
                                [--uncached]

CNNGEN_BUILD=DIR measures another build tree than build/ (its cnngen, libcnngen_dsl.a, bench/).

Needs a built tree (bash tools/build.sh), Debian's python3-torch and python3-matplotlib, and
onnxruntime and openvino installed with the pip of the `python3` first on PATH (engines that are
missing are reported and skipped). Writes docs/performance/results.{json,csv} and chart.png.
Models: D2L's LeNet (trained weights) at batch 1, 64, 256; AlexNet, VGG-11 and torchvision's
ResNet-18, MobileNetV3-Large, EfficientNet-B0, ShuffleNetV2 ×1.0, RegNetY-400MF, ConvNeXt-T and
ResNet-50 (3×224×224; random weights, the same in every engine) at batch 1 and 8. cnngen's
libraries embed their weights, as shipped. --uncached adds the engine cnngen_uncached: the same
library with Halide's own allocator instead of the cache of working memory that it installs
(runtime/cnngen/buffer_cache.h), for what the cache is worth.
"""
import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
warnings.filterwarnings("ignore")

import torch  # noqa: E402

import modern_cnns  # noqa: E402
import net_to_torch  # noqa: E402
import safetensors_io  # noqa: E402

BUILD = os.environ.get("CNNGEN_BUILD", os.path.join(ROOT, "build"))  # the build tree to measure
DATA = os.path.join(BUILD, "bench-data")
os.environ.setdefault("CNNGEN", os.path.join(BUILD, "cnngen"))  # net_to_torch's cnngen: the same build
OUT = os.path.join(ROOT, "docs", "performance")
MODELS = [("lenet", [1, 64, 256]), ("alexnet", [1, 8]), ("vgg11", [1, 8]), ("resnet18", [1, 8]),
          # Issue 32: the mobile and modern families (torchvision 0.14, random weights).
          ("mobilenet_v3_large", [1, 8]), ("efficientnet_b0", [1, 8]), ("shufflenet_v2_x1_0", [1, 8]),
          ("regnet_y_400mf", [1, 8]), ("convnext_tiny", [1, 8]), ("resnet50", [1, 8])]
ENGINES = ["cnngen", "torch", "onnxruntime", "openvino"]
PYPI_PYTHON = shutil.which("python3") or "python3"


def run_json(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def torch_model(net_path):
    """(model name, input shape, PyTorch module in eval() mode) for an example's .net: the
    modern networks as tools/modern_cnns.py defines them (torchvision's, for resnet18), the others
    through tools/net_to_torch.py. PyTorch's default initialization, seeded."""
    torch.manual_seed(0)
    model = os.path.splitext(os.path.basename(net_path))[0]
    if model in modern_cnns.MODELS:
        return model, modern_cnns.MODELS[model][1], modern_cnns.build(model)
    name, shape, net = net_to_torch.build(net_path)
    return name, shape, net.eval()


def build_bench(directory, model, name, net_path, weights, cnngen_flags=()):
    """cnngen's library of `net_path` (function `name`) as DIRECTORY/MODEL.a, linked with
    bench/model_bench.cpp into DIRECTORY/MODEL_bench; returns (library, binary)."""
    library = os.path.join(directory, f"{model}.a")
    subprocess.run([os.path.join(BUILD, "cnngen"), net_path, "--weights", weights, "-o", library,
                    *cnngen_flags], check=True, stderr=subprocess.DEVNULL)
    binary = os.path.join(directory, f"{model}_bench")
    subprocess.run(["g++", "-O2", "-std=c++17", f"-I{directory}", "-I/usr/include/halide14",
                    f"-I{ROOT}/runtime", f"-I{ROOT}", f'-DCNNGEN_MODEL_HEADER="{model}.h"',
                    f"-DCNNGEN_MODEL_ARGV={name}_argv", "-DCNNGEN_WEIGHT_ARGUMENTS=0",
                    os.path.join(ROOT, "bench", "model_bench.cpp"),
                    os.path.join(BUILD, "libcnngen_dsl.a"), library, "-lpthread", "-ldl", "-o", binary],
                   check=True)
    return library, binary


def prepare(model, net_path=None, cnngen_flags=()):
    """Weights, ONNX export, cnngen library and its bench binary; returns facts about the model
    (examples/MODEL/MODEL.net unless `net_path` is given; `cnngen_flags` are passed to cnngen)."""
    net_path = net_path or os.path.join(ROOT, "examples", model, f"{model}.net")
    name, shape, net = torch_model(net_path)
    if model == "lenet":
        weights = os.path.join(ROOT, "examples", "lenet", "lenet.safetensors")
    else:
        weights = os.path.join(DATA, f"{model}.safetensors")
        safetensors_io.save({k: v.detach().numpy() for k, v in net.state_dict().items()}, weights)
    onnx_path = os.path.join(DATA, f"{model}.onnx")
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in safetensors_io.load(weights).items()})
    torch.onnx.export(net, torch.zeros((1,) + shape), onnx_path, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "n"}, "output": {0: "n"}})
    start = time.perf_counter()
    library, binary = build_bench(DATA, model, name, net_path, weights, cnngen_flags)
    compile_seconds = time.perf_counter() - start
    summary = subprocess.run([os.path.join(BUILD, "cnngen"), "summary", net_path], capture_output=True,
                             text=True, check=True).stdout
    macs = int(re.search(r"multiply-accumulates: ([\d,]+) per image", summary).group(1).replace(",", ""))
    return {"net": net_path, "weights": weights, "onnx": onnx_path, "binary": binary, "name": name,
            "compile_seconds": compile_seconds, "flop_per_image": 2 * macs,
            "library_bytes": os.path.getsize(library)}


def cpu_model():
    """The CPU as the tables name it: lscpu's model name with its family and model numbers (which
    tell AMD's Zen 4 from Zen 5, both "AMD EPYC" in a VM) and its L1d and L2 sizes."""
    fields = {}
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return (f"{fields.get('Model name', 'unknown CPU')} (family {fields.get('CPU family', '?')} model "
            f"{fields.get('Model', '?')}; L1d {fields.get('L1d cache', '?')}, L2 {fields.get('L2 cache', '?')})")


def measure(engine, facts, batch, seconds, evict_mb=0):
    if engine in ("cnngen", "cnngen_uncached"):
        return run_json([facts["binary"], facts["net"], "--batch", str(batch), "--seconds", str(seconds),
                         "--evict-mb", str(evict_mb), "--buffer-cache", str(int(engine == "cnngen"))])
    interpreter = "/usr/bin/python3" if engine == "torch" else PYPI_PYTHON
    return run_json([interpreter, os.path.join(ROOT, "bench", "engines.py"), engine, facts["net"],
                     facts["weights"], facts["onnx"], str(batch), str(seconds), str(evict_mb)])


def available(engine):
    if engine in ("cnngen", "cnngen_uncached", "torch"):
        return True
    module = {"onnxruntime": "onnxruntime", "openvino": "openvino"}[engine]
    return subprocess.run([PYPI_PYTHON, "-c", f"import {module}"], capture_output=True).returncode == 0


def chart(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [f"{r['model']}\nbatch {r['batch']}" for r in rows]
    others = [e for e in ENGINES[1:] if any(r.get(f"{e}_ms") for r in rows)]
    fig, ax = plt.subplots(figsize=(max(8, len(rows) * 1.3), 4.5))
    width = 0.8 / len(others)
    for i, engine in enumerate(others):
        ratios = [(r[f"{engine}_ms"] / r["cnngen_ms"]) if r.get(f"{engine}_ms") else 0 for r in rows]
        ax.bar([x + i * width for x in range(len(rows))], ratios, width, label=f"vs {engine}")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks([x + width * (len(others) - 1) / 2 for x in range(len(rows))])
    ax.set_xticklabels(labels)
    ax.set_ylabel("cnngen speed-up (their time / cnngen's)")
    ax.set_title("cnngen against other engines, same machine, same run")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round, short measurements")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--models", help="comma-separated subset of the models; the table is printed "
                        "but docs/performance is left as it is")
    parser.add_argument("--evict-mb", type=float, default=0,
                        help="read this many MB before every timed call of every engine, so that weights "
                        "come from memory (64 covers a 32 MB L3); the table is printed, docs left as they are")
    parser.add_argument("--uncached", action="store_true",
                        help="also time cnngen's libraries without their cache of working memory; the "
                        "table is printed, docs left as they are")
    args = parser.parse_args()
    models = [m for m in MODELS if not args.models or m[0] in args.models.split(",")]
    rounds, seconds = (1, 0.5) if args.quick else (args.rounds, args.seconds)
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(OUT, exist_ok=True)
    peak = run_json([os.path.join(BUILD, "bench", "peak_flops")])
    peak["cpu"] = cpu_model()
    engines = [e for e in ENGINES + (["cnngen_uncached"] if args.uncached else []) if available(e)]
    for missing in set(ENGINES) - set(engines):
        print(f"bench: {missing} is not installed for {PYPI_PYTHON}; skipped")
    facts = {}
    for model, _ in models:
        print(f"bench: preparing {model}", flush=True)
        facts[model] = prepare(model)
    samples = {}
    for round_index in range(rounds):
        for model, batches in models:
            for batch in batches:
                order = engines[round_index % len(engines):] + engines[:round_index % len(engines)]
                for engine in order:
                    result = measure(engine, facts[model], batch, seconds, args.evict_mb)
                    samples.setdefault((model, batch, engine), []).append(result)
                    print(f"bench: round {round_index + 1} {model} batch {batch} {engine}: "
                          f"{result['seconds'] * 1e3:.3f} ms", flush=True)
    rows = []
    for model, batches in models:
        for batch in batches:
            row = {"model": model, "batch": batch, "compile_seconds": round(facts[model]["compile_seconds"], 2),
                   "library_bytes": facts[model]["library_bytes"]}
            for engine in engines:
                results = samples[(model, batch, engine)]
                times = sorted(r["seconds"] for r in results)
                row[f"{engine}_ms"] = times[len(times) // 2] * 1e3
                row[f"{engine}_peak_rss_mb"] = max(r["peak_rss_mb"] for r in results)
            gflops = facts[model]["flop_per_image"] * batch / (row["cnngen_ms"] / 1e3) / 1e9
            row["cnngen_gflops"] = gflops
            row["cnngen_percent_of_peak"] = 100 * gflops / peak["peak_gflops_all"]
            rows.append(row)
    header = (f"{'model':8} {'batch':>5} {'cnngen ms':>10} " +
              " ".join(f"{e + ' ms':>15} {'×':>5}" for e in engines[1:]) +
              f" {'GFLOP/s':>8} {'% peak':>6} {'compile s':>9} {'RSS MB':>7}")
    evicted = f"; {args.evict_mb:g} MB read before every call (caches evicted)" if args.evict_mb else ""
    print(f"\n{peak['cpu']}\npeak: {peak['peak_gflops_all']} GFLOP/s on {peak['threads']} threads "
          f"({peak['peak_gflops_1']} on one){evicted}\n" + header)
    for r in rows:
        line = f"{r['model']:8} {r['batch']:>5} {r['cnngen_ms']:>10.3f} "
        for e in engines[1:]:
            line += f"{r[e + '_ms']:>15.3f} {r[e + '_ms'] / r['cnngen_ms']:>5.2f} "
        line += (f"{r['cnngen_gflops']:>8.1f} {r['cnngen_percent_of_peak']:>6.1f} "
                 f"{r['compile_seconds']:>9.2f} {r['cnngen_peak_rss_mb']:>7.0f}")
        print(line)
    if args.models or args.evict_mb or args.uncached:
        return
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"peak": peak, "engines": engines, "rounds": rounds, "rows": rows}, f, indent=1)
    with open(os.path.join(OUT, "results.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
    chart(rows, os.path.join(OUT, "chart.png"))
    print(f"\nwrote {OUT}/results.json, results.csv and chart.png")


if __name__ == "__main__":
    main()
