#!/usr/bin/env python3
"""The GPU check (see bench/gpu_check.sh): cnngen's CUDA builds of LeNet, AlexNet and VGG-11 against
their CPU builds (same deterministic weights and inputs, 1e-4 relative) and against PyTorch CUDA
eager on the same GPU, printed as one table. Exits 1 when an output differs.

PyTorch is timed two ways: as cnngen is called (input on the host, copied in, output copied back)
and with its tensors already on the GPU. Ratios are PyTorch's host-to-host time over cnngen's."""
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

CASES = [("lenet", [1, 256]), ("alexnet", [1, 8]), ("vgg11", [1, 8])]
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


def torch_net(model):
    _, shape, net = net_to_torch.build(os.path.join(ROOT, "examples", model, f"{model}.net"))
    net.load_state_dict(deterministic_weights.state_dict(net))  # as tests/deterministic_arguments.hpp
    return shape, net.cuda().eval()


def median_seconds(step):
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    times, begin = [], time.perf_counter()
    while len(times) < 5 or time.perf_counter() - begin < SECONDS:
        start = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def worst_difference(actual, expected):
    """The largest |actual − expected| / (1 + |expected|): under 1e-4 passes, as in the tests."""
    return float(np.max(np.abs(actual - expected) / (1.0 + np.abs(expected))))


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "gpu-check")
    if not torch.cuda.is_available():
        sys.exit("gpu_check: PyTorch sees no CUDA device")
    torch.backends.cudnn.benchmark = True
    print(f"gpu_check: {torch.cuda.get_device_name(0)}, PyTorch {torch.__version__}, "
          f"cuDNN {torch.backends.cudnn.version()}", flush=True)
    rows, failed = [], False
    for model, batches in CASES:
        shape, net = torch_net(model)
        for batch in batches:
            x = deterministic_weights.uniform(batch * int(np.prod(shape)), INPUT_SEED).reshape((batch,) + shape)
            x_host = torch.from_numpy(x)
            x_device = x_host.cuda()
            with torch.no_grad():
                expected = net(x_device).cpu().numpy().ravel()
                host_to_host = median_seconds(lambda: net(x_host.cuda()).cpu())
                on_device = median_seconds(lambda: net(x_device))
            cpu = runner(build, model, "cpu", batch)
            cuda = runner(build, model, "cuda", batch)
            vs_cpu = worst_difference(cuda["outputs"], cpu["outputs"])
            vs_torch = worst_difference(cuda["outputs"], expected)
            ok = vs_cpu < 1e-4 and vs_torch < 1e-4
            failed |= not ok
            rows.append((model, batch, cuda, host_to_host, on_device, cpu, vs_cpu, vs_torch, ok))
            print(f"gpu_check: {model} batch {batch} done", flush=True)
    print(f"\n{'model':8} {'batch':>5} {'cnngen CUDA ms':>14} {'first call s':>12} {'torch ms':>9} "
          f"{'torch on-GPU ms':>15} {'×':>6} {'target':>7} {'cnngen CPU ms':>13} {'Δ vs CPU':>9} "
          f"{'Δ vs torch':>10}  device")
    for model, batch, cuda, h2h, dev, cpu, vs_cpu, vs_torch, ok in rows:
        ratio = h2h / cuda["seconds"]
        target = TARGETS.get((model, batch))
        verdict = "" if target is None else ("met" if ratio >= target else "missed")
        print(f"{model:8} {batch:>5} {cuda['seconds'] * 1e3:>14.3f} {cuda['first_call_seconds']:>12.3f} "
              f"{h2h * 1e3:>9.3f} {dev * 1e3:>15.3f} {ratio:>6.2f} {verdict:>7} {cpu['seconds'] * 1e3:>13.3f} "
              f"{vs_cpu:>9.1e} {vs_torch:>10.1e}  {cuda['device']}{'' if ok else '  OUTPUTS DIFFER'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
