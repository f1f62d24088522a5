"""Models as plain dicts of .net statements, for the random models of tools/random_models.py and
the shrinker of tools/difftest.py: their shapes, their .net text, what they exercise, and the
smaller models a shrinker tries.

A model is {"name", "input": shape tuple, "layers": [items], "defs": [definitions]}. An item is one
statement of the .net language (docs/dsl.md):
  a layer     {"kind", "name" (None: numbered by its position), "args": PyTorch's values, "style":
              how the .net line spells them}; inside a definition an argument may be an Expr, a
              .net expression over the definition's parameters
  a block     {"kind": "seq", "name", "body": [items]}
  a join      {"kind": "add" | "mul" | "concat", "branches": [[items], ...]} (an empty branch: the identity)
  a condition {"kind": "if", "cond": Expr, "then": [items], "else": [items] or None}
  an instance {"kind": "use", "def": NAME, "name", "args": {parameter: value}, "positional": how
              many arguments go without their key}
and a definition is {"name", "params": [(name, default or None)], "body": [items]}.

A shape is a tuple: C×H×W or F, or a ChannelsLast H×W×C after `permute((0, 2, 3, 1))`, which
only layernorm, linear, the element-wise layers and `permute((0, 3, 1, 2))` may read (and no join
here, though cnngen takes some).

`infer` checks a model's shapes by cnngen's and PyTorch's rules (raising Invalid), `to_net` writes
its .net text, `features` lists what it exercises and `edits` the smaller models to try.
"""
import copy

ACTIVATIONS = ["relu", "sigmoid", "tanh", "relu6", "leaky_relu", "silu", "hardswish", "hardsigmoid", "gelu"]
PARAMETER_FREE = ACTIVATIONS + ["softmax", "dropout", "flatten", "identity"]
WEIGHTED = ("conv2d", "linear", "batchnorm1d", "batchnorm2d", "layernorm", "layernorm2d")
# What may read a channels-last tensor (docs/dsl.md, permute).
CHANNELS_LAST_READERS = frozenset(ACTIVATIONS + ["dropout", "identity", "layernorm", "linear", "permute"])
TO_CHANNELS_LAST, TO_CHANNELS_FIRST = (0, 2, 3, 1), (0, 3, 1, 2)
SMALL_NETWORK_MACS = 10_000_000  # codegen/schedule_common.hpp's is_small_network


# ---------------------------------------------------------------------------------------------
# Shapes

class Invalid(Exception):
    """The model breaks a shape rule."""


class ChannelsLast(tuple):
    """The shape H×W×C of a channels-last tensor (after permute((0, 2, 3, 1)))."""

    def __repr__(self):
        return f"ChannelsLast({tuple(self)!r})"


def channels_last(shape):
    return isinstance(shape, ChannelsLast)


def channels(shape):
    """The channels (features) of a shape, channels-first or last."""
    return shape[-1] if channels_last(shape) else shape[0]


def chunk_length(c, chunks, index):
    """The channels of x.chunk(chunks, dim=1)[index] for C = c (PyTorch's: chunks of ⌈c/chunks⌉,
    the last fewer, fewer chunks than asked where c is small), or 0 where that chunk is missing."""
    size = -(-c // chunks)
    return max(0, min(size, c - index * size))


class Expr:
    """A .net argument expression over a definition's parameters, e.g. "c * 2", "stride",
    "project and c > 1". The language's operators on integers are Python's (`//`, `%`, `and`)."""

    def __init__(self, text):
        self.text = text

    def value(self, env):
        try:
            return eval(self.text, {"__builtins__": {}}, {"true": True, "false": False, **env})
        except Exception as e:  # a name the definition lacks, a division by zero
            raise Invalid(f"expression '{self.text}': {e}")

    def __repr__(self):
        return f"Expr({self.text!r})"


def _value(v, env):
    if isinstance(v, Expr):
        return v.value(env)
    if isinstance(v, tuple):
        return tuple(_value(x, env) for x in v)
    return v


def window_output(n, kernel, stride, padding, dilation=1, ceil_mode=False):
    """D2L's out = ⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1; with ceil_mode PyTorch's rounding up, less the
    last window if it would start past the input and its left padding."""
    numerator = n + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return numerator // stride + 1
    out = -(-numerator // stride) + 1
    if (out - 1) * stride >= n + padding:
        out -= 1
    return out


def pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def prod(values):
    result = 1
    for v in values:
        result *= v
    return result


def _layer(kind, a, shape):
    """(output shape, multiply-adds) of one layer with concrete arguments, or raises Invalid."""
    macs = 0
    if channels_last(shape) and kind not in CHANNELS_LAST_READERS:
        raise Invalid(f"{kind} on a channels-last tensor")
    if kind == "conv2d":
        a = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True, **a}
    elif kind in ("maxpool2d", "avgpool2d"):
        a = {"stride": a["kernel"], "padding": 0, **a}
    if kind in ("conv2d", "maxpool2d", "avgpool2d"):
        if len(shape) != 3:
            raise Invalid(f"{kind} needs C×H×W")
        k, s, p = pair(a["kernel"]), pair(a["stride"]), pair(a["padding"])
        d = pair(a.get("dilation", 1))
        if min(k + s) < 1 or min(p) < 0 or min(d) < 1:
            raise Invalid("window arguments out of range")
        if kind != "conv2d" and (2 * p[0] > k[0] or 2 * p[1] > k[1]):
            raise Invalid("pool padding over half the kernel")
        ceil_mode = a.get("ceil_mode", False)
        h, w = (window_output(shape[i + 1], k[i], s[i], p[i], d[i], ceil_mode) for i in range(2))
        if h < 1 or w < 1:
            raise Invalid("window larger than its input")
        channels = shape[0]
        if kind == "conv2d":
            g = a["groups"]
            if a["out"] < 1 or g < 1 or shape[0] % g or a["out"] % g:
                raise Invalid("groups do not divide the channels")
            channels = a["out"]
            macs = channels * h * w * (shape[0] // g) * k[0] * k[1]
        shape = (channels, h, w)
    elif kind in ("adaptiveavgpool2d", "adaptivemaxpool2d"):
        if len(shape) != 3:
            raise Invalid(f"{kind} needs C×H×W")
        h, w = pair(a["output"])
        if not (1 <= h <= shape[1] and 1 <= w <= shape[2]):
            raise Invalid("adaptive pooling to more than its input")
        shape = (shape[0], h, w)
    elif kind == "batchnorm2d":
        if len(shape) != 3:
            raise Invalid("batchnorm2d needs C×H×W")
    elif kind == "batchnorm1d":
        if len(shape) != 1:
            raise Invalid("batchnorm1d needs features")
    elif kind == "linear":
        if len(shape) != 1 and not channels_last(shape):
            raise Invalid("linear needs features or a channels-last tensor")
        if a["out"] < 1:
            raise Invalid("no outputs")
        macs = prod(shape) * a["out"]
        shape = ChannelsLast(shape[:-1] + (a["out"],)) if channels_last(shape) else (a["out"],)
    elif kind == "layernorm":
        if len(shape) != 1 and not channels_last(shape):
            raise Invalid("layernorm needs features or a channels-last tensor")
    elif kind == "layernorm2d":
        if len(shape) != 3:
            raise Invalid("layernorm2d needs C×H×W")
    elif kind == "permute":
        if a["dims"] == TO_CHANNELS_LAST and len(shape) == 3 and not channels_last(shape):
            shape = ChannelsLast(shape[1:] + shape[:1])
        elif a["dims"] == TO_CHANNELS_FIRST and channels_last(shape):
            shape = (shape[2], shape[0], shape[1])
        else:
            raise Invalid(f"permute{a['dims']} of {shape}")
    elif kind in ("chunk", "narrow", "channel_shuffle"):
        if len(shape) not in (1, 3):
            raise Invalid(f"{kind} needs C×H×W or features")
        c = shape[0]
        if kind == "chunk":
            if a["chunks"] < 1 or a["index"] < 0:
                raise Invalid("chunk arguments out of range")
            length = chunk_length(c, a["chunks"], a["index"])
        elif kind == "narrow":
            length = a["length"] if a["start"] >= 0 and a["start"] + a["length"] <= c else 0
        else:
            if a["groups"] < 1 or c % a["groups"]:
                raise Invalid("channel_shuffle's groups do not divide the channels")
            length = c
        if length < 1:
            raise Invalid(f"{kind} of channels that do not exist")
        shape = (length,) + shape[1:]
    elif kind in PADS:
        if len(shape) != 3:
            raise Invalid(f"{kind} needs C×H×W")
        p = a["padding"] if isinstance(a["padding"], tuple) else (a["padding"],) * 4
        if len(p) != 4 or min(p) < 0:
            raise Invalid(f"{kind} padding out of range")
        if kind == "reflectionpad2d" and (max(p[:2]) >= shape[2] or max(p[2:]) >= shape[1]):
            raise Invalid("reflection pads as much as the image")
        shape = (shape[0], shape[1] + p[2] + p[3], shape[2] + p[0] + p[1])
    elif kind == "parameter":
        shape = a["shape"] if isinstance(a["shape"], tuple) else (a["shape"],)
        if not shape or min(shape) < 1:
            raise Invalid("parameter of an empty shape")
    elif kind == "flatten":
        shape = (prod(shape),)
    elif kind not in PARAMETER_FREE:
        raise Invalid(f"unknown layer {kind}")
    if any(d > 1 << 24 for d in shape):
        raise Invalid("extent over 2^24")
    return shape, macs


class _Walk:
    """Evaluates a model's statements in order, as cnngen's statement walk does."""

    def __init__(self, model):
        self.defs = {d["name"]: d for d in model.get("defs", [])}
        self.records = []  # (item, input shape, output shape, multiply-adds, facts)
        self.depth = 0

    def body(self, items, shape, env, facts):
        for item in items:
            shape = self.statement(item, shape, env, facts)
        return shape

    def statement(self, item, shape, env, facts):
        kind = item["kind"]
        if kind == "seq":
            out = self.body(item["body"], shape, env, facts | {"seq"})
        elif kind in ("add", "mul", "concat"):
            if len(item["branches"]) < 2:
                raise Invalid("a join needs two branches")
            outs = [self.body(b, shape, env, facts | {"branch"}) for b in item["branches"]]
            if channels_last(shape) or any(channels_last(o) for o in outs):
                raise Invalid(f"{kind} of channels-last tensors")
            if kind == "add":
                if any(o != outs[0] for o in outs):
                    raise Invalid("add of different shapes")
                out = outs[0]
            elif kind == "mul":  # PyTorch's broadcasting within one rank
                if any(len(o) != len(outs[0]) for o in outs):
                    raise Invalid("mul of different ranks")
                out = tuple(max(o[d] for o in outs) for d in range(len(outs[0])))
                if any(o[d] not in (1, out[d]) for o in outs for d in range(len(out))):
                    raise Invalid("mul of shapes that do not broadcast")
            else:
                if any(len(o) != 3 or o[1:] != outs[0][1:] for o in outs):
                    raise Invalid("concat of different sizes")
                out = (sum(o[0] for o in outs),) + outs[0][1:]
            self.records.append((item, shape, out, 0, facts))
        elif kind == "if":
            side = item["then"] if _value(item["cond"], env) else item["else"] or []
            out = self.body(side, shape, env, facts | {"if"})
        elif kind == "use":
            definition = self.defs.get(item["def"])
            if definition is None:
                raise Invalid(f"no definition {item['def']}")
            self.depth += 1
            if self.depth > 8:
                raise Invalid("definitions nested too deep")
            inner = {}
            for name, default in definition["params"]:
                if name in item["args"]:
                    inner[name] = _value(item["args"][name], env)
                elif default is not None:
                    inner[name] = _value(default, inner)
                else:
                    raise Invalid(f"{item['def']} needs {name}")
            out = self.body(definition["body"], shape, inner, facts | {"def"})
            self.depth -= 1
        else:
            if kind == "parameter" and not item["name"]:
                raise Invalid("a parameter needs a name")
            args = {k: _value(v, env) for k, v in item["args"].items()}
            out, macs = _layer(kind, args, shape)
            self.records.append((item, shape, out, macs, facts))
        return out


def _walk(model):
    walk = _Walk(model)
    shape = walk.body(model["layers"], tuple(model["input"]), {}, frozenset())
    if not walk.records:
        raise Invalid("no layers")
    return walk.records, shape


def infer(model):
    """[(output shape, multiply-adds per image)] for each layer and join in evaluation order (the
    last is the model's output), or raises Invalid."""
    records, _ = _walk(model)
    return [(out, macs) for _, _, out, macs, _ in records]


def output_shape(model):
    return _walk(model)[1]


def total_macs(model):
    return sum(macs for _, macs in infer(model))


def largest_activation(model):
    return max([prod(model["input"])] + [prod(shape) for shape, _ in infer(model)])


def _layer_item(kind, args, name=None):
    return {"kind": kind, "name": name, "args": args, "style": {}}


# ---------------------------------------------------------------------------------------------
# Walking the statements

def _item_lists(model):
    """Every list of statements in the model (top level, blocks, branches, condition sides,
    definition bodies), outermost first."""
    pending = [model["layers"]] + [d["body"] for d in model.get("defs", [])]
    while pending:
        items = pending.pop(0)
        yield items
        for item in items:
            if item["kind"] == "seq":
                pending.append(item["body"])
            elif item["kind"] in ("add", "mul", "concat"):
                pending.extend(item["branches"])
            elif item["kind"] == "if":
                pending.extend([item["then"]] + ([item["else"]] if item["else"] is not None else []))


def _items(model):
    for items in _item_lists(model):
        yield from items


def _layers(model):
    return [i for i in _items(model) if i["kind"] not in ("seq", "add", "mul", "concat", "use", "if")]


# ---------------------------------------------------------------------------------------------
# Writing it out

ORDER = {"conv2d": ["out", "kernel", "stride", "padding", "dilation", "groups", "bias", "in"],
         "maxpool2d": ["kernel", "stride", "padding", "dilation", "ceil_mode"],
         "avgpool2d": ["kernel", "stride", "padding", "ceil_mode", "count_include_pad"],
         "adaptiveavgpool2d": ["output"], "adaptivemaxpool2d": ["output"],
         "batchnorm2d": ["num_features", "eps", "momentum", "affine", "track_running_stats"],
         "batchnorm1d": ["num_features", "eps", "momentum", "affine", "track_running_stats"],
         "linear": ["out", "in", "bias"], "dropout": ["p"], "leaky_relu": ["negative_slope"],
         "chunk": ["chunks", "index"], "narrow": ["start", "length"], "channel_shuffle": ["groups"],
         "layernorm2d": ["num_channels", "eps", "elementwise_affine"],
         "layernorm": ["normalized_shape", "eps", "elementwise_affine"], "permute": ["dims"],
         "parameter": ["shape"], "zeropad2d": ["padding"], "constantpad2d": ["padding", "value"],
         "reflectionpad2d": ["padding"], "replicationpad2d": ["padding"]}
# How many parameters may go without their key (docs/dsl.md: PyTorch's positional form where the
# order is PyTorch's; max pooling's ceil_mode (after return_indices), conv2d's and linear's `in`
# are keyword-only).
POSITIONAL = {"conv2d": 7, "maxpool2d": 4, "avgpool2d": 5, "adaptiveavgpool2d": 1, "adaptivemaxpool2d": 1,
              "batchnorm2d": 5, "batchnorm1d": 5, "linear": 1, "dropout": 1, "leaky_relu": 1,
              "chunk": 2, "narrow": 2, "channel_shuffle": 1, "layernorm2d": 3, "layernorm": 3, "permute": 1,
              "parameter": 1, "zeropad2d": 1, "constantpad2d": 2, "reflectionpad2d": 1, "replicationpad2d": 1}
DEFAULTS = {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1), "groups": 1, "bias": True,
            "ceil_mode": False, "count_include_pad": True, "eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True,
            "negative_slope": 0.01, "elementwise_affine": True}
# Kinds whose arguments of those names have no default (channel_shuffle's groups, ...).
REQUIRED = ("chunk", "narrow", "channel_shuffle", "permute", "parameter", "zeropad2d", "constantpad2d",
            "reflectionpad2d", "replicationpad2d")
# nn.ZeroPad2d, nn.ConstantPad2d, nn.ReflectionPad2d, nn.ReplicationPad2d.
PADS = ("zeropad2d", "constantpad2d", "reflectionpad2d", "replicationpad2d")


def _text(v, tuples, grouped=False):
    """The .net text of a value; `grouped`: in parentheses that only group it, as Python reads
    them (`(4)`, `((4))`, `(3 + 1)`), and a pair's items too (`((1), 1)`)."""
    if isinstance(v, tuple) and len(v) != 2:  # permute's dims, a parameter's shape
        return "(" + ", ".join(_text(x, False, grouped and i == 0) for i, x in enumerate(v)) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, tuple):
        if tuples or v[0] != v[1]:
            return f"({_text(v[0], tuples, grouped)}, {_text(v[1], tuples)})"
        return _text(v[0], tuples, grouped)
    if isinstance(v, Expr):
        text = v.text
    elif isinstance(v, bool):
        text = "true" if v else "false"
    elif isinstance(v, float):
        text = repr(float(v))
        if "e" in text:  # 1e-05: written as a decimal
            text = f"{v:.12f}".rstrip("0")
        text = text if "." in text else f"{text}.0"
    else:
        text = str(v)
    if not grouped:
        return text
    if isinstance(v, int) and not isinstance(v, bool) and v >= 1 and v % 3 == 2:
        return f"({v - 1} + 1)"
    return f"(({text}))" if len(text) % 2 else f"({text})"


def _same(a, b):
    if isinstance(a, Expr) or isinstance(b, Expr):
        return False
    return pair(a) == pair(b) if isinstance(a, tuple) or isinstance(b, tuple) else a == b


def layer_line(layer, in_shape):
    """The .net line of a layer; `in_shape` None inside definitions (in= is not written there)."""
    kind, a, style = layer["kind"], dict(layer["args"]), layer["style"]
    head = kind + (f" {layer['name']}" if layer["name"] else "")
    if kind not in ORDER:
        return head + ("()" if style.get("parentheses") else "")
    if in_shape is not None and style.get("declare_in"):
        if kind in ("conv2d", "linear"):
            a["in"] = channels(in_shape)
        elif kind.startswith("batchnorm"):
            a["num_features"] = in_shape[0]
        elif kind == "layernorm2d":
            a["num_channels"] = in_shape[0]
        elif kind == "layernorm":
            a["normalized_shape"] = channels(in_shape)
    if kind in ("maxpool2d", "avgpool2d") and "stride" in a and _same(a["stride"], a["kernel"]) \
            and not style.get("defaults"):
        del a["stride"]
    parts, positional = [], True
    for i, key in enumerate(ORDER[kind]):
        if key not in a:
            positional = False
            continue
        pool_stride = key == "stride" and kind != "conv2d"  # defaults to the kernel, handled above
        if key in DEFAULTS and kind not in REQUIRED and _same(a[key], DEFAULTS[key]) and not style.get("defaults") \
                and not pool_stride:
            positional = False
            continue
        text = _text(a[key], style.get("tuples"), style.get("grouped"))
        if positional and i < min(POSITIONAL[kind], max(1, style.get("positional", 1))):
            parts.append(text)
        else:
            positional = False
            parts.append(f"{key}={text}")
    if not parts and not style.get("parentheses"):
        return head
    return f"{head}({', '.join(parts)})"


class _Writer:
    def __init__(self, model):
        records, _ = _walk(model)
        self.defs = {d["name"]: d for d in model.get("defs", [])}
        self.in_shapes = {}
        for item, in_shape, _, _, facts in records:
            if "def" not in facts:
                self.in_shapes.setdefault(id(item), in_shape)
        self.lines = []

    def body(self, items, indent, in_def):
        for item in items:
            self.statement(item, indent, in_def)

    def block(self, head, items, indent, in_def):
        if not items:
            self.lines.append(f"{indent}{head} {{}}")
        elif len(items) == 1 and items[0]["kind"] not in ("seq", "add", "mul", "concat", "if") \
                and items[0].get("style", {}).get("parentheses") is False and not items[0].get("style", {}).get("tuples"):
            self.lines.append(f"{indent}{head} {{ {self.line(items[0], in_def)} }}")
        else:
            self.lines.append(f"{indent}{head} {{")
            self.body(items, indent + "  ", in_def)
            self.lines.append(f"{indent}}}")

    def line(self, item, in_def):
        if item["kind"] == "use":
            head = item["def"] + (f" {item['name']}" if item["name"] else "")
            params = [name for name, _ in self.defs[item["def"]]["params"]]
            parts, positional = [], item.get("positional", 0)
            for i, name in enumerate(params):  # a positional prefix, then keys, as for layers
                if name in item["args"]:
                    text = _text(item["args"][name], False, item.get("grouped"))
                    parts.append(text if i < positional and len(parts) == i else f"{name}={text}")
            return f"{head}({', '.join(parts)})"
        return layer_line(item, None if in_def else self.in_shapes.get(id(item)))

    def statement(self, item, indent, in_def):
        kind = item["kind"]
        if kind == "seq":
            self.block("seq" + (f" {item['name']}" if item["name"] else ""), item["body"], indent, in_def)
        elif kind in ("add", "mul", "concat"):
            self.lines.append(f"{indent}{kind} {{")
            for branch in item["branches"]:
                self.block("branch", branch, indent + "  ", in_def)
            self.lines.append(f"{indent}}}")
        elif kind == "if" and item["else"] is None:
            self.block(f"if {item['cond'].text}", item["then"], indent, in_def)
        elif kind == "if":
            self.lines.append(f"{indent}if {item['cond'].text} {{")
            self.body(item["then"], indent + "  ", in_def)
            self.lines.append(f"{indent}}} else {{")
            self.body(item["else"], indent + "  ", in_def)
            self.lines.append(f"{indent}}}")
        else:
            self.lines.append(indent + self.line(item, in_def))


def to_net(model):
    writer = _Writer(model)
    writer.lines += [f"model {model['name']}", "input " + "x".join(str(d) for d in model["input"])]
    for definition in model.get("defs", []):
        params = ", ".join(name if default is None else f"{name}={_text(default, False, definition.get('grouped'))}"
                           for name, default in definition["params"])
        writer.block(f"def {definition['name']}({params})", definition["body"], "", True)
    writer.body(model["layers"], "", False)
    return "\n".join(writer.lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Coverage and shrinking

def features(model):
    """What a model exercises, for choosing a corpus that covers the language: each layer kind,
    each non-default argument and spelling, each block construct, and the shapes that change
    schedules."""
    records, _ = _walk(model)
    found = {"input:flat" if len(model["input"]) == 1 else "input:image",
             "network:large" if total_macs(model) >= SMALL_NETWORK_MACS else "network:small"}
    found.update(f"block:{i['kind']}" for i in _items(model) if i["kind"] in ("seq", "use", "if"))
    if model.get("defs"):
        found.add("block:def")
    for item, in_shape, out_shape, _, facts in records:
        kind = item["kind"]
        found.add(kind)
        found.update(f"inside:{f}" for f in facts)
        if kind in ("add", "mul", "concat"):
            found.add(f"{kind}:{len(item['branches'])}-branches")
            if any(not b for b in item["branches"]):
                found.add(f"{kind}:empty-branch")
            firsts = [b[0]["kind"] if b else None for b in item["branches"]]
            if kind == "mul" and "parameter" in firsts:
                found.add("pattern:layer-scale")
            if kind == "concat" and firsts.count("chunk") + firsts.count("narrow") >= 2:
                found.add("pattern:channel-split")
            continue
        a, style = item["args"], item["style"]
        found.add(f"{kind}:on-{'channels-last' if channels_last(in_shape) else 'image' if len(in_shape) == 3 else 'flat'}")
        if item["name"]:
            found.add("named")
        if item.get("generated_like_name"):
            found.add("named:like-generated")
        found.update(f"style:{key}" for key, on in style.items() if on and key != "positional")
        found.add(f"style:positional{style.get('positional', 0)}")
        if len(out_shape) == 3:
            c = channels(out_shape)
            found.add(f"{kind}:channels%16={'0' if c % 16 == 0 else '8' if c % 8 == 0 else 'other'}")
            if out_shape[1 if channels_last(out_shape) else 2] == 1:
                found.add(f"{kind}:one-wide")
        if any(isinstance(v, Expr) for v in a.values()):
            continue
        if kind == "conv2d":
            g = a.get("groups", 1)
            found.update(f"conv2d:{key}" for key in ("stride", "padding", "dilation") if pair(a.get(key, 1)) != (1, 1) and pair(a.get(key, 0)) != (0, 0))
            found.update({"conv2d:groups"} if 1 < g < in_shape[0] else {"conv2d:depthwise"} if g == in_shape[0] > 1 else set())
            if not a.get("bias", True):
                found.add("conv2d:no-bias")
            if pair(a["kernel"])[0] != pair(a["kernel"])[1]:
                found.add("conv2d:rectangular")
        elif kind in ("maxpool2d", "avgpool2d"):
            if pair(a.get("padding", 0)) != (0, 0):
                found.add(f"{kind}:padding")
            if a.get("ceil_mode"):
                found.add(f"{kind}:ceil_mode")
            if pair(a.get("dilation", 1)) != (1, 1):
                found.add(f"{kind}:dilation")
            if not a.get("count_include_pad", True):
                found.add(f"{kind}:padding-uncounted")
            if pair(a.get("stride", a["kernel"])) != pair(a["kernel"]):
                found.add(f"{kind}:stride{'>' if max(pair(a['stride'])) > max(pair(a['kernel'])) else '<'}kernel")
        elif kind.startswith("adaptive"):
            found.add(f"{kind}:{'global' if pair(a['output']) == (1, 1) else 'windows'}")
        elif kind.startswith("batchnorm"):
            if not a.get("affine", True):
                found.add(f"{kind}:no-affine")
        elif kind == "linear":
            if not a.get("bias", True):
                found.add("linear:no-bias")
            found.add(f"linear:out%16={'0' if a['out'] % 16 == 0 else 'other'}")
        elif kind == "chunk":
            if in_shape[0] % a["chunks"]:
                found.add("chunk:ragged")
            if chunk_length(in_shape[0], a["chunks"], a["index"] + 1) == 0:
                found.add("chunk:last")
        elif kind == "narrow":
            found.add("narrow:from-0" if a["start"] == 0 else "narrow:to-end" if a["start"] + a["length"] == in_shape[0]
                      else "narrow:inside")
        elif kind == "channel_shuffle":
            found.add("channel_shuffle:groups=" + ("1" if a["groups"] == 1 else "C" if a["groups"] == in_shape[0] else "k"))
        elif kind in ("layernorm", "layernorm2d"):
            if not a.get("elementwise_affine", True):
                found.add(f"{kind}:no-affine")
        elif kind == "permute" and channels_last(out_shape):
            found.add("pattern:channels-last")
        elif kind == "parameter":
            found.add(f"parameter:{'x'.join('1' if d == 1 else 'n' for d in out_shape)}")
        elif kind in PADS:
            found.add(f"{kind}:{'sides' if isinstance(a['padding'], tuple) else 'all'}")
    return found


def edits(model):
    """Smaller or simpler models, one change each, most aggressive first: statements removed,
    joins and blocks replaced by one branch or their body, the input made smaller, arguments
    made plainer. Some may be invalid; the caller checks them with infer()."""
    count = len(list(_item_lists(model)))

    def edited(index, change):
        m = copy.deepcopy(model)
        items = list(_item_lists(m))[index]
        change(items)
        return m

    for index in range(count):
        for i in range(len(list(_item_lists(model))[index])):
            yield edited(index, lambda items, i=i: items.pop(i))
    for index in range(count):
        for i, item in enumerate(list(_item_lists(model))[index]):
            if item["kind"] in ("add", "mul", "concat"):
                for b in range(len(item["branches"])):
                    yield edited(index, lambda items, i=i, b=b: items.__setitem__(slice(i, i + 1), items[i]["branches"][b]))
                    if len(item["branches"]) > 2:
                        yield edited(index, lambda items, i=i, b=b: items[i]["branches"].pop(b))
            elif item["kind"] == "seq":
                yield edited(index, lambda items, i=i: items.__setitem__(slice(i, i + 1), items[i]["body"]))
    shape = model["input"]
    for d in range(len(shape)):
        for smaller in (shape[d] // 2, shape[d] - 1):
            if smaller >= 1:
                yield {**copy.deepcopy(model), "input": shape[:d] + (smaller,) + shape[d + 1:]}
    for index in range(count):
        for i, layer in enumerate(list(_item_lists(model))[index]):
            if layer["kind"] in ("seq", "add", "mul", "concat", "use", "if"):
                continue
            a = layer["args"]
            if any(isinstance(v, Expr) for v in a.values()):
                continue
            simpler = []
            if any(layer["style"].values()):
                simpler.append({**layer, "style": {}})
            for key, plain in (("groups", 1), ("dilation", (1, 1)), ("stride", (1, 1)), ("padding", (0, 0)),
                               ("bias", True), ("ceil_mode", False), ("affine", True), ("eps", 1e-5),
                               ("negative_slope", 0.01), ("elementwise_affine", True)):
                if key in a and a[key] != plain and not (key == "stride" and layer["kind"] != "conv2d"):
                    simpler.append({**layer, "args": {**a, key: plain}})
            if layer["kind"] in ("maxpool2d", "avgpool2d") and a["stride"] != a["kernel"]:
                simpler.append({**layer, "args": {**a, "stride": a["kernel"]}})
            if "kernel" in a:
                k = pair(a["kernel"])
                for smaller in ((max(1, k[0] - 1), k[1]), (k[0], max(1, k[1] - 1))):
                    if smaller != k:
                        simpler.append({**layer, "args": {**a, "kernel": smaller}})
            if "out" in a:
                g = a.get("groups", 1)
                for out in (a["out"] // 2, a["out"] - g):
                    if out >= 1 and out % g == 0:
                        simpler.append({**layer, "args": {**a, "out": out}})
            for edit in simpler:
                yield edited(index, lambda items, i=i, edit=edit: items.__setitem__(i, copy.deepcopy(edit)))
