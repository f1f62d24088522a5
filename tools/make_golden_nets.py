#!/usr/bin/python3
"""Writes PyTorch's outputs for AlexNet and VGG-11 (examples/*.net) with deterministic weights and
inputs (tools/deterministic_weights.py, reproduced in C++ by tests/deterministic_tensor.hpp) to
tests/golden/MODEL_logits.txt. Run with Debian's interpreter: /usr/bin/python3 tools/make_golden_nets.py"""
import os
import warnings

import torch

import deterministic_weights
import net_to_torch

warnings.filterwarnings("ignore")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUT_SEED = 1000
BATCH = {"alexnet": 2, "vgg11": 1}


def main():
    torch.set_num_threads(os.cpu_count())
    for model, batch in BATCH.items():
        _, shape, net = net_to_torch.build(os.path.join(ROOT, "examples", model, f"{model}.net"))
        state = {name: torch.from_numpy(deterministic_weights.parameter(tuple(t.shape), seed))
                 for seed, (name, t) in enumerate(net.state_dict().items())}
        net.load_state_dict(state)
        x = torch.from_numpy(deterministic_weights.uniform(batch * int(torch.tensor(shape).prod()),
                                                           INPUT_SEED).reshape((batch,) + shape))
        with torch.no_grad():
            logits = net(x)
        with open(os.path.join(ROOT, "tests", "golden", f"{model}_logits.txt"), "w") as f:
            f.write(f"# PyTorch {torch.__version__} output of examples/{model}/{model}.net for {batch} "
                    f"input(s), deterministic weights (tools/make_golden_nets.py): one image a line\n")
            for row in logits.numpy():
                f.write(" ".join(f"{v:.9g}" for v in row) + "\n")
        print(model, logits.abs().max().item())


if __name__ == "__main__":
    main()
