"""Random valid cnngen models for the differential tester (tools/difftest.py).

A model is a plain dict, {"name", "input": shape tuple, "layers": [layer dicts]}, each layer
{"kind", "name" (None: numbered by its index, as nn.Sequential numbers children), "args": PyTorch's
values, "style": how the .net line spells them}. `generate` draws one whose every shape is valid by
cnngen's and PyTorch's rules (docs/dsl.md); `infer` checks one (the shrinker edits models and asks
again); `to_net` writes the .net text and `to_torch` the equivalent nn.Sequential.

The draws lean towards what breaks schedules: channel counts at and around the vector widths (4, 8,
16 floats), outputs one pixel wide, ragged tails, groups and depthwise convolutions, dilations,
strides larger than the window, padded pooling, tiny and large inputs, networks on both sides of
the 10 M multiply-add line where cnngen's CPU schedule changes.
"""
import collections
import random

import torch
from torch import nn

CHANNELS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 48, 64]
WIDE_CHANNELS = [16, 24, 32, 48, 63, 64, 65, 96, 128]
FEATURES = [1, 2, 3, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 47, 48, 64, 100, 120, 128]
ACTIVATIONS = ["relu", "sigmoid", "tanh"]
SMALL_NETWORK_MACS = 10_000_000  # codegen/schedule_common.hpp's is_small_network


class Invalid(Exception):
    """The model breaks a shape rule."""


def window_output(n, kernel, stride, padding, dilation=1):
    """D2L's out = ⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1."""
    return (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def infer(model):
    """[(output shape, multiply-adds per image)] for each layer, or raises Invalid."""
    shape, out = tuple(model["input"]), []
    names = set()
    for layer in model["layers"]:
        kind, a = layer["kind"], layer["args"]
        if layer["name"] is not None:
            if layer["name"] in names:
                raise Invalid("duplicate name")
            names.add(layer["name"])
        macs = 0
        if kind in ("conv2d", "maxpool2d", "avgpool2d"):
            if len(shape) != 3:
                raise Invalid(f"{kind} needs C×H×W")
            k, s, p = pair(a["kernel"]), pair(a["stride"]), pair(a["padding"])
            d = pair(a.get("dilation", 1))
            if kind != "conv2d" and (2 * p[0] > k[0] or 2 * p[1] > k[1]):
                raise Invalid("pool padding over half the kernel")
            h, w = (window_output(shape[i + 1], k[i], s[i], p[i], d[i]) for i in range(2))
            if h < 1 or w < 1:
                raise Invalid("window larger than its input")
            channels = shape[0]
            if kind == "conv2d":
                g = a["groups"]
                if shape[0] % g or a["out"] % g:
                    raise Invalid("groups do not divide the channels")
                channels = a["out"]
                macs = channels * h * w * (shape[0] // g) * k[0] * k[1]
            shape = (channels, h, w)
        elif kind == "linear":
            if len(shape) != 1:
                raise Invalid("linear needs features")
            macs = shape[0] * a["out"]
            shape = (a["out"],)
        elif kind == "flatten":
            shape = (prod(shape),)
        elif kind not in ACTIVATIONS + ["softmax", "dropout"]:
            raise Invalid(f"unknown layer {kind}")
        if any(d > 1 << 24 for d in shape):
            raise Invalid("extent over 2^24")
        out.append((shape, macs))
    if not out:
        raise Invalid("no layers")
    return out


def prod(values):
    result = 1
    for v in values:
        result *= v
    return result


def total_macs(model):
    return sum(macs for _, macs in infer(model))


def largest_activation(model):
    return max([prod(model["input"])] + [prod(shape) for shape, _ in infer(model)])


# ---------------------------------------------------------------------------------------------
# Drawing a model

def _spatial_layer(rng, kind, shape, large):
    c, h, w = shape
    for _ in range(40):
        if kind == "conv2d":
            if rng.random() < 0.15 and c > 1:
                groups = c  # depthwise, or depthwise with a multiplier
                out = c * rng.choice([1, 1, 2])
            else:
                divisors = [g for g in range(1, c + 1) if c % g == 0]
                groups = rng.choice(divisors) if rng.random() < 0.25 else 1
                out = rng.choice(WIDE_CHANNELS if large else CHANNELS)
                out = max(groups, out // groups * groups)
            kernel = (rng.choice([1, 1, 2, 3, 3, 3, 5, 7]),) * 2
            if rng.random() < 0.2:
                kernel = (rng.randint(1, 5), rng.randint(1, 5))
            stride = (1, 1) if rng.random() < 0.7 else (rng.randint(1, 3), rng.randint(1, 3))
            dilation = (1, 1) if rng.random() < 0.8 else (rng.randint(1, 3), rng.randint(1, 3))
            padding = (rng.randint(0, kernel[0]), rng.randint(0, kernel[1]))
            if rng.random() < 0.5:
                padding = (kernel[0] // 2, kernel[1] // 2)
            args = {"out": out, "kernel": kernel, "stride": stride, "padding": padding,
                    "dilation": dilation, "groups": groups, "bias": rng.random() < 0.85}
        else:
            kernel = (rng.randint(1, 4), rng.randint(1, 4))
            if rng.random() < 0.6:
                kernel = (kernel[0], kernel[0])
            stride = kernel if rng.random() < 0.5 else (rng.randint(1, kernel[0] + 1), rng.randint(1, kernel[1] + 1))
            padding = (0, 0) if rng.random() < 0.5 else (rng.randint(0, kernel[0] // 2), rng.randint(0, kernel[1] // 2))
            args = {"kernel": kernel, "stride": stride, "padding": padding}
        layer = {"kind": kind, "name": None, "args": args, "style": {}}
        try:
            infer({"input": shape, "layers": [layer]})
            return layer
        except Invalid:
            continue
    return None


def _input_shape(rng, large):
    if rng.random() < 0.1 and not large:
        return (rng.choice(FEATURES + [300, 784]),)
    if large:
        return (rng.choice([3, 16, 32, 48, 64]), rng.randint(16, 48), rng.randint(16, 48))
    c = rng.choice(CHANNELS[:12] + [16, 32])
    size = rng.choice(["tiny", "small", "medium", "large"])
    low, high = {"tiny": (1, 4), "small": (5, 12), "medium": (13, 32), "large": (33, 64)}[size]
    h = rng.randint(low, high)
    w = h if rng.random() < 0.5 else rng.randint(low, high)
    return (c, h, w)


def generate(rng, large=None, max_layers=10):
    """A random valid model. `large`: over 10 M multiply-adds (cnngen's threaded schedules) rather
    than under (the per-image and batch-vectorized ones); drawn when None."""
    if large is None:
        large = rng.random() < 0.25
    for _ in range(100):
        model = _draw(rng, large, max_layers)
        macs = total_macs(model)
        if large and not SMALL_NETWORK_MACS <= macs <= 60_000_000:
            continue
        if not large and macs >= SMALL_NETWORK_MACS:
            continue
        if largest_activation(model) > 600_000:
            continue
        return model
    raise RuntimeError("no model drawn in 100 tries")


def _draw(rng, large, max_layers):
    shape = _input_shape(rng, large)
    model = {"name": "random", "input": shape, "layers": []}
    count = rng.randint(1, max_layers)
    for _ in range(count):
        if len(shape) == 3:
            kinds = ["conv2d"] * 5 + ["maxpool2d", "avgpool2d"] * 2 + ACTIVATIONS * 2 + ["softmax", "dropout", "flatten"]
        else:
            kinds = ["linear"] * 5 + ACTIVATIONS * 2 + ["softmax", "dropout", "flatten"]
        kind = rng.choice(kinds)
        if kind in ("conv2d", "maxpool2d", "avgpool2d"):
            layer = _spatial_layer(rng, kind, shape, large)
            if layer is None:
                continue
        elif kind == "linear":
            layer = {"kind": kind, "name": None, "style": {},
                     "args": {"out": rng.choice(FEATURES), "bias": rng.random() < 0.85}}
        elif kind == "dropout":
            layer = {"kind": kind, "name": None, "style": {}, "args": {"p": rng.choice([0.0, 0.25, 0.5, 1.0])}}
        else:
            layer = {"kind": kind, "name": None, "style": {}, "args": {}}
        model["layers"].append(layer)
        shape = infer(model)[-1][0]
    if not model["layers"]:
        model["layers"].append({"kind": "relu", "name": None, "style": {}, "args": {}})
    for i, layer in enumerate(model["layers"]):
        if rng.random() < 0.15:
            layer["name"] = f"{layer['kind'][:4]}{i}"
        layer["style"] = _draw_style(rng, layer["kind"])
    return model


def _draw_style(rng, kind):
    """How the arguments are spelled: positional prefix, pairs written as one number or a tuple,
    defaults written out or left, in= written (checked) or inferred, empty parentheses."""
    return {"positional": rng.randint(0, 3), "tuples": rng.random() < 0.3,
            "defaults": rng.random() < 0.3, "declare_in": rng.random() < 0.2,
            "parentheses": rng.random() < 0.2}


# ---------------------------------------------------------------------------------------------
# Writing it out

ORDER = {"conv2d": ["out", "kernel", "stride", "padding", "dilation", "groups", "bias", "in"],
         "maxpool2d": ["kernel", "stride", "padding"], "avgpool2d": ["kernel", "stride", "padding"],
         "linear": ["out", "in", "bias"], "dropout": ["p"]}
POSITIONAL = {"conv2d": 7, "maxpool2d": 3, "avgpool2d": 3, "linear": 1, "dropout": 1}
DEFAULTS = {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1), "groups": 1, "bias": True}


def _value(v, tuples):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(float(v)) if "." in repr(float(v)) else f"{v}.0"
    if isinstance(v, tuple):
        return f"({v[0]}, {v[1]})" if tuples or v[0] != v[1] else str(v[0])
    return str(v)


def layer_line(layer, in_shape):
    kind, a, style = layer["kind"], dict(layer["args"]), layer["style"]
    head = kind + (f" {layer['name']}" if layer["name"] else "")
    if kind not in ORDER:
        return head + ("()" if style.get("parentheses") else "")
    if kind in ("conv2d", "linear") and style.get("declare_in"):
        a["in"] = in_shape[0]
    if kind in ("maxpool2d", "avgpool2d") and a["stride"] == a["kernel"] and not style.get("defaults"):
        del a["stride"]
    parts, positional = [], True
    for i, key in enumerate(ORDER[kind]):
        if key not in a:
            positional = False
            continue
        pool_stride = key == "stride" and kind != "conv2d"  # defaults to the kernel, handled above
        if key in DEFAULTS and a[key] == DEFAULTS[key] and not style.get("defaults") and not pool_stride:
            positional = False
            continue
        text = _value(a[key], style.get("tuples"))
        if positional and i < min(POSITIONAL[kind], max(1, style.get("positional", 1))):
            parts.append(text)
        else:
            positional = False
            parts.append(f"{key}={text}")
    return f"{head}({', '.join(parts)})"


def to_net(model):
    lines = [f"model {model['name']}", "input " + "x".join(str(d) for d in model["input"])]
    shape = tuple(model["input"])
    for layer, (out_shape, _) in zip(model["layers"], infer(model)):
        lines.append(layer_line(layer, shape))
        shape = out_shape
    return "\n".join(lines) + "\n"


def to_torch(model):
    """The equivalent nn.Sequential; its state_dict names are cnngen's weight names."""
    children = collections.OrderedDict()
    shape = tuple(model["input"])
    for i, (layer, (out_shape, _)) in enumerate(zip(model["layers"], infer(model))):
        kind, a = layer["kind"], layer["args"]
        if kind == "conv2d":
            module = nn.Conv2d(shape[0], a["out"], a["kernel"], a["stride"], a["padding"], a["dilation"],
                               a["groups"], a["bias"])
        elif kind in ("maxpool2d", "avgpool2d"):
            module = (nn.MaxPool2d if kind == "maxpool2d" else nn.AvgPool2d)(a["kernel"], a["stride"], a["padding"])
        elif kind == "linear":
            module = nn.Linear(shape[0], a["out"], a["bias"])
        elif kind == "dropout":
            module = nn.Dropout(a["p"])
        elif kind == "softmax":
            module = nn.Softmax(dim=1)
        else:
            module = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "flatten": nn.Flatten}[kind]()
        children[layer["name"] or str(i)] = module
        shape = out_shape
    return nn.Sequential(children).eval()


def from_net(text):
    """The model of a .net file's text (the subset of the language to_net writes, any spelling)."""
    import net_to_torch
    model = {"name": "random", "input": None, "layers": []}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("model "):
            model["name"] = line.split()[1]
        elif line.startswith("input "):
            model["input"] = tuple(int(d) for d in line.split()[1].split("x"))
        elif line:
            kind, name, text_args = net_to_torch.LINE.match(line).groups()
            args = net_to_torch._arguments(text_args, ORDER.get(kind, []))
            args.pop("in", None)
            if kind == "conv2d":
                args = {**{k: DEFAULTS[k] for k in ("stride", "padding", "dilation", "groups", "bias")}, **args}
            elif kind in ("maxpool2d", "avgpool2d"):
                args = {"stride": args["kernel"], "padding": (0, 0), **args}
            elif kind == "linear":
                args.setdefault("bias", True)
            elif kind == "dropout":
                args.setdefault("p", 0.5)
            for key in ("kernel", "stride", "padding", "dilation"):
                if key in args:
                    args[key] = pair(args[key])
            model["layers"].append({"kind": kind, "name": name, "args": args, "style": {}})
    infer(model)
    return model


def features(model):
    """What a model exercises, for choosing a corpus that covers the language: each layer kind,
    each non-default argument and spelling, and the shapes that change schedules."""
    found = {"input:flat" if len(model["input"]) == 1 else "input:image",
             "network:large" if total_macs(model) >= SMALL_NETWORK_MACS else "network:small"}
    shapes = [tuple(model["input"])] + [shape for shape, _ in infer(model)]
    for layer, in_shape, out_shape in zip(model["layers"], shapes, shapes[1:]):
        kind, a, style = layer["kind"], layer["args"], layer["style"]
        found.add(kind)
        found.add(f"{kind}:on-{'image' if len(in_shape) == 3 else 'flat'}")
        if layer["name"]:
            found.add("named")
        found.update(f"style:{key}" for key, on in style.items() if on and key != "positional")
        found.add(f"style:positional{style.get('positional', 0)}")
        if len(out_shape) == 3:
            found.add(f"{kind}:channels%16={'0' if out_shape[0] % 16 == 0 else '8' if out_shape[0] % 8 == 0 else 'other'}")
            if out_shape[2] == 1:
                found.add(f"{kind}:one-wide")
        if kind == "conv2d":
            g = a["groups"]
            found.update(f"conv2d:{key}" for key in ("stride", "padding", "dilation") if a[key] != (1, 1) and a[key] != (0, 0))
            found.update({"conv2d:groups"} if 1 < g < in_shape[0] else {"conv2d:depthwise"} if g == in_shape[0] > 1 else set())
            if not a["bias"]:
                found.add("conv2d:no-bias")
            if a["kernel"][0] != a["kernel"][1]:
                found.add("conv2d:rectangular")
        elif kind in ("maxpool2d", "avgpool2d"):
            if a["padding"] != (0, 0):
                found.add(f"{kind}:padding")
            if a["stride"] != a["kernel"]:
                found.add(f"{kind}:stride{'>' if max(a['stride']) > max(a['kernel']) else '<'}kernel")
        elif kind == "linear":
            if not a["bias"]:
                found.add("linear:no-bias")
            found.add(f"linear:out%16={'0' if a['out'] % 16 == 0 else 'other'}")
    return found


def random_model(seed, **kwargs):
    return generate(random.Random(seed), **kwargs)
