#!/usr/bin/env python3
"""The GPU check (see bench/gpu_check.sh): cnngen's CUDA builds of every example network against
their CPU builds (same deterministic weights and inputs, 1e-4 relative) and against PyTorch CUDA
eager on the same GPU, printed as one table. Exits 1 when an output differs.

  gpu_check.py [BUILD_DIR] [--models a,b] [--torch-device cpu] [--no-cpu-build]
--models and --torch-device cpu make a dry run here possible: runners built for OpenCL (PoCL)
against PyTorch on the CPU. --no-cpu-build skips the CPU builds (a GPU machine's CPU can be slow
enough to dominate the check). PyTorch computes in float32 as cnngen does: its default TF32
convolutions on NVIDIA GPUs (10-bit mantissas) are turned off, since they differ from float32 by
1e-3 to 1e-1 on these networks (seen on an H200).

PyTorch is timed two ways: as cnngen is called (input on the host, copied in, output copied back)
and with its tensors already on the GPU. Ratios are PyTorch's host-to-host time over cnngen's."""
import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
warnings.filterwarnings("ignore")

import deterministic_weights  # noqa: E402
import net_to_torch  # noqa: E402

CASES = [("lenet", [1, 256]), ("alexnet", [1, 8]), ("vgg11", [1, 8]), ("nin", [1, 8]), ("googlenet", [1, 8]),
         ("resnet", [1, 8]), ("densenet", [1, 8]), ("resnet18", [1, 8]), ("mobilenet_v2", [1, 8])]
TARGETS = {("lenet", 256): 1.0, ("vgg11", 8): 0.7}  # the targets: PyTorch time / cnngen's
INPUT_SEED = 1000
SECONDS = 1.0


def runner(build, model, device, batch):
    output = os.path.join(build, f"{model}_{device}_{batch}.f32")
    command = [os.path.join(build, f"{model}_{device}"), os.path.join(ROOT, "examples", model, f"{model}.net"),
               "--batch", str(batch), "--seconds", str(SECONDS), "--output", output]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    facts["outputs"] = np.fromfile(output, dtype=np.float32)
    return facts


def torch_net(build, model, device):
    """PyTorch's copy of the model, from the graph gpu_check_build.sh wrote (no cnngen needed here)."""
    with open(os.path.join(build, f"{model}.json")) as f:
        _, shape, net = net_to_torch.from_graph(json.load(f))
    net.load_state_dict(deterministic_weights.state_dict(net))  # as tests/deterministic_arguments.hpp
    return shape, net.to(device).eval()


def synchronize():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def median_seconds(step):
    for _ in range(3):
        step()
    synchronize()
    times, begin = [], time.perf_counter()
    while len(times) < 5 or time.perf_counter() - begin < SECONDS:
        start = time.perf_counter()
        step()
        synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def worst_difference(actual, expected):
    """The largest |actual − expected| / (1 + |expected|): under 1e-4 passes, as in the tests."""
    return float(np.max(np.abs(actual - expected) / (1.0 + np.abs(expected))))


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", default=os.path.join(ROOT, "build", "gpu-check"))
    parser.add_argument("--models", help="comma-separated subset of " + ",".join(m for m, _ in CASES))
    parser.add_argument("--torch-device", default="cuda", help="cuda (default), or cpu for a dry run")
    parser.add_argument("--no-cpu-build", action="store_true", help="compare with PyTorch alone")
    return parser.parse_args()


def main():
    options = arguments()
    build, device = options.build, options.torch_device
    chosen = options.models.split(",") if options.models else [m for m, _ in CASES]
    if device == "cuda" and not torch.cuda.is_available():
        sys.exit("gpu_check: PyTorch sees no CUDA device")
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False  # float32 convolutions, as cnngen computes them
    torch.backends.cuda.matmul.allow_tf32 = False
    name = torch.cuda.get_device_name(0) if device == "cuda" else "CPU (dry run)"
    print(f"gpu_check: {name}, PyTorch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}", flush=True)
    rows, failed = [], False
    for model, batches in CASES:
        if model not in chosen:
            continue
        shape, net = torch_net(build, model, device)
        for batch in batches:
            x = deterministic_weights.uniform(batch * int(np.prod(shape)), INPUT_SEED).reshape((batch,) + shape)
            x_host = torch.from_numpy(x)
            x_device = x_host.to(device)
            with torch.no_grad():
                expected = net(x_device).cpu().numpy().ravel()
                host_to_host = median_seconds(lambda: net(x_host.to(device)).cpu())
                on_device = median_seconds(lambda: net(x_device))
            try:
                cpu = None if options.no_cpu_build else runner(build, model, "cpu", batch)
                cuda = runner(build, model, "cuda", batch)
            except (RuntimeError, subprocess.TimeoutExpired) as e:  # the other models still run
                print(f"gpu_check: {model} batch {batch} FAILED: {e}", flush=True)
                failed = True
                continue
            vs_cpu = worst_difference(cuda["outputs"], cpu["outputs"]) if cpu else 0.0
            vs_torch = worst_difference(cuda["outputs"], expected)
            ok = vs_cpu < 1e-4 and vs_torch < 1e-4
            failed |= not ok
            rows.append((model, batch, cuda, host_to_host, on_device, cpu, vs_cpu, vs_torch, ok))
            print(f"gpu_check: {model} batch {batch}: cnngen {cuda['seconds'] * 1e3:.3f} ms, PyTorch "
                  f"{host_to_host * 1e3:.3f} ms, largest difference from PyTorch {vs_torch:.1e}", flush=True)
    print(f"\n{'model':12} {'batch':>5} {'cnngen CUDA ms':>14} {'first call s':>12} {'torch ms':>9} "
          f"{'torch on-GPU ms':>15} {'×':>6} {'target':>7} {'cnngen CPU ms':>13} {'Δ vs CPU':>9} "
          f"{'Δ vs torch':>10}  device")
    for model, batch, cuda, h2h, dev, cpu, vs_cpu, vs_torch, ok in rows:
        ratio = h2h / cuda["seconds"]
        target = TARGETS.get((model, batch))
        verdict = "" if target is None else ("met" if ratio >= target else "missed")
        print(f"{model:12} {batch:>5} {cuda['seconds'] * 1e3:>14.3f} {cuda['first_call_seconds']:>12.3f} "
              f"{h2h * 1e3:>9.3f} {dev * 1e3:>15.3f} {ratio:>6.2f} {verdict:>7} {cpu['seconds'] * 1e3 if cpu else float('nan'):>13.3f} "
              f"{vs_cpu if cpu else float('nan'):>9.1e} {vs_torch:>10.1e}  {cuda['device']}{'' if ok else '  OUTPUTS DIFFER'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
