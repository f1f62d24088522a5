#!/usr/bin/python3
"""Writes PyTorch's outputs for inputs holding NaN, ±Inf and huge finite values (issue 12):
tests/golden/special_values_layers.txt, a grid of small models, one or a few layers of each kind,
and tests/golden/special_values_nets.txt, LeNet, AlexNet and VGG-11 (examples/*.net). Weights are
deterministic (tools/deterministic_weights.py; LeNet's also trained, examples/lenet), so only the
models' text and outputs are stored;
tests/special_values.hpp reproduces the inputs bit for bit. Each model gets IMAGES images, one of
each kind of special_input(). Run with Debian's interpreter (cnngen built in build/, or $CNNGEN):
  /usr/bin/python3 tools/make_special_values.py"""
import os

import numpy as np
import torch

import deterministic_weights
import net_to_torch
import safetensors_io

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGES = 7
LAYER_SEED, NET_SEED = 2000, 3000
HUGE = np.float32(3e38)

# (name, input dims, layer lines). Small inputs; several cases per layer kind: padded and not,
# overlapping windows, ceil_mode, channels enough to vectorize across them, and each element-wise
# layer both alone and in a convolution's or linear layer's epilogue.
LAYER_CASES = [
    ("conv_padded", "2x6x6", ["conv2d(3, kernel=3, padding=1)"]),
    ("conv_stride_groups_no_bias", "4x7x7", ["conv2d(4, kernel=3, stride=2, groups=2, bias=false)"]),
    ("conv_many_channels", "3x5x5", ["conv2d(16, kernel=3)"]),
    ("linear", "12", ["linear(5)"]),
    ("maxpool", "2x6x6", ["maxpool2d(2)"]),
    ("maxpool_padded_overlapping", "2x7x7", ["maxpool2d(3, stride=2, padding=1)"]),
    ("maxpool_ceil_mode", "2x7x7", ["maxpool2d(2, ceil_mode=true)"]),
    ("maxpool_many_channels", "16x4x4", ["maxpool2d(2)"]),
    ("avgpool_padded", "2x7x7", ["avgpool2d(3, stride=2, padding=1)"]),
    ("avgpool_ceil_mode", "2x7x7", ["avgpool2d(2, ceil_mode=true)"]),
    ("adaptivemaxpool", "2x7x7", ["adaptivemaxpool2d(3)"]),
    ("adaptiveavgpool", "2x7x7", ["adaptiveavgpool2d(3)"]),
    ("relu_image", "2x4x5", ["relu"]),
    ("relu_features", "20", ["relu"]),
    ("relu6", "2x4x5", ["relu6"]),
    ("leaky_relu", "2x4x5", ["leaky_relu"]),
    ("leaky_relu_zero_slope", "20", ["leaky_relu(0.0)"]),
    ("leaky_relu_negative_slope", "2x4x5", ["leaky_relu(-0.5)"]),
    ("sigmoid", "2x4x5", ["sigmoid"]),
    ("silu", "2x4x5", ["silu"]),
    ("hardswish", "2x4x5", ["hardswish"]),
    ("hardsigmoid", "2x4x5", ["hardsigmoid"]),
    ("gelu", "2x4x5", ["gelu"]),
    ("gelu_features", "20", ["gelu"]),
    ("mul_scale", "3x4x4", ["mul {", "  branch {}", "  branch {", "    adaptivemaxpool2d(1)", "    sigmoid", "  }", "}"]),
    ("mul_full", "2x5x5", ["mul {", "  branch { conv2d a(2, kernel=3, padding=1) }", "  branch {}", "}"]),
    ("tanh", "2x4x5", ["tanh"]),
    ("softmax_features", "10", ["softmax"]),
    ("softmax_channels", "4x3x3", ["softmax"]),
    ("softmax_channels_wide_rows", "3x2x19", ["softmax"]),
    ("pads", "2x4x5", ["zeropad2d((1, 2, 0, 1))", "reflectionpad2d((2, 1, 1, 3))", "replicationpad2d(1)",
                       "constantpad2d((0, 1, 2, 0), -1.5)"]),
    ("batchnorm2d", "3x4x4", ["batchnorm2d"]),
    ("batchnorm1d", "12", ["batchnorm1d"]),
    ("conv_batchnorm2d_relu", "2x5x5", ["conv2d(4, kernel=3, padding=1, bias=false)", "batchnorm2d", "relu"]),
    ("add", "3x5x5", ["add {", "  branch { conv2d a(3, kernel=3, padding=1) }", "  branch {}", "}"]),
    ("concat", "2x5x5", ["concat {", "  branch { conv2d a(3, kernel=1) }",
                         "  branch { maxpool2d(3, stride=1, padding=1) }", "}"]),
    ("flatten_dropout_identity_linear", "2x3x3", ["flatten", "dropout", "identity", "linear(4)"]),
    ("conv_relu_maxpool", "3x8x8", ["conv2d(16, kernel=3, padding=1)", "relu", "maxpool2d(2)"]),
    ("conv_relu6", "3x5x5", ["conv2d(16, kernel=3, padding=1)", "relu6"]),
    ("conv_leaky_relu", "3x5x5", ["conv2d(16, kernel=3, padding=1)", "leaky_relu(0.2)"]),
    ("conv_sigmoid", "2x5x5", ["conv2d(4, kernel=3)", "sigmoid"]),
    ("conv_silu", "3x5x5", ["conv2d(16, kernel=3, padding=1)", "silu"]),
    ("conv_hardswish", "3x5x5", ["conv2d(16, kernel=3, padding=1)", "hardswish"]),
    ("linear_hardsigmoid", "12", ["linear(5)", "hardsigmoid"]),
    ("conv_gelu", "3x5x5", ["conv2d(16, kernel=3, padding=1)", "gelu"]),
    ("linear_relu", "12", ["linear(16)", "relu"]),
    ("linear_softmax", "12", ["linear(10)", "softmax"]),
]

# (golden name, examples/ model, weights): deterministic ones, or LeNet's trained ones, which the
# embedded-weight LeNet libraries of the tests (CPU and OpenCL) hold.
NETS = [("lenet", "lenet", None), ("alexnet", "alexnet", None), ("vgg11", "vgg11", None),
        ("lenet_trained", "lenet", "examples/lenet/lenet.safetensors")]


def positions(image, count):
    """Where image `image`'s special values go: three indices, as tests/special_values.hpp."""
    return [(image * 7919 + j * 104729 + 13) % count for j in range(3)]


def special_input(count, image, seed, low, high):
    """One image of `count` values: uniform in [low, high) from seed + image, then by image % 7:
    0 two NaN, 1 two +Inf, 2 two −Inf, 3 +3e38 and −3e38, 4 NaN, +Inf and −Inf, 5 −Inf everywhere,
    6 nothing special."""
    u = deterministic_weights.uniform(count, seed + image)
    x = u * np.float32(high - low) + np.float32(low)
    p = positions(image, count)
    nan, inf = np.float32("nan"), np.float32("inf")
    kind = image % 7
    values = {0: [nan, nan], 1: [inf, inf], 2: [-inf, -inf], 3: [HUGE, -HUGE], 4: [nan, inf, -inf]}
    if kind == 5:
        x[:] = -inf
    for position, value in zip(p, values.get(kind, [])):
        x[position] = value
    return x


def run(text, seed, low, high, weights=None):
    """The outputs of the model in `text` for IMAGES special inputs, one row an image, with the
    safetensors file `weights` (under the repository) or deterministic weights."""
    _, shape, net = net_to_torch.build_text(text)
    if weights:
        net.load_state_dict({k: torch.from_numpy(v.copy())
                             for k, v in safetensors_io.load(os.path.join(ROOT, weights)).items()})
    else:
        net.load_state_dict(deterministic_weights.state_dict(net))
    count = int(np.prod(shape))
    x = np.stack([special_input(count, i, seed, low, high) for i in range(IMAGES)]).reshape((IMAGES,) + shape)
    with torch.no_grad():
        return net(torch.from_numpy(x)).reshape(IMAGES, -1).numpy()


def write_rows(f, rows):
    for row in rows:
        f.write(" ".join(f"{v:.9g}" for v in row) + "\n")


def main():
    torch.set_num_threads(os.cpu_count())
    header = (f"# PyTorch {torch.__version__} outputs for inputs holding NaN, ±Inf and ±3e38, "
              f"deterministic weights (tools/make_special_values.py)\n")
    with open(os.path.join(ROOT, "tests", "golden", "special_values_layers.txt"), "w") as f:
        f.write(header + "# case NAME, input DIMS, layer lines, then IMAGES rows of outputs\n")
        for name, dims, layers in LAYER_CASES:
            text = f"model {name}\ninput {dims}\n" + "\n".join(layers) + "\n"
            rows = run(text, LAYER_SEED, -2.0, 2.0)
            f.write(f"case {name}\ninput {dims}\n" + "".join(f"layer {line}\n" for line in layers))
            f.write(f"outputs {rows.shape[0]} {rows.shape[1]}\n")
            write_rows(f, rows)
            print(name, rows.shape, "NaN", int(np.isnan(rows).sum()), "Inf", int(np.isinf(rows).sum()))
    with open(os.path.join(ROOT, "tests", "golden", "special_values_nets.txt"), "w") as f:
        f.write(header + "# net NAME, then IMAGES rows of logits\n")
        for name, model, weights in NETS:
            with open(os.path.join(ROOT, "examples", model, f"{model}.net")) as source:
                rows = run(source.read(), NET_SEED, 0.0, 1.0, weights)
            f.write(f"net {name}\noutputs {rows.shape[0]} {rows.shape[1]}\n")
            write_rows(f, rows)
            print(name, rows)


if __name__ == "__main__":
    main()
