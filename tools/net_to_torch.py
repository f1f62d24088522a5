"""Builds the PyTorch nn.Sequential equivalent to a cnngen .net file, for golden data and
benchmarks. Understands the layers of docs/dsl.md; names are ignored (children are numbered as
cnngen numbers unnamed layers, so state_dict names agree for models without named layers)."""
import ast
import re

import torch
from torch import nn

LINE = re.compile(r"^\s*(\w+)(?:\s+(\w+))?\s*(?:\((.*)\))?\s*$")


def _arguments(text, names):
    """Positional and key=value arguments of a layer line as a dict keyed by `names`."""
    values = {}
    if not text or not text.strip():
        return values
    parts = re.split(r",(?![^()]*\))", text)
    for i, part in enumerate(parts):
        key, _, value = part.partition("=") if "=" in part else (names[i], "", part)
        value = value.strip()
        values[key.strip()] = True if value == "true" else False if value == "false" else ast.literal_eval(value)
    return values


def parse(path):
    """(model name, input shape, [(kind, arguments)])"""
    name, shape, layers = None, None, []
    for raw in open(path):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("model "):
            name = line.split()[1]
        elif line.startswith("input "):
            shape = tuple(int(d) for d in line.split()[1].split("x"))
        else:
            kind, _, args = LINE.match(line).groups()
            layers.append((kind, args))
    return name, shape, layers


def build(path):
    """(name, input shape, nn.Sequential) for the model in `path`."""
    name, shape, layers = parse(path)
    modules = []
    channels = shape[0]
    features = None
    for kind, text in layers:
        if kind == "conv2d":
            a = _arguments(text, ["out", "kernel", "stride", "padding", "dilation", "groups", "bias", "in"])
            modules.append(nn.Conv2d(channels, a["out"], a["kernel"], a.get("stride", 1), a.get("padding", 0),
                                     a.get("dilation", 1), a.get("groups", 1), a.get("bias", True)))
            channels = a["out"]
        elif kind in ("maxpool2d", "avgpool2d"):
            a = _arguments(text, ["kernel", "stride", "padding"])
            pool = nn.MaxPool2d if kind == "maxpool2d" else nn.AvgPool2d
            modules.append(pool(a["kernel"], a.get("stride", a["kernel"]), a.get("padding", 0)))
        elif kind == "linear":
            a = _arguments(text, ["out", "in", "bias"])
            modules.append(nn.LazyLinear(a["out"], a.get("bias", True)))
        else:
            modules.append({"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "flatten": nn.Flatten,
                            "dropout": nn.Dropout, "softmax": lambda: nn.Softmax(dim=1)}[kind]())
    net = nn.Sequential(*modules)
    with torch.no_grad():
        net(torch.zeros((1,) + shape))  # materializes the lazy linear layers
    return name, shape, net.eval()
