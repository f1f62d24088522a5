#!/usr/bin/python3
"""Differential testing of cnngen against PyTorch, on random valid models (tools/random_models.py).

Each model is written as a case, the files the CI corpus keeps in tests/differential/:
  NAME.net                    the model
  NAME.safetensors            its weights (uniform ±√(6/fan-in), biases ±0.1, batch norm's
                              statistics and scales in [0.5, 1.5))
  NAME.expected.safetensors   "output": PyTorch's float32 outputs for the largest batch (19 images
                              for networks under 10 M multiply-adds, where cnngen's schedule changes
                              at 16 and 8 images; 2 above), "input_scale": the inputs' bound
The inputs are tests/deterministic_tensor.hpp's (seed 1000) times the scale, chosen as NNSmith
chooses inputs: every intermediate value finite and PyTorch's float32 result within a tenth of
the tolerance of its float64 one, so a difference is cnngen's, not the model's conditioning.

Each case is compiled by cnngen per variant (host or AVX2, weights embedded or as arguments, the
GPU schedule on OpenCL), linked with build/tests/libdifferential_check.a (tests/differential_check.cpp),
run at batches 1, 3 and the largest, and compared with allclose(rtol=1e-4, atol=1e-4). A failure
(a crash or internal error of cnngen, a valid model rejected, an error or crash of the generated
code, a mismatch) is shrunk to a minimal model that fails the same way and kept as a case.

  /usr/bin/python3 tools/difftest.py campaign --minutes 60 [--count N] [--jobs 2] [--out difftest-out]
  /usr/bin/python3 tools/difftest.py corpus --count 24 --seed 1 --out tests/differential
  /usr/bin/python3 tools/difftest.py check tests/differential/NAME.net [--variants host,avx2]
  /usr/bin/python3 tools/difftest.py expect MODEL.net --out DIR   # a hand-written case
Needs a build of cnngen (bash tools/build.sh); the tests themselves never run PyTorch.
"""
import argparse
import concurrent.futures
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deterministic_weights  # noqa: E402
import net_to_torch  # noqa: E402
import random_models  # noqa: E402
import safetensors_io  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUT_SEED = 1000
SCALES = [1.0, 0.5, 2.0, 0.25, 4.0, 0.125, 8.0]
RTOL = ATOL = 1e-4
VARIANTS = {  # name: (target, weights embedded, further cnngen options)
    "host": ("host", True, []),
    "host-args": ("host", False, []),
    "avx2": ("x86-64-linux-avx2", True, []),
    "opencl": ("host-opencl", True, []),
    # Cut into parts wherever codegen/parts.hpp may cut (off by default: a variant more per model).
    "parts": ("host", False, ["--layers-per-part", "1"]),
    # No Winograd (codegen/winograd.hpp) where the default would take it.
    "direct": ("host", True, ["--conv=direct"]),
    # Every 3×3 stride-1 convolution by Winograd F(2×2) or F(4×4) (codegen/winograd.hpp), on both
    # vector widths.
    "winograd": ("host", True, ["--conv=winograd"]),
    "winograd-avx2": ("x86-64-linux-avx2", True, ["--conv=winograd"]),
    "winograd4": ("host", True, ["--conv=winograd4"]),
    "winograd4-avx2": ("x86-64-linux-avx2", True, ["--conv=winograd4"]),
}
DEFAULT_VARIANTS = "host,host-args,avx2,opencl"
COMPILE_TIMEOUT, RUN_TIMEOUT = 600, 300
warnings.filterwarnings("ignore")


# ---------------------------------------------------------------------------------------------
# PyTorch's side

def graph_macs(graph):
    """Multiply-adds per image of cnngen's graph (convolutions and linear layers), as
    `cnngen summary` counts them."""
    macs = 0
    for node in graph["nodes"]:
        a = node["arguments"]
        if node["op"] == "conv2d":
            macs += int(np.prod(node["shape"])) * (a["in_channels"] // a["groups"]) * a["kernel"][0] * a["kernel"][1]
        elif node["op"] == "linear":
            macs += a["in_features"] * a["out_features"]
    return macs


def largest_batch(graph):
    return 19 if graph_macs(graph) < random_models.SMALL_NETWORK_MACS else 2


def draw_weights(graph, seed):
    """Every state_dict entry cnngen reads (docs/graph_json.md's parameters), by role: weights
    uniform ±√(6/fan-in), biases and running means ±0.1, running variances and batch norm's
    scales in [0.5, 1.5) (positive, away from the identity)."""
    rng = np.random.default_rng(seed)
    state = {}
    for node in graph["nodes"]:
        for parameter in node["parameters"]:
            shape, role = tuple(parameter["shape"]), parameter["role"]
            if role == "running_var" or (role == "weight" and node["op"] == "batch_norm"):
                values = rng.uniform(0.5, 1.5, size=shape)
            else:
                bound = 0.1 if len(shape) == 1 else (6.0 / max(1, int(np.prod(shape[1:])))) ** 0.5
                values = rng.uniform(-bound, bound, size=shape)
            state[parameter["name"]] = values.astype(np.float32)
    return state


def load_weights(net, weights, dtype):
    """Loads `weights` into net; entries cnngen ignores (num_batches_tracked) keep their values."""
    state = net.state_dict()
    state.update({k: torch.from_numpy(v).to(dtype) for k, v in weights.items()})
    net.load_state_dict(state)


def conditioned(net32, net64, x):
    """PyTorch's float32 outputs for `x`, or None when an intermediate value is not finite or the
    float32 result strays from float64's by more than a tenth of the tolerance."""
    trace = []
    with torch.no_grad():
        y64 = net64(x.double(), trace=trace)
        y32 = net32(x)
    if not all(bool(torch.isfinite(t).all()) for t in trace) or not bool(torch.isfinite(y32).all()):
        return None
    if not torch.allclose(y32.double(), y64, rtol=RTOL / 10, atol=ATOL / 10):
        return None
    return y32


def reference(graph, seed):
    """(weights, input scale, PyTorch's outputs for the largest batch) for cnngen's graph of a
    model, or None when no scale of the inputs makes a meaningful comparison. Prefers a scale
    whose outputs are not all equal."""
    _, input_shape, net32 = net_to_torch.from_graph(graph)
    weights = draw_weights(graph, seed)
    load_weights(net32, weights, torch.float32)
    net64 = net_to_torch.from_graph(graph)[2].double()
    load_weights(net64, weights, torch.float64)
    batch = largest_batch(graph)
    shape = (batch,) + tuple(input_shape)
    fallback = None
    for scale in SCALES:
        x = torch.from_numpy(deterministic_weights.symmetric(shape, INPUT_SEED, np.float32(scale)))
        y = conditioned(net32, net64, x)
        if y is None:
            continue
        if float(y.max() - y.min()) > 1e-3:
            return weights, scale, y.numpy()
        fallback = fallback or (weights, scale, y.numpy())
    return fallback


def write_case(model, seed, stem, text=None):
    """Writes STEM.net (`text`, or the model written out), STEM.safetensors and
    STEM.expected.safetensors; False if unconditioned or if cnngen rejects the model. PyTorch's
    model is built from cnngen's graph of the .net text (tools/net_to_torch.py), the very file
    cnngen compiles."""
    text = text or random_models.to_net(model)
    try:
        graph = net_to_torch.graph_of_text(text)
    except net_to_torch.CnngenError:
        return False
    found = reference(graph, seed)
    if found is None:
        return False
    weights, scale, outputs = found
    with open(stem + ".net", "w") as f:
        f.write(text)
    safetensors_io.save(weights, stem + ".safetensors")
    safetensors_io.save({"output": outputs, "input_scale": np.array([scale], np.float32)},
                        stem + ".expected.safetensors", metadata={"weights_seed": seed})
    return True


# ---------------------------------------------------------------------------------------------
# cnngen's side

class Build:
    def __init__(self, directory):
        self.cnngen = os.path.join(directory, "cnngen")
        self.check = os.path.join(directory, "tests", "libdifferential_check.a")
        self.dsl = os.path.join(directory, "libcnngen_dsl.a")
        for path in (self.cnngen, self.check, self.dsl):
            if not os.path.exists(path):
                sys.exit(f"difftest: {path} is missing: build cnngen first (bash tools/build.sh)")


def run(command, timeout):
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        return done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as e:
        return "timeout", str(e)


def check_variant(build, stem, variant, work):
    """("pass" | "skip" | a failure kind, log) for case STEM under one variant."""
    target, embedded, extra = VARIANTS[variant]
    library = os.path.join(work, f"{variant}.a")
    command = [build.cnngen, stem + ".net", "-o", library, "--name", "random_model", "--target", target] + extra
    if embedded:
        command += ["--weights", stem + ".safetensors"]
    code, log = run(command, COMPILE_TIMEOUT)
    if code != 0:
        kind = {1: "compile-rejected", 2: "compile-rejected", 3: "compile-internal-error"}.get(code, "compile-crash")
        return (kind if code != "timeout" else "compile-timeout"), f"$ {' '.join(command)}\nexit {code}\n{log}"
    program = os.path.join(work, variant)
    link = ["c++", "-o", program, build.check, library, build.dsl, "-lpthread", "-ldl", "-lz"]
    code, link_log = run(link, COMPILE_TIMEOUT)
    if code != 0:
        return "link-failed", link_log
    code, log = run([program, stem + ".net"], RUN_TIMEOUT)
    kinds = {0: "pass", 77: "skip", 1: "mismatch", 2: "runtime-error", "timeout": "run-timeout"}
    return kinds.get(code, "run-crash"), f"$ {program} {stem}.net\nexit {code}\n{log}"


def check_model(build, model, seed, variants, work):
    """{variant: (result, log)} for a model; None when PyTorch gives no meaningful comparison."""
    stem = os.path.join(work, "case")
    if not write_case(model, seed, stem):
        return None
    return {v: check_variant(build, stem, v, work) for v in variants}


# ---------------------------------------------------------------------------------------------
# Shrinking

def shrink(build, model, seed, variant, kind, work, budget_s):
    """The smallest model reached by greedy edits that still fails `variant` with `kind`."""
    deadline = time.time() + budget_s
    improved = True
    while improved and time.time() < deadline:
        improved = False
        for candidate in random_models.edits(model):
            if time.time() >= deadline:
                break
            try:
                random_models.infer(candidate)
            except random_models.Invalid:
                continue
            result = check_model(build, candidate, seed, [variant], work)
            if result and result[variant][0] == kind:
                model, improved = candidate, True
                break
    return model


# ---------------------------------------------------------------------------------------------
# Commands

def _one_model(args):
    """A campaign's unit of work: draw, check, shrink failures; returns a summary dict."""
    build_dir, seed, variants, out, shrink_s = args
    torch.set_num_threads(1)
    build = Build(build_dir)
    model = random_models.random_model(seed)
    work = tempfile.mkdtemp(prefix=f"difftest-{seed}-")
    started = time.time()
    try:
        results = check_model(build, model, seed, variants, work)
        summary = {"seed": seed, "macs": random_models.total_macs(model), "statements": len(model["layers"]),
                   "features": sorted(random_models.features(model)),
                   "results": None if results is None else {v: r[0] for v, r in results.items()}}
        for variant, (kind, log) in (results or {}).items():
            if kind in ("pass", "skip"):
                continue
            # The same failure met again and again is most often the same bug: after three shrunk
            # reproducers of a kind and variant, later ones are kept as drawn.
            earlier = [f for f in os.listdir(os.path.join(out, "findings")) if f.startswith(f"{kind}-{variant}-")] \
                if os.path.isdir(os.path.join(out, "findings")) else []
            small = shrink(build, model, seed, variant, kind, work, shrink_s) if len(earlier) < 3 else model
            finding = os.path.join(out, "findings", f"{kind}-{variant}-seed{seed}")
            os.makedirs(finding, exist_ok=True)
            with open(os.path.join(finding, "original.net"), "w") as f:
                f.write(random_models.to_net(model))
            write_case(small, seed, os.path.join(finding, "minimal"))
            again = check_variant(build, os.path.join(finding, "minimal"), variant, work)
            with open(os.path.join(finding, "log.txt"), "w") as f:
                f.write(f"variant {variant}, target {VARIANTS[variant][0]}\n\nthe original:\n{log}\n"
                        f"the minimal model ({again[0]}):\n{again[1]}\n")
            summary.setdefault("findings", []).append(finding)
        summary["seconds"] = round(time.time() - started, 1)
        return summary
    finally:
        shutil.rmtree(work, ignore_errors=True)


def campaign(options):
    out = os.path.abspath(options.out)
    os.makedirs(out, exist_ok=True)
    variants = options.variants.split(",")
    deadline = time.time() + options.minutes * 60
    seed = options.seed if options.seed is not None else int(time.time())
    log_path = os.path.join(out, "campaign.jsonl")
    counts, findings, models = {}, [], 0
    print(f"difftest: campaign of {options.minutes} min from seed {seed}, variants {variants}, "
          f"log {log_path}", flush=True)
    with concurrent.futures.ProcessPoolExecutor(options.jobs) as pool, open(log_path, "a") as log:
        pending = set()
        while True:
            while time.time() < deadline and len(pending) < options.jobs and \
                    (options.count is None or models + len(pending) < options.count):
                pending.add(pool.submit(_one_model, (options.build, seed, variants, out, options.shrink_seconds)))
                seed += 1
            if not pending:
                break
            done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                summary = future.result()
                models += 1
                log.write(json.dumps(summary) + "\n")
                log.flush()
                kinds = ["unconditioned"] if summary["results"] is None else summary["results"].values()
                for kind in kinds:
                    counts[kind] = counts.get(kind, 0) + 1
                findings += summary.get("findings", [])
                for finding in summary.get("findings", []):
                    print(f"difftest: FOUND {finding}", flush=True)
    print(f"difftest: {models} models, {sum(counts.values())} model×variant results: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"difftest: {len(findings)} findings" + "".join(f"\n  {f}" for f in findings))
    return 1 if findings else 0


def corpus(options):
    """Writes `count` random models that PyTorch can compare meaningfully, chosen for coverage:
    each adds something no earlier one exercises (random_models.features) while any is left
    within 300 draws; one in four over 10 M multiply-adds. Each has at most 40,000 outputs and
    60,000 weights, so the fixtures stay small."""
    os.makedirs(options.out, exist_ok=True)
    rng = random.Random(options.seed)
    covered, written, misses = set(), 0, 0
    while written < options.count:
        seed = rng.randrange(1 << 30)
        model = random_models.generate(random.Random(seed), large=written % 4 == 3)
        try:
            graph = net_to_torch.graph_of_text(random_models.to_net(model))
        except net_to_torch.CnngenError as e:  # a generator bug: worth a look, not a corpus case
            print(f"seed {seed}: cnngen rejects the drawn model:\n{e}", file=sys.stderr)
            continue
        out_elements = random_models.prod(graph["tensors"][graph["output"]]["shape"]) * largest_batch(graph)
        params = sum(random_models.prod(p["shape"]) for node in graph["nodes"] for p in node["parameters"])
        new = random_models.features(model) - covered
        if out_elements > 40_000 or params > 60_000 or (not new and misses < 300):
            misses += not new
            continue
        model["name"] = f"random_{written:02d}"
        if write_case(model, seed, os.path.join(options.out, model["name"])):
            print(f"{model['name']}: seed {seed}, {random_models.total_macs(model):,} MACs, "
                  f"{len(model['layers'])} layers, adds {sorted(new)}")
            covered |= new
            written, misses = written + 1, 0
    print(f"covered: {sorted(covered)}")
    return 0


def expect(options):
    """Writes a case for a hand-written .net (a regression test): its weights and PyTorch's outputs."""
    with open(options.model) as f:
        text = f.read()
    name = os.path.splitext(os.path.basename(options.model))[0]
    os.makedirs(options.out, exist_ok=True)
    if not write_case(None, options.seed, os.path.join(options.out, name), text):
        sys.exit(f"difftest: no input scale gives a meaningful comparison for {options.model}")
    return 0


def check(options):
    build = Build(options.build)
    stem = options.case[:-4]
    status = 0
    with tempfile.TemporaryDirectory(prefix="difftest-") as work:
        for variant in options.variants.split(","):
            kind, log = check_variant(build, stem, variant, work)
            print(f"{variant}: {kind}")
            if kind not in ("pass", "skip"):
                print(log)
                status = 1
    return status


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("campaign", help="random models against PyTorch for a time budget")
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--count", type=int, help="stop after this many models (within --minutes)")
    p.add_argument("--jobs", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int)
    p.add_argument("--variants", default=DEFAULT_VARIANTS)
    p.add_argument("--shrink-seconds", type=float, default=600)
    p.add_argument("--out", default="difftest-out")
    p = commands.add_parser("corpus", help="write the CI corpus")
    p.add_argument("--count", type=int, default=24)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=os.path.join(ROOT, "tests", "random_models"))
    p = commands.add_parser("expect", help="a case for a hand-written model")
    p.add_argument("model")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join(ROOT, "tests", "random_models"))
    p = commands.add_parser("check", help="check one case")
    p.add_argument("case")
    p.add_argument("--variants", default=DEFAULT_VARIANTS)
    options = parser.parse_args()
    os.environ.setdefault("CNNGEN", os.path.join(options.build, "cnngen"))  # for tools/net_to_torch.py
    torch.set_num_threads(1)
    return {"campaign": campaign, "corpus": corpus, "expect": expect, "check": check}[options.command](options)


if __name__ == "__main__":
    sys.exit(main())
