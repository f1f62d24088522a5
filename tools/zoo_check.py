#!/usr/bin/python3
"""Checks the torchvision examples at full size against torchvision itself (issue 32's on-demand
zoo check; CI checks them with deterministic weights, tests/golden/MODEL_logits.txt).

For each model (default: every example tools/modern_cnns.py builds from torchvision), the
state_dict of `torchvision.models.NAME()` (PyTorch's random initialization, seed 0, each
convolution's and linear layer's weight rescaled to a standard deviation of 1/√fan-in, since some
builders' own (inception_v3's N(0, 0.1)) grow the logits to 1e11, where float32 itself is off by
1e8; and every batch norm's statistics and affine parameters randomized so that none is the
identity), I64 num_batches_tracked included, is saved as it is; torchvision's model in eval() mode gives the
outputs for 2 deterministic images; cnngen compiles examples/NAME/NAME.net with those weights
embedded (`--target`, default host), links tests/differential_check.cpp's checker and compares at
batches 1 and 2 with PyTorch's outputs computed in float64. A model passes within allclose(rtol=1e-4,
atol=1e-4), or, where its logits are large, within 1e-4 of their RMS: random weights through 50
layers give logits near 1e3 (resnet50), where PyTorch's own float32 result differs from its float64
one by 2e-3, so an absolute 1e-4 would fail PyTorch itself. Prints one table row per model: the
largest difference from float64 (and PyTorch float32's, for scale), the compile time, the
library's size.
  /usr/bin/python3 tools/zoo_check.py [--build build] [--target host] [MODEL ...] [BUILDER=FILE.net ...]
BUILDER=FILE.net checks another .net against torchvision.models.BUILDER() at 3×224×224 (a builder
written from an example's: resnet101 from resnet50, shufflenet_v2_x0_5 from shufflenet_v2_x1_0).
Needs a build of cnngen (bash tools/build.sh)."""
import argparse
import os
import re
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

BATCH = 2
STATISTICS_SEED = 7


def torchvision_state(name):
    """(model in eval() mode, its state_dict as numpy arrays) with randomized batch norms."""
    if name not in modern_cnns.MODELS:
        modern_cnns.MODELS[name] = (modern_cnns.torchvision_builder(name), (3, 224, 224))
    net = modern_cnns.build(name)
    generator = torch.Generator().manual_seed(STATISTICS_SEED)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.mul_(1 / (fan_in ** 0.5 * float(module.weight.std())))
            if isinstance(module, torch.nn.BatchNorm2d):
                c = module.num_features
                module.running_mean.copy_(torch.rand(c, generator=generator) - 0.5)
                module.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                module.bias.copy_((torch.rand(c, generator=generator) - 0.5) * 0.4)
    return net, modern_cnns.state_dict_arrays(net)


def check(build, model, target, work):
    """A table row: (name, result, largest difference, PyTorch float32's, compile seconds, library
    MiB, log). `model`: an example's name, or BUILDER=FILE.net."""
    name, _, net_file = model.partition("=")
    net, state = torchvision_state(name)
    shape = modern_cnns.MODELS[name][1]
    stem = os.path.join(work, name)
    with open(net_file or modern_cnns.net_path(name)) as source, open(stem + ".net", "w") as copy:
        copy.write(source.read())
    safetensors_io.save(state, stem + ".safetensors")
    x = torch.from_numpy(deterministic_weights.symmetric((BATCH,) + tuple(shape), difftest.INPUT_SEED, np.float32(1)))
    with torch.no_grad():
        y32 = net(x).numpy()
        y = net.double()(x.double()).numpy()
    torch_error = float(np.abs(y32 - y).max())
    tolerance = 1e-4 * max(1.0, float(np.sqrt(np.mean(y * y))))
    safetensors_io.save({"output": y.astype(np.float32), "input_scale": np.array([1.0], np.float32)},
                        stem + ".expected.safetensors")

    library = os.path.join(work, name + ".a")
    start = time.monotonic()
    code, log = difftest.run([build.cnngen, stem + ".net", "-o", library, "--name", "random_model",
                              "--target", target, "--weights", stem + ".safetensors"], difftest.COMPILE_TIMEOUT)
    seconds = time.monotonic() - start
    if code != 0:
        return name, f"compile failed ({code})", None, torch_error, seconds, None, log
    size = os.path.getsize(library) / 2**20
    result, worst, log = link_and_compare(build, library, stem, os.path.join(work, name), tolerance)
    return name, result, worst, torch_error, seconds, size, log


def link_and_compare(build, library, stem, program, tolerance):
    """(result, largest difference, log): links `library` (function random_model) with the
    differential checker as `program` and compares it with STEM.expected.safetensors; a mismatch
    within `tolerance` (absolute) passes, named so."""
    code, log = difftest.run(["c++", "-o", program, build.check, library, build.dsl, "-lpthread", "-ldl", "-lz"],
                             difftest.COMPILE_TIMEOUT)
    if code != 0:
        return "link failed", None, log
    code, log = difftest.run([program, stem + ".net"], difftest.RUN_TIMEOUT)
    worst = max((float(m) for m in re.findall(r"max \|cnngen - PyTorch\| (\S+),", log)), default=None)
    result = {0: "pass", 1: "MISMATCH", 77: "skipped (no device)"}.get(code, f"error ({code})")
    if code == 1 and worst is not None and worst <= tolerance:
        result = f"pass (within 1e-4 × RMS {tolerance / 1e-4:.3g})"
    return result, worst, log


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(difftest.ROOT, "build"))
    parser.add_argument("--target", default="host")
    parser.add_argument("--verbose", action="store_true", help="print each model's checker output")
    parser.add_argument("models", nargs="*", default=list(modern_cnns.TORCHVISION))
    args = parser.parse_args()
    build = difftest.Build(args.build)
    torch.set_num_threads(os.cpu_count())
    print(f"| model | result | max abs difference from float64 | PyTorch float32's | compile (s) | library (MiB) |\n"
          f"|---|---|---|---|---|---|")
    failed = False
    with tempfile.TemporaryDirectory() as work:
        for name in args.models:
            name, result, worst, torch_error, seconds, size, log = check(build, name, args.target, work)
            failed = failed or not result.startswith("pass")
            worst_text = f"{worst:.3g}" if worst is not None else "—"
            size_text = f"{size:.1f}" if size is not None else "—"
            print(f"| {name} | {result} | {worst_text} | {torch_error:.3g} | {seconds:.1f} | {size_text} |", flush=True)
            if args.verbose or not result.startswith("pass"):
                print(log.strip(), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
