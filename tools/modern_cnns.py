#!/usr/bin/python3
"""The PyTorch side of issue 11's example networks: D2L's NiN, GoogLeNet, ResNet-18 and DenseNet
written as zh.d2l.ai (v2) writes them (`net = nn.Sequential(b1, b2, ...)`), and torchvision 0.14's
resnet18() and mobilenet_v2() with random weights. Each model's .net in examples/ must name its
tensors exactly as these state_dicts do.

  /usr/bin/python3 tools/modern_cnns.py --check-names [--cnngen build/cnngen] [MODEL ...]
      compares every examples/MODEL/MODEL.net's parameters (`cnngen json`) with the state_dict's
      names and shapes, and checks it (`cnngen check`) with the real state_dict (num_batches_tracked
      as I64 included) as --weights: cnngen reports a missing, unused or mis-shaped tensor.
  /usr/bin/python3 tools/modern_cnns.py --fixture
      writes tests/golden/MODEL_state_dict.txt for the torchvision models: every state_dict entry's
      name, dtype and shape, read by tests/torchvision_names_test.cpp (no Python in CI).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --- D2L §7.3 NiN ---------------------------------------------------------------------------------
def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


def nin():
    return nn.Sequential(
        nin_block(1, 96, kernel_size=11, strides=4, padding=0),
        nn.MaxPool2d(3, stride=2),
        nin_block(96, 256, kernel_size=5, strides=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        nin_block(256, 384, kernel_size=3, strides=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        nin_block(384, 10, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten())


# --- D2L §7.4 GoogLeNet ---------------------------------------------------------------------------
class Inception(nn.Module):
    def __init__(self, in_channels, c1, c2, c3, c4, **kwargs):
        super(Inception, self).__init__(**kwargs)
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

    def forward(self, x):
        p1 = F.relu(self.p1_1(x))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
        p4 = F.relu(self.p4_2(self.p4_1(x)))
        return torch.cat((p1, p2, p3, p4), dim=1)


def googlenet():
    b1 = nn.Sequential(nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
                       nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(nn.Conv2d(64, 64, kernel_size=1),
                       nn.ReLU(),
                       nn.Conv2d(64, 192, kernel_size=3, padding=1),
                       nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b3 = nn.Sequential(Inception(192, 64, (96, 128), (16, 32), 32),
                       Inception(256, 128, (128, 192), (32, 96), 64),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b4 = nn.Sequential(Inception(480, 192, (96, 208), (16, 48), 64),
                       Inception(512, 160, (112, 224), (24, 64), 64),
                       Inception(512, 128, (128, 256), (24, 64), 64),
                       Inception(512, 112, (144, 288), (32, 64), 64),
                       Inception(528, 256, (160, 320), (32, 128), 128),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b5 = nn.Sequential(Inception(832, 256, (160, 320), (32, 128), 128),
                       Inception(832, 384, (192, 384), (48, 128), 128),
                       nn.AdaptiveAvgPool2d((1, 1)),
                       nn.Flatten())
    return nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, 10))


# --- D2L §7.6 ResNet-18 ---------------------------------------------------------------------------
class Residual(nn.Module):
    def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


def resnet_block(input_channels, num_channels, num_residuals, first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels, num_channels))
    return blk


def resnet():
    b1 = nn.Sequential(nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
                       nn.BatchNorm2d(64), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(*resnet_block(64, 64, 2, first_block=True))
    b3 = nn.Sequential(*resnet_block(64, 128, 2))
    b4 = nn.Sequential(*resnet_block(128, 256, 2))
    b5 = nn.Sequential(*resnet_block(256, 512, 2))
    return nn.Sequential(b1, b2, b3, b4, b5,
                         nn.AdaptiveAvgPool2d((1, 1)),
                         nn.Flatten(), nn.Linear(512, 10))


# --- D2L §7.7 DenseNet ----------------------------------------------------------------------------
def conv_block(input_channels, num_channels):
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    def __init__(self, num_convs, input_channels, num_channels):
        super(DenseBlock, self).__init__()
        layer = []
        for i in range(num_convs):
            layer.append(conv_block(num_channels * i + input_channels, num_channels))
        self.net = nn.Sequential(*layer)

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(input_channels, num_channels):
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2))


def densenet():
    b1 = nn.Sequential(
        nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    num_channels, growth_rate = 64, 32
    num_convs_in_dense_blocks = [4, 4, 4, 4]
    blks = []
    for i, num_convs in enumerate(num_convs_in_dense_blocks):
        blks.append(DenseBlock(num_convs, num_channels, growth_rate))
        num_channels += num_convs * growth_rate
        if i != len(num_convs_in_dense_blocks) - 1:
            blks.append(transition_block(num_channels, num_channels // 2))
            num_channels = num_channels // 2
    return nn.Sequential(
        b1, *blks,
        nn.BatchNorm2d(num_channels), nn.ReLU(),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
        nn.Linear(num_channels, 10))


# --- torchvision 0.14 -----------------------------------------------------------------------------
def resnet18():
    import torchvision
    return torchvision.models.resnet18(weights=None)


def mobilenet_v2():
    import torchvision
    return torchvision.models.mobilenet_v2(weights=None)


def torchvision_builder(name):
    """torchvision.models.NAME(weights=None), built when called."""
    def constructor():
        import torchvision
        return getattr(torchvision.models, name)(weights=None)
    constructor.__name__ = name
    return constructor


# name: (constructor, input shape C×H×W); the .net is examples/NAME/NAME.net
MODELS = {
    "nin": (nin, (1, 224, 224)),
    "googlenet": (googlenet, (1, 96, 96)),
    "resnet": (resnet, (1, 96, 96)),
    "densenet": (densenet, (1, 96, 96)),
    "resnet18": (resnet18, (3, 224, 224)),
    "mobilenet_v2": (mobilenet_v2, (3, 224, 224)),
}
# torchvision's builders with an example, and the input size torchvision evaluates each at.
TORCHVISION_SIZES = {
    "mobilenet_v3_large": 224, "efficientnet_b0": 224, "shufflenet_v2_x1_0": 224, "resnet50": 224,
    "wide_resnet50_2": 224, "squeezenet1_0": 224, "vgg16_bn": 224, "mnasnet1_0": 224, "regnet_y_400mf": 224,
    "efficientnet_v2_s": 384, "inception_v3": 299, "convnext_tiny": 224,
}
MODELS.update({name: (torchvision_builder(name), (3, size, size)) for name, size in TORCHVISION_SIZES.items()})
TORCHVISION = ("resnet18", "mobilenet_v2") + tuple(
    name for name in TORCHVISION_SIZES if os.path.exists(os.path.join(ROOT, "examples", name, f"{name}.net")))
# State_dict prefixes of the auxiliary heads that inference never runs: unused, warned about only.
AUXILIARY = {"inception_v3": "AuxLogits."}


def net_path(name):
    return os.path.join(ROOT, "examples", name, f"{name}.net")


def build(name):
    """The model in eval() mode, with PyTorch's default (random) initialization."""
    constructor, _ = MODELS[name]
    torch.manual_seed(0)
    return constructor().eval()


def state_dict_arrays(net):
    """{name: numpy array} of the whole state_dict: float32, and int64 for num_batches_tracked."""
    return {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}


def graph_differences(name, cnngen, net):
    """The differences between cnngen's parameters (`cnngen json`: every node's state_dict entries,
    ignored ones included) and the state_dict's names and shapes, as lines; empty when equal."""
    run = subprocess.run([cnngen, "json", net_path(name)], capture_output=True, text=True)
    if run.returncode != 0:
        return [f"cnngen json failed:\n{run.stderr.strip()}"]
    ours = {}
    for node in json.loads(run.stdout)["nodes"]:
        for p in node.get("parameters", []):
            ours[p["name"]] = tuple(p["shape"])
        for ignored in node.get("ignored", []):
            ours[ignored if isinstance(ignored, str) else ignored["name"]] = None
    auxiliary = AUXILIARY.get(name)
    theirs = {k: tuple(v.shape) for k, v in net.state_dict().items() if not (auxiliary and k.startswith(auxiliary))}
    lines = [f"  not in cnngen's graph: {k} {theirs[k]}" for k in theirs if k not in ours]
    lines += [f"  not in PyTorch's state_dict: {k} {ours[k]}" for k in ours if k not in theirs]
    lines += [f"  shape of {k}: cnngen {ours[k]}, PyTorch {theirs[k]}" for k in theirs
              if k in ours and ours[k] is not None and ours[k] != theirs[k]]
    return lines


def check_names(name, cnngen):
    """Compares the model's .net with its PyTorch state_dict twice: by `cnngen json`'s parameter
    names and shapes, and by `cnngen check` with the state_dict (num_batches_tracked as I64
    included) as weights, which reports a missing or mis-shaped tensor as an error and an unused
    one as a warning (a failure here). True when both agree exactly."""
    import safetensors_io
    net = build(name)
    differences = graph_differences(name, cnngen, net)
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, f"{name}.safetensors")
        safetensors_io.save(state_dict_arrays(net), weights)
        run = subprocess.run([cnngen, "check", net_path(name), "--weights", weights],
                             capture_output=True, text=True)
    messages = (run.stdout + run.stderr).strip()
    auxiliary = AUXILIARY.get(name)
    warnings = [line for line in messages.splitlines() if "warning" in line
                and not (auxiliary and f"tensor '{auxiliary}" in line and "is not used" in line)]
    ok = not differences and run.returncode == 0 and not warnings
    print(f"{name}: {len(net.state_dict())} state_dict entries: {'OK' if ok else 'FAILED'}")
    if not ok:
        print("\n".join(differences + [messages]))
    return ok


DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def write_fixture(name):
    """tests/golden/NAME_state_dict.txt: one state_dict entry a line, `name dtype dim0,dim1,...`
    (a scalar has an empty shape: `-`)."""
    net = build(name)
    path = os.path.join(ROOT, "tests", "golden", f"{name}_state_dict.txt")
    with open(path, "w") as f:
        f.write(f"# torchvision {__import__('torchvision').__version__} models.{name}() state_dict: "
                f"name dtype shape (tools/modern_cnns.py --fixture)\n")
        for key, t in net.state_dict().items():
            shape = ",".join(str(d) for d in t.shape) or "-"
            f.write(f"{key} {DTYPES[t.dtype]} {shape}\n")
    print(path, len(net.state_dict()))


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check-names", action="store_true")
    parser.add_argument("--fixture", action="store_true")
    parser.add_argument("--cnngen", default=os.path.join(ROOT, "build", "cnngen"))
    parser.add_argument("models", nargs="*")
    args = parser.parse_args()
    ok = True
    if args.check_names:
        for name in args.models or list(MODELS):
            ok &= check_names(name, args.cnngen)
    if args.fixture:
        for name in args.models or TORCHVISION:
            write_fixture(name)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
