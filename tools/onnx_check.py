#!/usr/bin/python3
"""Checks `cnngen import` on real exports (issue 33): torchvision 0.14's models, exported by
PyTorch 1.13's torch.onnx.export with a free batch at each opset asked, imported by cnngen,
compiled and compared at batches 1, 3 with ONNX Runtime's outputs for the same file.

Each model has tools/zoo_check.py's weights (PyTorch's random initialization rescaled, batch norms
randomized so that none is the identity); the exporter folds each batch norm into the convolution
before it. A model passes within allclose(rtol=1e-4, atol=1e-4) of ONNX Runtime, or, where its
outputs are large, within 1e-4 of their RMS (as zoo_check.py: through 50 random layers float32's
own rounding differs by more than an absolute 1e-4). Prints one table row per model and opset:
the result, the largest difference from ONNX Runtime, the import and compile times. A model cnngen
refuses prints the importer's diagnostics.

  /usr/bin/python3 tools/onnx_check.py [--opsets 11,13,17] [--keep DIR] [MODEL ...]

Needs a build of cnngen (bash tools/build.sh), Debian's PyTorch and torchvision (this interpreter)
and onnxruntime in the `python3` first on PATH (pip install onnxruntime)."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deterministic_weights  # noqa: E402
import difftest  # noqa: E402
import modern_cnns  # noqa: E402
import safetensors_io  # noqa: E402
import zoo_check  # noqa: E402

BATCH = 3
DEFAULT_MODELS = ("resnet18", "resnet50", "mobilenet_v2", "googlenet", "squeezenet1_1", "densenet121",
                  "efficientnet_b0", "mobilenet_v3_large", "shufflenet_v2_x1_0", "convnext_tiny")

# ONNX Runtime runs in the interpreter that has it (Debian's has PyTorch, not onnxruntime).
ORT_SCRIPT = """
import sys, numpy as np, onnxruntime as ort
session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
x = np.load(sys.argv[2])
np.save(sys.argv[3], session.run(None, {session.get_inputs()[0].name: x})[0])
"""


def export(name, opset, path):
    net, _ = zoo_check.torchvision_state(name)
    shape = modern_cnns.MODELS[name][1]
    torch.onnx.export(net, torch.zeros((1,) + tuple(shape)), path, opset_version=opset, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "n"}, "output": {0: "n"}})
    return shape


def check(build, name, opset, work):
    """A table row: (model, opset, result, largest difference, import s, compile s, log)."""
    stem = os.path.join(work, f"{name}_opset{opset}")
    shape = export(name, opset, stem + ".onnx")
    start = time.monotonic()
    code, log = difftest.run([build.cnngen, "import", stem + ".onnx", "-o", stem + ".net"], difftest.COMPILE_TIMEOUT)
    import_seconds = time.monotonic() - start
    if code != 0:
        return name, opset, "refused" if code == 1 else f"import error ({code})", None, import_seconds, None, log
    x = deterministic_weights.symmetric((BATCH,) + tuple(shape), difftest.INPUT_SEED, np.float32(1))
    np.save(stem + ".input.npy", x)
    done = subprocess.run(["python3", "-c", ORT_SCRIPT, stem + ".onnx", stem + ".input.npy", stem + ".ort.npy"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return name, opset, "ONNX Runtime failed", None, import_seconds, None, done.stderr
    y = np.load(stem + ".ort.npy")
    safetensors_io.save({"output": y.astype(np.float32), "input_scale": np.array([1.0], np.float32)},
                        stem + ".expected.safetensors")
    library = stem + ".a"
    start = time.monotonic()
    code, log = difftest.run([build.cnngen, stem + ".net", "-o", library, "--name", "random_model",
                              "--weights", stem + ".safetensors"], difftest.COMPILE_TIMEOUT)
    compile_seconds = time.monotonic() - start
    if code != 0:
        return name, opset, f"compile failed ({code})", None, import_seconds, compile_seconds, log
    tolerance = 1e-4 * max(1.0, float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))))
    result, worst, log = zoo_check.link_and_compare(build, library, stem, stem + ".check", tolerance)
    return name, opset, result, worst, import_seconds, compile_seconds, log


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(difftest.ROOT, "build"))
    parser.add_argument("--opsets", default="11,13,17")
    parser.add_argument("--keep", help="keep the exports, .net files and libraries in this folder")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("models", nargs="*", default=list(DEFAULT_MODELS))
    args = parser.parse_args()
    build = difftest.Build(args.build)
    torch.set_num_threads(os.cpu_count())
    print("| model | opset | result | max abs difference from ONNX Runtime | import (s) | compile (s) |\n"
          "|---|---|---|---|---|---|", flush=True)
    failed = False
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or scratch
        os.makedirs(work, exist_ok=True)
        for name in args.models:
            for opset in (int(o) for o in args.opsets.split(",")):
                name, opset, result, worst, import_s, compile_s, log = check(build, name, opset, work)
                failed = failed or not result.startswith("pass")
                worst_text = f"{worst:.3g}" if worst is not None else "—"
                compile_text = f"{compile_s:.1f}" if compile_s is not None else "—"
                print(f"| {name} | {opset} | {result} | {worst_text} | {import_s:.2f} | {compile_text} |", flush=True)
                if args.verbose or not result.startswith("pass"):
                    print("\n".join(log.strip().splitlines()[:12]), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
