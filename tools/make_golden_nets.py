#!/usr/bin/python3
"""Writes PyTorch's outputs for the big example networks with deterministic weights and inputs
(tools/deterministic_weights.py, reproduced in C++ by tests/deterministic_tensor.hpp) to
tests/golden/MODEL_logits.txt, one image a line: AlexNet and VGG-11 (examples/*.net through
tools/net_to_torch.py), and issue 11's modern networks as D2L and torchvision define them
(tools/modern_cnns.py), in eval() mode. Run with Debian's interpreter:
  /usr/bin/python3 tools/make_golden_nets.py [MODEL ...]"""
import os
import sys
import warnings

import torch

import deterministic_weights
import modern_cnns
import net_to_torch

warnings.filterwarnings("ignore")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUT_SEED = 1000
# Images per golden file: more than one where the network is small enough for CI.
BATCH = {"alexnet": 2, "vgg11": 1, "nin": 1, "googlenet": 1, "resnet": 1, "densenet": 1,
         "resnet18": 1, "mobilenet_v2": 1, "mobilenet_v3_large": 1, "efficientnet_b0": 1,
         "shufflenet_v2_x1_0": 1, "convnext_tiny": 1}


def network(model):
    """(input shape C×H×W, PyTorch module in eval() mode)"""
    if model in modern_cnns.MODELS:
        return modern_cnns.MODELS[model][1], modern_cnns.build(model)
    _, shape, net = net_to_torch.build(os.path.join(ROOT, "examples", model, f"{model}.net"))
    return shape, net.eval()


def main():
    torch.set_num_threads(os.cpu_count())
    for model in sys.argv[1:] or list(BATCH):
        batch = BATCH[model]
        shape, net = network(model)
        net.load_state_dict(deterministic_weights.state_dict(net))
        x = torch.from_numpy(deterministic_weights.uniform(batch * int(torch.tensor(shape).prod()),
                                                           INPUT_SEED).reshape((batch,) + tuple(shape)))
        with torch.no_grad():
            logits = net(x)
        with open(os.path.join(ROOT, "tests", "golden", f"{model}_logits.txt"), "w") as f:
            f.write(f"# PyTorch {torch.__version__} output of examples/{model}/{model}.net for {batch} "
                    f"input(s), deterministic weights (tools/make_golden_nets.py): one image a line\n")
            for row in logits.numpy():
                f.write(" ".join(f"{v:.9g}" for v in row) + "\n")
            rounding = (logits.double() - net.double()(x.double())).abs().max().item()
        print(model, tuple(logits.shape), "max |logit|", logits.abs().max().item(), "RMS",
              logits.pow(2).mean().sqrt().item(), "max |float32 - float64|", rounding)


if __name__ == "__main__":
    main()
