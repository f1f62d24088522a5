#!/usr/bin/python3
"""Times the same models compiled by two builds of cnngen (a change against its base), alternating
the two in every round so that both see the same machine load, and prints each model's median
times and their ratio. For schedule and code-generation changes, whose effect is a ratio.

  /usr/bin/python3 bench/compare_builds.py BASE_BUILD_DIR NEW_BUILD_DIR [--models lenet,alexnet]
      [--batches 1,8] [--rounds 3] [--seconds 2] [--targets BASE_TARGET,NEW_TARGET]
      [--evict-mb M | --evict-mb BASE_M,NEW_M] [--base-flags=FLAGS] [--new-flags=FLAGS]

The two builds may be the same directory, with --targets comparing two target strings or
--base-flags/--new-flags two sets of cnngen options (`--new-flags="--layers-per-part 8"`).

Each build's cnngen compiles examples/MODEL/MODEL.net with embedded weights (LeNet's trained ones,
deterministic random ones for the others, tools/deterministic_weights.py), and bench/model_bench.cpp
times it, linked against that build's libcnngen_dsl.a. A model may also be the path of a .net file
(bench/layer_nets/ holds single layers of the networks, for changes to one kind of layer).
--evict-mb reads that many MB before every timed call (model_bench.cpp), so that weights come
from memory as inside a network whose weights outgrow the last-level cache; with two values, one
per side (`--evict-mb 0,64` with the same build twice: warm against cold caches).
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import deterministic_weights  # noqa: E402
import net_to_torch  # noqa: E402
import run  # noqa: E402
import safetensors_io  # noqa: E402


def net_path(model):
    """examples/MODEL/MODEL.net, or `model` itself where it names a .net file."""
    return model if model.endswith(".net") else os.path.join(ROOT, "examples", model, f"{model}.net")


def model_name(model):
    return os.path.splitext(os.path.basename(model))[0]


def weights_for(model, work, build):
    """Deterministic random weights for the model's .net (LeNet's trained ones), named as the
    PyTorch module tools/net_to_torch.py builds from the graph that `build`'s cnngen prints."""
    if model == "lenet":
        return os.path.join(ROOT, "examples", "lenet", "lenet.safetensors")
    os.environ["CNNGEN"] = os.path.join(build, "cnngen")
    _, _, net = net_to_torch.build(net_path(model))
    path = os.path.join(work, f"{model_name(model)}.safetensors")
    safetensors_io.save({name: t.numpy() for name, t in deterministic_weights.state_dict(net).items()}, path)
    return path


def build_binary(build, model, weights, work, tag, target, flags):
    net, model = net_path(model), model_name(model)
    library = os.path.join(work, f"{model}_{tag}.a")
    subprocess.run([os.path.join(build, "cnngen"), net, "--weights", weights, "-o", library,
                    "--name", model, "--target", target, *shlex.split(flags)], check=True, stderr=subprocess.DEVNULL)
    binary = os.path.join(work, f"{model}_{tag}")
    subprocess.run(["g++", "-O2", "-std=c++17", f"-I{work}", "-I/usr/include/halide14", f"-I{ROOT}/runtime",
                    f"-I{ROOT}", f'-DCNNGEN_MODEL_HEADER="{model}_{tag}.h"', f"-DCNNGEN_MODEL_ARGV={model}_argv",
                    "-DCNNGEN_WEIGHT_ARGUMENTS=0", os.path.join(ROOT, "bench", "model_bench.cpp"),
                    os.path.join(build, "libcnngen_dsl.a"), library, "-lpthread", "-ldl", "-o", binary],
                   check=True)
    return binary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base")
    parser.add_argument("new")
    parser.add_argument("--models", default="lenet,alexnet")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--targets", default="host,host")
    parser.add_argument("--evict-mb", default="0")
    parser.add_argument("--base-flags", default="", help="more cnngen options for the base")
    parser.add_argument("--new-flags", default="", help="more cnngen options for the new side")
    options = parser.parse_args()
    print(f"CPU: {run.cpu_model()}, {os.cpu_count()} cores")
    width = max(8, *(len(model_name(m)) for m in options.models.split(",")))
    print(f"{'model':{width}} {'batch':>5} {'base ms':>10} {'new ms':>10} {'new/base':>9}")
    with tempfile.TemporaryDirectory(prefix="cnngen-compare-") as work:
        for model in options.models.split(","):
            weights = weights_for(model, work, options.base)
            targets = options.targets.split(",")
            evict = dict(zip(("base", "new"), (options.evict_mb.split(",") * 2)[:2]))
            sides = (("base", options.base, targets[0], options.base_flags),
                     ("new", options.new, targets[1], options.new_flags))
            binaries = {tag: build_binary(build, model, weights, work, tag, target, flags)
                        for tag, build, target, flags in sides}
            net = net_path(model)
            for batch in (int(b) for b in options.batches.split(",")):
                times = {"base": [], "new": []}
                for round_index in range(options.rounds):
                    # Each side first in every other round, so that a drift of the machine over a
                    # pair of runs does not always favour the same side (on a 2-core Zen 3, with
                    # the base always first, identical libraries read 0.81-0.90).
                    order = list(binaries.items())
                    for tag, binary in (order if round_index % 2 == 0 else order[::-1]):
                        out = subprocess.run([binary, net, "--batch", str(batch), "--seconds", str(options.seconds),
                                              "--evict-mb", evict[tag]],
                                             capture_output=True, text=True, check=True).stdout
                        times[tag].append(json.loads(out.strip().splitlines()[-1])["seconds"] * 1e3)
                base, new = statistics.median(times["base"]), statistics.median(times["new"])
                print(f"{model_name(model):{width}} {batch:>5} {base:>10.4f} {new:>10.4f} {new / base:>9.3f}", flush=True)


if __name__ == "__main__":
    main()
