"""Builds the PyTorch model equivalent to a cnngen .net file, for golden data, differential tests
and benchmarks. The network is the one cnngen itself checked: `cnngen json MODEL.net` (the format
of docs/graph_json.md), so every layer, block, join and default means here what it means to cnngen.

The model is an nn.Module whose submodules sit at the nodes' paths, so its state_dict names are
cnngen's weight names ("0.weight", "layer2.0.downsample.1.running_var"); layers without state
(activations, pooling, joins) are plain functions. forward() follows the graph's node order.

The cnngen binary is $CNNGEN, else build/cnngen under the repository.
  /usr/bin/python3 tools/net_to_torch.py MODEL.net    # prints the module and its state_dict
"""
import json
import os
import subprocess
import sys
import tempfile

import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRAPH_VERSION = 1


class CnngenError(Exception):
    """cnngen rejected the model (the message is its diagnostics) or could not be run."""


def cnngen_binary():
    return os.environ.get("CNNGEN") or os.path.join(ROOT, "build", "cnngen")


def graph(path):
    """cnngen's checked graph of the model in `path`, as a dict (docs/graph_json.md)."""
    binary = cnngen_binary()
    if not os.path.exists(binary):
        raise CnngenError(f"{binary} is missing: build cnngen (bash tools/build.sh) or set CNNGEN")
    done = subprocess.run([binary, "json", "--color=never", path], capture_output=True, text=True)
    if done.returncode != 0:
        raise CnngenError(done.stderr.strip() or f"cnngen json exited with {done.returncode}")
    result = json.loads(done.stdout)
    if result.get("format") != "cnngen-graph" or result.get("version") != GRAPH_VERSION:
        raise CnngenError(f"cnngen json wrote format {result.get('format')} {result.get('version')}, "
                          f"expected cnngen-graph {GRAPH_VERSION}")
    return result


def graph_of_text(text, name="model.net"):
    """cnngen's checked graph of a model given as .net text."""
    with tempfile.TemporaryDirectory(prefix="net_to_torch-") as work:
        path = os.path.join(work, name)
        with open(path, "w") as f:
            f.write(text)
        return graph(path)


def _identity(x):
    return x


def _add(*xs):
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    return total


def _mul(*xs):
    product = xs[0]
    for x in xs[1:]:
        product = product * x
    return product


class _ChannelLayerNorm(nn.LayerNorm):
    """nn.LayerNorm over the channels of N×C×H×W (torchvision's LayerNorm2d) or the features of N×F."""

    def forward(self, x):
        if x.dim() == 4:
            return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return super().forward(x)


def _concat(*xs):
    return torch.cat(xs, dim=1)


def _step(node):
    """(a module to register at the node's path or None, the function forward calls)."""
    op, a, kind = node["op"], node["arguments"], node["kind"]
    if op == "conv2d" and a.get("linear_weight"):  # nn.Linear over the channels of each pixel
        m = nn.Linear(a["in_channels"], a["out_channels"], a["bias"])
        return m, lambda x: m(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
    if op == "conv2d":
        m = nn.Conv2d(a["in_channels"], a["out_channels"], tuple(a["kernel"]), tuple(a["stride"]),
                      tuple(a["padding"]), tuple(a["dilation"]), a["groups"], a["bias"])
        return m, m
    if op == "linear":
        m = nn.Linear(a["in_features"], a["out_features"], a["bias"])
        return m, m
    if op == "batch_norm":
        norm = {"batchnorm1d": nn.BatchNorm1d, "batchnorm2d": nn.BatchNorm2d}[kind]
        m = norm(a["channels"], eps=a["eps"], affine=a["affine"]).eval()
        return m, m
    if op == "pool2d":
        if a["pool"] == "max":
            f = nn.MaxPool2d(tuple(a["kernel"]), tuple(a["stride"]), tuple(a["padding"]), tuple(a["dilation"]),
                             ceil_mode=a["ceil_mode"])
        else:
            f = nn.AvgPool2d(tuple(a["kernel"]), tuple(a["stride"]), tuple(a["padding"]), ceil_mode=a["ceil_mode"],
                             count_include_pad=a["count_include_pad"])
        return None, f
    if op == "pad2d":
        padding = tuple(a["padding"])
        if a["mode"] == "constant":
            return None, nn.ConstantPad2d(padding, a["value"])
        return None, (nn.ReflectionPad2d if a["mode"] == "reflect" else nn.ReplicationPad2d)(padding)
    if op == "adaptive_pool2d":
        pool = nn.AdaptiveMaxPool2d if a["pool"] == "max" else nn.AdaptiveAvgPool2d
        return None, pool(tuple(a["output"]))
    if op == "activation":
        if a["function"] == "leaky_relu":
            return None, nn.LeakyReLU(a["negative_slope"])
        return None, {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu6": nn.ReLU6, "silu": nn.SiLU,
                      "hardswish": nn.Hardswish, "hardsigmoid": nn.Hardsigmoid, "gelu": nn.GELU}[a["function"]]()
    if op == "softmax":
        return None, nn.Softmax(dim=1)
    if op == "flatten":
        return None, nn.Flatten()
    if op in ("dropout", "identity"):  # dropout is the identity at inference
        return None, _identity
    if op == "add":
        return None, _add
    if op == "mul":
        return None, _mul
    if op == "layer_norm":
        m = _ChannelLayerNorm(a["channels"], eps=a["eps"], elementwise_affine=a["affine"])
        return m, m
    if op == "permute":  # cnngen keeps a channels-last tensor stored channels first
        return None, _identity
    if op == "parameter":
        p = nn.Parameter(torch.zeros(a["shape"]))
        return p, lambda x: p.unsqueeze(0).expand(x.shape[0], *p.shape)
    if op == "channel_slice":
        return None, lambda x: x.narrow(1, a["start"], a["length"])
    if op == "channel_shuffle":
        return None, nn.ChannelShuffle(a["groups"])
    if op == "concat":
        return None, _concat
    raise ValueError(f"net_to_torch: unknown operation '{op}' of {kind} '{node['path']}'")


class GraphModule(nn.Module):
    """A cnngen graph as a PyTorch module; modules with state sit at their nodes' paths."""

    def __init__(self, graph_dict):
        super().__init__()
        # Underscored attributes, so that no layer name of the model can collide with them.
        self._cnngen_graph = graph_dict
        self._cnngen_steps = []
        for node in graph_dict["nodes"]:
            module, function = _step(node)
            if module is not None:
                self._attach(node["path"], module)
            self._cnngen_steps.append((node["inputs"], node["output"], function))

    def _attach(self, path, module):
        *parents, last = path.split(".")
        holder = self
        for part in parents:
            if part not in holder._modules:
                holder.add_module(part, nn.Module())
            holder = holder._modules[part]
        if isinstance(module, nn.Parameter):  # a `parameter` layer: the state_dict entry is its path
            holder.register_parameter(last, module)
        else:
            holder.add_module(last, module)

    def forward(self, x, trace=None):
        """The model's output for x (N × the input shape); `trace`, a list, receives every
        intermediate tensor in node order."""
        values = {self._cnngen_graph["input"]: x}
        for inputs, output, function in self._cnngen_steps:
            values[output] = function(*(values[t] for t in inputs))
            if trace is not None:
                trace.append(values[output])
        return values[self._cnngen_graph["output"]]


def from_graph(graph_dict):
    """(name, input shape, model in eval mode) for a graph dict."""
    tensors = graph_dict["tensors"]
    shape = tuple(tensors[graph_dict["input"]]["shape"])
    return graph_dict["model"], shape, GraphModule(graph_dict).eval()


def build(path):
    """(name, input shape, model in eval mode) for the model in `path`."""
    return from_graph(graph(path))


def build_text(text):
    """(name, input shape, model in eval mode) for .net text."""
    return from_graph(graph_of_text(text))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: net_to_torch.py MODEL.net")
    try:
        name, shape, net = build(sys.argv[1])
    except CnngenError as e:
        sys.exit(str(e))
    print(f"model {name}, input {'×'.join(map(str, shape))}\n{net}")
    for key, value in net.state_dict().items():
        print(f"  {key} {list(value.shape)}")


if __name__ == "__main__":
    main()
