"""Random valid cnngen models for the differential tester (tools/difftest.py).

A model is a plain dict of .net statements (tools/net_statements.py, which this module
re-exports: infer, to_net, features, edits, ...).

`generate` draws one whose every shape is valid by cnngen's and PyTorch's rules; `infer` checks
one (the shrinker edits models and asks again); `to_net` writes the .net text and `to_torch` the
equivalent PyTorch module, built by tools/net_to_torch.py from cnngen's own reading of that text.

The draws lean towards what breaks schedules: channel counts at and around the vector widths (4, 8,
16 floats), outputs one pixel wide, ragged tails, groups and depthwise convolutions, dilations,
strides larger than the window, padded and ceil_mode pooling, adaptive pooling, tiny and large
inputs, networks on both sides of the 10 M multiply-add line where cnngen's CPU schedule changes;
and towards what breaks graphs: residual adds with identity and projection branches, concats of
branches with uneven channels, empty branches, nested seq blocks and definitions with batch norm.
Now and then (in about one model in six) ShuffleNetV2's and ConvNeXt's layers: channel slices
(chunk, narrow) and channel_shuffle, ShuffleNetV2's split-concat-shuffle unit, layernorm2d,
channels-last runs (permute, layernorm, linear over the channels, element-wise layers, permute
back) and ConvNeXt's block with its layer scale (mul by a named `parameter`).
"""
import random

from net_statements import (  # noqa: F401  (re-exported for tools/difftest.py)
    ACTIVATIONS, SMALL_NETWORK_MACS, TO_CHANNELS_FIRST, TO_CHANNELS_LAST, WEIGHTED, Expr, Invalid,
    _items, _layer, _layer_item, _layers, _walk, chunk_length, edits, features, infer,
    largest_activation, output_shape, pair, prod, to_net, total_macs, window_output)

CHANNELS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 48, 64]
WIDE_CHANNELS = [16, 24, 32, 48, 63, 64, 65, 96, 128]
NAMES = {"conv2d": "conv", "batchnorm2d": "bn", "batchnorm1d": "bn", "linear": "fc", "layernorm": "norm",
         "layernorm2d": "norm"}
# How often the layers of ShuffleNetV2 and ConvNeXt are drawn: a plain layer on C×H×W, a join.
NEW_LAYERS, NEW_JOINS = 0.02, 0.08
FEATURES = [1, 2, 3, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 47, 48, 64, 100, 120, 128]


# ---------------------------------------------------------------------------------------------
# Drawing a model

class _Drawer:
    def __init__(self, rng, large):
        self.rng = rng
        self.large = large
        self.count = 0
        self.defs = []

    def name(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def spatial(self, kind, shape):
        rng, large = self.rng, self.large
        c = shape[0]
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
            elif kind in ("maxpool2d", "avgpool2d"):
                kernel = (rng.randint(1, 4), rng.randint(1, 4))
                if rng.random() < 0.6:
                    kernel = (kernel[0], kernel[0])
                stride = kernel if rng.random() < 0.5 else (rng.randint(1, kernel[0] + 1), rng.randint(1, kernel[1] + 1))
                padding = (0, 0) if rng.random() < 0.5 else (rng.randint(0, kernel[0] // 2), rng.randint(0, kernel[1] // 2))
                args = {"kernel": kernel, "stride": stride, "padding": padding, "ceil_mode": rng.random() < 0.25}
                if kind == "maxpool2d" and rng.random() < 0.2:
                    args["dilation"] = (rng.randint(1, 3), rng.randint(1, 3))
                if kind == "avgpool2d" and rng.random() < 0.3:
                    args["count_include_pad"] = False
            else:  # adaptive pooling: global most often, else any size up to the input's
                output = (1, 1) if rng.random() < 0.5 else (rng.randint(1, shape[1]), rng.randint(1, shape[2]))
                args = {"output": output}
            layer = _layer_item(kind, args)
            try:
                _layer(kind, args, shape)
                return layer
            except Invalid:
                continue
        return None

    def plain(self, shape, flat_ok=True):
        """One layer for `shape`, or None."""
        rng = self.rng
        if len(shape) == 3 and rng.random() < NEW_LAYERS:
            return self.channel_layer(shape)
        if len(shape) == 1 and rng.random() < NEW_LAYERS / 2:
            return _layer_item("layernorm", self.layernorm_args())
        if len(shape) == 3:
            kinds = (["conv2d"] * 5 + ["maxpool2d", "avgpool2d"] * 2 + ACTIVATIONS * 2 +
                     ["softmax", "dropout", "identity", "batchnorm2d", "batchnorm2d",
                      "adaptiveavgpool2d", "adaptivemaxpool2d"] + (["flatten"] if flat_ok else []))
        else:
            kinds = ["linear"] * 5 + ACTIVATIONS * 2 + ["softmax", "dropout", "flatten", "identity", "batchnorm1d"]
        kind = rng.choice(kinds)
        if kind in ("conv2d", "maxpool2d", "avgpool2d", "adaptiveavgpool2d", "adaptivemaxpool2d"):
            return self.spatial(kind, shape)
        if kind == "linear":
            return _layer_item(kind, {"out": rng.choice(FEATURES), "bias": rng.random() < 0.85})
        if kind == "dropout":
            return _layer_item(kind, {"p": rng.choice([0.0, 0.25, 0.5, 1.0])})
        if kind.startswith("batchnorm"):
            return _layer_item(kind, self.norm_args())
        if kind == "leaky_relu":  # PyTorch's default, slopes of both signs, 0 (−∞ · 0 is NaN) and above 1
            return _layer_item(kind, {"negative_slope": rng.choice([0.01, 0.2, 0.0, -0.5, 1.5])})
        return _layer_item(kind, {})

    def norm_args(self):
        rng = self.rng
        args = {}
        if rng.random() < 0.3:
            args["eps"] = rng.choice([1e-5, 1e-3, 0.1])
        if rng.random() < 0.2:
            args["affine"] = False
        if rng.random() < 0.1:
            args["momentum"] = rng.choice([0.1, 0.01])
        return args

    def layernorm_args(self):
        rng, args = self.rng, {}
        if rng.random() < 0.5:
            args["eps"] = rng.choice([1e-6, 1e-5, 1e-3])
        if rng.random() < 0.15:
            args["elementwise_affine"] = False
        return args

    def channel_layer(self, shape):
        """One of ShuffleNetV2's and ConvNeXt's layers on C×H×W: a slice of the channels (chunk,
        narrow), channel_shuffle, layernorm2d; or a padding layer (nn.ZeroPad2d and its kin)."""
        rng, c = self.rng, shape[0]
        kind = rng.choice(["chunk", "narrow", "channel_shuffle", "layernorm2d", "layernorm2d", "pad"])
        if kind == "pad":
            kind = rng.choice(["zeropad2d", "constantpad2d", "reflectionpad2d", "replicationpad2d"])
            padding = tuple(rng.randint(0, 3) for _ in range(4)) if rng.random() < 0.6 else rng.randint(0, 2)
            if kind == "reflectionpad2d":  # less than the image along each side
                sides = padding if isinstance(padding, tuple) else (padding,) * 4
                padding = tuple(min(p, (shape[2] if i < 2 else shape[1]) - 1) for i, p in enumerate(sides))
            args = {"padding": padding}
            if kind == "constantpad2d":
                args["value"] = rng.choice([0.5, -1.25, 3.0])
            return _layer_item(kind, args)
        if kind == "chunk":
            chunks = rng.choice([1, 2, 2, 2, 3, 4, 5, 8])
            valid = [i for i in range(chunks) if chunk_length(c, chunks, i) > 0]
            return _layer_item(kind, {"chunks": chunks, "index": rng.choice(valid)})
        if kind == "narrow":
            start = 0 if rng.random() < 0.3 else rng.randint(0, c - 1)
            length = c - start if rng.random() < 0.3 else rng.randint(1, c - start)
            return _layer_item(kind, {"start": start, "length": length})
        if kind == "channel_shuffle":
            divisors = [g for g in range(1, c + 1) if c % g == 0]
            groups = 2 if c % 2 == 0 and rng.random() < 0.5 else rng.choice(divisors)
            return _layer_item(kind, {"groups": groups})
        return _layer_item(kind, self.layernorm_args())

    def preserving(self, shape, count, named):
        """Up to `count` layers that keep H×W: odd convolutions with same padding, batch norm,
        activations, stride-1 pools. `named`: layers with weights get names (inside branches)."""
        rng, items = self.rng, []
        for _ in range(count):
            choice = rng.choice(["conv", "conv", "bn", "act", "act", "pool", "identity", "dropout"])
            if choice == "conv":
                k = rng.choice([1, 3, 3, 5])
                c = shape[0]
                groups = c if rng.random() < 0.2 and c > 1 else 1
                out = c if groups > 1 else rng.choice(WIDE_CHANNELS if self.large else CHANNELS)
                item = _layer_item("conv2d", {"out": out, "kernel": (k, k), "stride": (1, 1),
                                              "padding": (k // 2, k // 2), "dilation": (1, 1),
                                              "groups": groups, "bias": rng.random() < 0.5})
            elif choice == "bn":
                item = _layer_item("batchnorm2d", self.norm_args())
            elif choice == "act":
                item = _layer_item(rng.choice(ACTIVATIONS), {})
            elif choice == "pool":
                item = _layer_item(rng.choice(["maxpool2d", "avgpool2d"]),
                                   {"kernel": (3, 3), "stride": (1, 1), "padding": (1, 1), "ceil_mode": rng.random() < 0.3})
            elif choice == "identity":
                item = _layer_item("identity", {})
            else:
                item = _layer_item("dropout", {"p": 0.5})
            if named and item["kind"] in WEIGHTED:
                item["name"] = self.name(NAMES[item["kind"]])
            items.append(item)
            shape = _walk({"input": shape, "layers": items})[1]
        return items

    def residual(self, shape):
        """add { main branch; identity or projection branch } (and sometimes a third branch)."""
        rng = self.rng
        c = shape[0]
        stride = 1 if rng.random() < 0.6 else 2
        out = c if stride == 1 and rng.random() < 0.5 else rng.choice(WIDE_CHANNELS if self.large else CHANNELS)
        main = [_layer_item("conv2d", {"out": out, "kernel": (3, 3), "stride": (stride, stride), "padding": (1, 1),
                                       "dilation": (1, 1), "groups": 1, "bias": rng.random() < 0.5},
                            self.name("conv"))]
        if rng.random() < 0.7:
            main.append(_layer_item("batchnorm2d", self.norm_args(), self.name("bn")))
        inner = _walk({"input": shape, "layers": main})[1]
        main += self.preserving(inner, rng.randint(0, 2), named=True)
        inner = _walk({"input": shape, "layers": main})[1]
        if inner == shape:
            other = [] if rng.random() < 0.7 else [_layer_item("identity", {})]
        else:
            projection = [_layer_item("conv2d", {"out": inner[0], "kernel": (1, 1), "stride": (stride, stride),
                                                 "padding": (0, 0), "dilation": (1, 1), "groups": 1,
                                                 "bias": rng.random() < 0.5})]
            if rng.random() < 0.5:
                projection.append(_layer_item("batchnorm2d", self.norm_args()))
            if rng.random() < 0.5:  # torchvision's `downsample` Sequential
                other = [{"kind": "seq", "name": self.name("downsample"), "body": projection}]
            else:
                for layer in projection:
                    layer["name"] = self.name({"conv2d": "proj", "batchnorm2d": "bn"}[layer["kind"]])
                other = projection
        branches = [main, other] if rng.random() < 0.7 else [other, main]
        if inner == shape and rng.random() < 0.2:
            branches.append(self.preserving(shape, 2, named=True))
            if _walk({"input": shape, "layers": branches[-1]})[1] != shape:
                branches.pop()
        return [{"kind": "add", "branches": branches}] + ([_layer_item(rng.choice(ACTIVATIONS), {})]
                                                         if rng.random() < 0.7 else [])

    def inception(self, shape):
        """concat of branches with uneven channels, all keeping H×W; one may be empty."""
        rng = self.rng
        branches = []
        for _ in range(rng.randint(2, 4)):
            if rng.random() < 0.25:
                branches.append([])
            else:
                branches.append(self.preserving(shape, rng.randint(1, 3), named=True))
        return [{"kind": "concat", "branches": branches}]

    def block(self, shape, depth=0):
        """A seq block of a few layers (a module, named or numbered), sometimes holding a join or
        a seq block of its own."""
        rng = self.rng
        body, inner = [], shape
        for _ in range(rng.randint(1, 4)):
            pick = rng.random()
            items = None
            if len(inner) == 3 and pick < 0.3:
                items = self.join(inner)
            elif len(inner) == 3 and pick < 0.45 and depth < 2:
                items = self.block(inner, depth + 1)
            if not items:
                layer = self.plain(inner, flat_ok=False)
                if layer is None:
                    continue
                items = [layer]
            body += items
            inner = _walk({"input": shape, "layers": body})[1]
        if not body:
            return None
        return [{"kind": "seq", "name": self.name("stage") if rng.random() < 0.5 else None, "body": body}]

    def squeeze_excitation(self, shape):
        """mul of the input and a C×1×1 scale computed from it (torchvision's SqueezeExcitation:
        pooling, fc1, activation, fc2, sigmoid or hardsigmoid), branches in either order; or, one
        time in four, of two or three tensors of the input's shape (one may be the input itself)."""
        rng = self.rng
        c = shape[0]
        if rng.random() < 0.25:
            branches = [self.preserving(shape, rng.randint(1, 2), named=True) if rng.random() < 0.8 else []
                        for _ in range(rng.randint(2, 3))]
            if any(_walk({"input": shape, "layers": b})[1] != shape for b in branches):
                return None
            return [{"kind": "mul", "branches": branches}]
        scale = [_layer_item(rng.choice(["adaptiveavgpool2d", "adaptivemaxpool2d"]), {"output": 1}),
                 _layer_item("conv2d", {"out": max(1, c // rng.choice([2, 4, 8])), "kernel": 1}, self.name("fc1")),
                 _layer_item(rng.choice(ACTIVATIONS), {}),
                 _layer_item("conv2d", {"out": c, "kernel": 1}, self.name("fc2")),
                 _layer_item(rng.choice(["sigmoid", "hardsigmoid"]), {})]
        branches = [[], scale] if rng.random() < 0.7 else [scale, []]
        return [{"kind": "mul", "branches": branches}]

    def channels_last_run(self, shape, named, out=None):
        """ConvNeXt's channels-last stretch: permute((0, 2, 3, 1)), then layernorm, linear layers
        over the channels and element-wise layers (at least one of them), then permute((0, 3, 1, 2))
        back; the last linear gives `out` channels where asked. `named`: layers with weights get
        names (directly inside a branch)."""
        rng, c = self.rng, shape[0]
        body = []
        if rng.random() < 0.7:
            body.append(_layer_item("layernorm", self.layernorm_args()))
        hidden = c
        for _ in range(rng.choice([0, 1, 2, 2, 2])):
            hidden = rng.choice([4 * c, 2 * c, c] + (WIDE_CHANNELS if self.large else CHANNELS))
            body.append(_layer_item("linear", {"out": hidden, "bias": rng.random() < 0.85}))
            if rng.random() < 0.7:
                body.append(_layer_item(rng.choice(["gelu", "gelu"] + ACTIVATIONS), {}))
        if rng.random() < 0.15:
            kind = rng.choice(["dropout", "identity", "leaky_relu"])
            args = {"dropout": {"p": 0.5}, "leaky_relu": {"negative_slope": 0.2}}.get(kind, {})
            body.insert(rng.randint(0, len(body)), _layer_item(kind, args))
        if out is not None and hidden != out:
            body.append(_layer_item("linear", {"out": out, "bias": rng.random() < 0.85}))
        if not body:
            body.append(_layer_item(rng.choice(ACTIVATIONS), {}))
        if named:
            for layer in body:
                if layer["kind"] in WEIGHTED:
                    layer["name"] = self.name(NAMES[layer["kind"]])
        return ([_layer_item("permute", {"dims": TO_CHANNELS_LAST})] + body
                + [_layer_item("permute", {"dims": TO_CHANNELS_FIRST})])

    def layer_scale(self, shape):
        """The branch of ConvNeXt's layer scale: a named parameter, most often C×1×1."""
        rng = self.rng
        c, h, w = shape
        dims = (c, 1, 1) if rng.random() < 0.8 else rng.choice([(c, h, w), (1, 1, 1), (1, h, w), (c, h, 1)])
        return [_layer_item("parameter", {"shape": dims}, self.name("layer_scale"))]

    def convnext(self, shape):
        """torchvision's CNBlock (x + layer_scale · block(x), block a depthwise convolution and a
        channels-last run), or its parts: a layer-scaled branch, a bare channels-last run, the
        downsampling layernorm2d and 2×2 stride-2 convolution."""
        rng, c = self.rng, shape[0]
        pick = rng.random()
        if pick < 0.4:
            k = rng.choice([7, 7, 3, 5])
            block = [_layer_item("conv2d", {"out": c, "kernel": (k, k), "padding": (k // 2, k // 2), "groups": c})]
            block += self.channels_last_run(shape, named=False, out=c)
            scaled = [{"kind": "seq", "name": self.name("block"), "body": block}]
            if rng.random() < 0.2:  # without the seq: its layers named directly in the branch
                scaled = block
                for layer in scaled:
                    if layer["kind"] in WEIGHTED:
                        layer["name"] = self.name(NAMES[layer["kind"]])
            if rng.random() < 0.85:
                branches = [scaled, self.layer_scale(shape)]
                scaled = [{"kind": "mul", "branches": branches if rng.random() < 0.8 else branches[::-1]}]
            return [{"kind": "add", "branches": [[], scaled] if rng.random() < 0.8 else [scaled, []]}]
        if pick < 0.6:
            if rng.random() < 0.5:
                inner = self.channels_last_run(shape, named=True, out=c)
            else:
                inner = self.preserving(shape, rng.randint(1, 3), named=True)
                if _walk({"input": shape, "layers": inner})[1] != shape:
                    return None
            branches = [inner, self.layer_scale(shape)]
            return [{"kind": "mul", "branches": branches if rng.random() < 0.7 else branches[::-1]}]
        if pick < 0.85:
            return self.channels_last_run(shape, named=False)
        out = rng.choice(WIDE_CHANNELS if self.large else CHANNELS)
        return [_layer_item("layernorm2d", self.layernorm_args()),
                _layer_item("conv2d", {"out": out, "kernel": (2, 2), "stride": (2, 2)})]

    def shuffle_unit(self, shape):
        """ShuffleNetV2's unit: concat { branch { chunk(2, 0) } branch { chunk(2, 1) …layers keeping
        H×W… } } then channel_shuffle(2); sometimes other chunks or narrow slices, a third branch,
        the layers on the first branch, other groups."""
        rng, c = self.rng, shape[0]
        if c < 2:
            return None
        if rng.random() < 0.7:
            slices = [_layer_item("chunk", {"chunks": 2, "index": 0}), _layer_item("chunk", {"chunks": 2, "index": 1})]
        elif rng.random() < 0.5:
            chunks = rng.randint(2, min(4, c))
            slices = [_layer_item("chunk", {"chunks": chunks, "index": i}) for i in range(chunks)
                      if chunk_length(c, chunks, i) > 0]
        else:
            cut = rng.randint(1, c - 1)
            slices = [_layer_item("narrow", {"start": 0, "length": cut}),
                      _layer_item("narrow", {"start": cut, "length": c - cut})]
            if rng.random() < 0.3:  # overlapping slices
                slices[1]["args"] = {"start": cut - 1 if cut > 1 else 0, "length": c - (cut - 1 if cut > 1 else 0)}
        branches = [[s] for s in slices]
        busy = [len(branches) - 1] if rng.random() < 0.8 else rng.sample(range(len(branches)), rng.randint(1, len(branches)))
        for b in busy:
            inner = _walk({"input": shape, "layers": branches[b]})[1]
            branches[b] += self.preserving(inner, rng.randint(1, 3), named=True)
        total = _walk({"input": shape, "layers": [{"kind": "concat", "branches": branches}]})[1][0]
        divisors = [g for g in range(1, total + 1) if total % g == 0]
        groups = 2 if total % 2 == 0 and rng.random() < 0.8 else rng.choice(divisors)
        return [{"kind": "concat", "branches": branches}, _layer_item("channel_shuffle", {"groups": groups})]

    def join(self, shape):
        if self.rng.random() < NEW_JOINS:
            items = self.shuffle_unit(shape) if self.rng.random() < 0.45 else self.convnext(shape)
            try:
                if items:
                    _walk({"input": shape, "layers": items})  # e.g. a 2×2 stride-2 convolution on 1×1
                return items
            except Invalid:
                return None
        pick = self.rng.random()
        if pick < 0.5:
            return self.residual(shape)
        return self.inception(shape) if pick < 0.8 else self.squeeze_excitation(shape)

    def unit_definition(self):
        """A residual unit with parameters (channels, stride, projection), as torchvision's
        BasicBlock: conv/bn/activation on one branch, an optional projection seq on the other."""
        rng = self.rng
        name = f"unit{len(self.defs)}"
        act = rng.choice(ACTIVATIONS)
        k = rng.choice([1, 3, 3, 5])
        main = [_layer_item("conv2d", {"out": Expr("c"), "kernel": k, "stride": Expr("stride"), "padding": k // 2,
                                       "bias": Expr("not norm")}, "conv1"),
                {"kind": "if", "cond": Expr("norm"), "then": [_layer_item("batchnorm2d", {}, "bn1")], "else": None},
                _layer_item(act, {}),
                _layer_item("conv2d", {"out": Expr("c * 2 // 2"), "kernel": 3, "padding": 1, "bias": False}, "conv2")]
        downsample = {"kind": "seq", "name": "downsample", "body": [
            _layer_item("conv2d", {"out": Expr("c"), "kernel": 1, "stride": Expr("stride"), "bias": False}),
            _layer_item("batchnorm2d", {})]}
        other = [{"kind": "if", "cond": Expr("project"), "then": [downsample],
                  "else": [_layer_item("identity", {})] if rng.random() < 0.5 else None}]
        body = [{"kind": "add", "branches": [main, other]}, _layer_item(act, {})]
        self.defs.append({"name": name, "params": [("c", None), ("stride", 1), ("project", False), ("norm", True)],
                          "body": body, "grouped": rng.random() < 0.3})
        return name

    def mix_definition(self):
        """An inception-like block with parameters: branch widths c1, c2 and an empty branch."""
        rng = self.rng
        name = f"mix{len(self.defs)}"
        branches = [[],
                    [_layer_item("conv2d", {"out": Expr("c1"), "kernel": 1}, "b1"), _layer_item("relu", {})],
                    [{"kind": "seq", "name": "b2", "body": [
                        _layer_item("conv2d", {"out": Expr("c2 + 1"), "kernel": 3, "padding": 1}),
                        _layer_item("batchnorm2d", {}),
                        _layer_item("relu6", {})]}]]
        rng.shuffle(branches)
        self.defs.append({"name": name, "params": [("c1", None), ("c2", 2)],
                          "body": [{"kind": "concat", "branches": branches}], "grouped": rng.random() < 0.3})
        return name

    def convnext_definition(self):
        """torchvision's CNBlock with parameters (dim, expand, eps), as examples/convnext_tiny."""
        rng = self.rng
        name = f"cn{len(self.defs)}"
        k = rng.choice([7, 7, 3])
        act = rng.choice(["gelu", "gelu", "relu", "silu", "hardswish"])
        block = {"kind": "seq", "name": "block", "body": [
            _layer_item("conv2d", {"out": Expr("dim"), "kernel": k, "padding": k // 2, "groups": Expr("dim")}),
            _layer_item("permute", {"dims": TO_CHANNELS_LAST}),
            _layer_item("layernorm", {"eps": Expr("eps")}),
            _layer_item("linear", {"out": Expr("expand * dim")}),
            _layer_item(act, {}),
            _layer_item("linear", {"out": Expr("dim")}),
            _layer_item("permute", {"dims": TO_CHANNELS_FIRST})]}
        scale = [_layer_item("parameter", {"shape": (Expr("dim"), 1, 1)}, "layer_scale")]
        body = [{"kind": "add", "branches": [[], [{"kind": "mul", "branches": [[block], scale]}]]}]
        self.defs.append({"name": name, "params": [("dim", None), ("expand", 4), ("eps", 1e-6)],
                          "body": body, "grouped": rng.random() < 0.3})
        return name

    def instances(self, shape):
        """One to three instances of a definition, drawn new or used again."""
        rng = self.rng
        if not self.defs or rng.random() < 0.4:
            if rng.random() < NEW_JOINS / 2:
                self.convnext_definition()
            else:
                (self.unit_definition if rng.random() < 0.6 else self.mix_definition)()
        definition = rng.choice(self.defs)
        items, c = [], shape[0]
        for _ in range(rng.randint(1, 3)):
            if definition["name"].startswith("unit"):
                out = c if rng.random() < 0.5 else rng.choice(CHANNELS[3:])
                stride = rng.choice([1, 1, 2])
                args = {"c": out}
                if stride != 1:
                    args["stride"] = stride
                if out != c or stride != 1:
                    args["project"] = True
                if rng.random() < 0.3:
                    args["norm"] = False
                c = out
            elif definition["name"].startswith("cn"):
                args = {"dim": c}
                if rng.random() < 0.5:
                    args["expand"] = rng.choice([1, 2, 4])
                if rng.random() < 0.3:
                    args["eps"] = rng.choice([1e-5, 1e-3])
            else:
                args = {"c1": rng.choice(CHANNELS)}
                if rng.random() < 0.5:
                    args["c2"] = rng.choice(CHANNELS)
                c += args["c1"] + args.get("c2", 2) + 1
            items.append({"kind": "use", "def": definition["name"], "name": None, "args": args,
                          "positional": rng.randint(0, 2), "grouped": rng.random() < 0.2})
        return [{"kind": "seq", "name": self.name("layer") if rng.random() < 0.5 else None, "body": items}] \
            if rng.random() < 0.5 else items


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
        try:
            model = _draw(rng, large, max_layers)
            macs = total_macs(model)
        except Invalid:
            continue
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
    drawer = _Drawer(rng, large)
    model = {"name": "random", "input": shape, "layers": [], "defs": drawer.defs}
    count = rng.randint(1, max_layers)
    for _ in range(count):
        items = None
        if len(shape) == 3 and rng.random() < 0.35:
            pick = rng.random()
            items = drawer.join(shape) if pick < 0.5 else drawer.block(shape) if pick < 0.75 else drawer.instances(shape)
        if not items:
            layer = drawer.plain(shape)
            if layer is None:
                continue
            items = [layer]
        candidate = {**model, "layers": model["layers"] + items}
        try:
            shape = output_shape(candidate)
        except Invalid:
            continue
        model = candidate
    if not model["layers"]:
        model["layers"].append(_layer_item("relu", {}))
    for i, item in enumerate(model["layers"]):
        if item["kind"] in ("seq", "add", "mul", "concat", "use", "if"):
            continue
        if rng.random() < 0.15 and item["name"] is None:
            item["name"] = drawer.name(item["kind"][:4])
    for layer in _layers(model):
        layer["style"] = _draw_style(rng)
    model["defs"] = [d for d in drawer.defs if any(i["kind"] == "use" and i["def"] == d["name"] for i in _items(model))]
    if rng.random() < 0.3:
        _rename_generated_like(rng, model)
    return model


def _draw_style(rng):
    """How the arguments are spelled: positional prefix (up to PyTorch's positional forms,
    batchnorm's eps and avgpool's ceil_mode among them), pairs written as one number or a tuple,
    values in parentheses that only group them, defaults written out or left, in= written
    (checked) or inferred, empty parentheses, a block of one layer on one line."""
    return {"positional": rng.randint(0, 7), "tuples": rng.random() < 0.3,
            "grouped": rng.random() < 0.2, "defaults": rng.random() < 0.3,
            "declare_in": rng.random() < 0.2, "parentheses": rng.random() < 0.2}


# Names a layer may take that the language or the generated code uses too: the keywords, the
# layer kinds, and what cnngen names in generated code (the function tools/difftest.py compiles,
# random_model, its input, output and parts, the input's Func, the Vars). _generated_like_names
# adds those derived from the model's own layers.
KEYWORDS = ["model", "input", "def", "seq", "branch", "add", "concat", "if", "else", "and", "or", "not",
            "true", "false"]
LAYER_KINDS = ["conv2d", "linear", "relu", "batchnorm2d", "maxpool2d", "flatten", "softmax", "identity", "parameter",
               "permute", "chunk", "layernorm"]
CODE_NAMES = ["input_values", "input_values_batched", "random_model", "random_model_output",
              "random_model_output_values", "random_model_part0", "random_model_part0_call",
              "random_model_part1", "x", "y", "c", "n", "f", "input_2"]
STAGE_SUFFIXES = ["_weight", "_bias", "_running_mean", "_padded", "_batched", "_r", "_r0", "_scale",
                  "_weight_data", "_weight_packed", "_weight_winograd", "_2"]


def _generated_like_names(model):
    """Names cnngen derives for this model's layers (dsl/symbols.hpp): an unnamed top-level
    layer's kind_position, a named one's name with a stage or weight suffix, a seq child's
    path with underscores."""
    names, position = [], 0
    for item in model["layers"]:
        kind = item["kind"]
        if kind in ("add", "mul", "concat", "if"):
            continue
        if item.get("name"):
            names += [item["name"] + s for s in STAGE_SUFFIXES]
            if kind == "seq":
                names += [f"{item['name']}_{child['name'] or i}" for i, child in enumerate(item["body"])
                          if child["kind"] not in ("add", "mul", "concat", "if")]
        elif kind not in ("seq", "use"):
            names.append(f"{kind}_{position}")
        position += 1
    return names


def _rename_generated_like(rng, model):
    """Renames some layers, blocks and instances to names the language or the generated code
    uses, each at most once in the model (so that it stays unique in its scope)."""
    named = [i for i in _items(model) if i["kind"] not in ("add", "mul", "concat", "if")]
    taken = {i["name"] for i in named if i.get("name")}
    candidates = [n for n in KEYWORDS + LAYER_KINDS + CODE_NAMES + _generated_like_names(model) if n not in taken]
    rng.shuffle(candidates)
    for item in named:
        if not candidates or rng.random() > 0.35:
            continue
        item["name"] = candidates.pop()
        item["generated_like_name"] = True


def to_torch(model):
    """The equivalent PyTorch module (tools/net_to_torch.py, from cnngen's reading of to_net's
    text); its state_dict names are cnngen's weight names."""
    import net_to_torch
    return net_to_torch.build_text(to_net(model))[2]


def random_model(seed, **kwargs):
    return generate(random.Random(seed), **kwargs)
