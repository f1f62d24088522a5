#!/usr/bin/python3
"""Writes the ONNX fixtures of tests/onnx_import_test.cpp (issue 33): small networks that hold
every pattern the importer recovers, exported by PyTorch's torch.onnx.export with a free batch at
opsets 11, 13 and 17, with PyTorch's outputs for a batch of 3 deterministic images.

  /usr/bin/python3 tools/make_onnx_fixtures.py     # writes tests/onnx/*.onnx and *.expected.safetensors

Each network is small (3×16×16 input, under 100 KB) and made of the blocks of the families the
importer reads: ResNet's residual with a 1×1 downsample (batch norm folded by the exporter),
MobileNetV3's squeeze-and-excitation with hard-sigmoid and hard-swish, EfficientNet's SiLU,
ShuffleNetV2's split, concatenation and channel shuffle, DenseNet's concatenation of every
earlier output, GoogLeNet's four-branch concatenation, ConvNeXt's block (torchvision's own CNBlock
and LayerNorm2d: permutes, layer norms, linear layers over channels-last pixels, GELU and the layer
scale), and a classifier through x.mean((2, 3)) or flatten and linear. The expected outputs are PyTorch's, in float64 (rounded to float32)."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.convnext import CNBlock, LayerNorm2d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deterministic_weights  # noqa: E402
import safetensors_io  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "onnx")
SHAPE = (3, 16, 16)
BATCH = 3
INPUT_SEED = 1000


def bn(c):
    return nn.BatchNorm2d(c)


class Residual(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = bn(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = bn(cout)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), bn(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + self.downsample(x))


class SqueezeExcitation(nn.Module):
    def __init__(self, c, squeeze, hard):
        super().__init__()
        self.fc1 = nn.Conv2d(c, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, c, 1)
        self.gate = nn.Hardsigmoid() if hard else nn.Sigmoid()

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * self.gate(self.fc2(F.relu(self.fc1(s))))


class Mobile(nn.Module):
    """Inverted residual with SE: expand, depthwise, SE, project, plus the input."""

    def __init__(self, c, hard):
        super().__init__()
        act = nn.Hardswish if hard else nn.SiLU
        self.block = nn.Sequential(nn.Conv2d(c, 4 * c, 1, bias=False), bn(4 * c), act(),
                                   nn.Conv2d(4 * c, 4 * c, 3, 1, 1, groups=4 * c, bias=False), bn(4 * c), act(),
                                   SqueezeExcitation(4 * c, c // 2, hard),
                                   nn.Conv2d(4 * c, c, 1, bias=False), bn(c))

    def forward(self, x):
        return x + self.block(x)


class Shuffle(nn.Module):
    """ShuffleNetV2's stride-1 unit: split, one half through a branch, concatenate, shuffle."""

    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.branch2 = nn.Sequential(nn.Conv2d(h, h, 1, bias=False), bn(h), nn.ReLU(),
                                     nn.Conv2d(h, h, 3, 1, 1, groups=h, bias=False), bn(h),
                                     nn.Conv2d(h, h, 1, bias=False), bn(h), nn.ReLU())

    def forward(self, x):
        x1, x2 = x.chunk(2, dim=1)
        out = torch.cat((x1, self.branch2(x2)), dim=1)
        n, c, h, w = out.size()
        return out.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


class Dense(nn.Module):
    """DenseNet's block: each layer reads the concatenation of every earlier output."""

    def __init__(self, c, growth, layers):
        super().__init__()
        self.layers = nn.ModuleList(
            nn.Sequential(bn(c + i * growth), nn.ReLU(), nn.Conv2d(c + i * growth, growth, 3, 1, 1, bias=False))
            for i in range(layers))

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, 1)))
        return torch.cat(features, 1)


class Inception(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.b1 = nn.Conv2d(c, 4, 1)
        self.b2 = nn.Sequential(nn.Conv2d(c, 4, 1), nn.ReLU(), nn.Conv2d(4, 6, 3, padding=1))
        self.b3 = nn.Sequential(nn.Conv2d(c, 2, 1), nn.ReLU(), nn.Conv2d(2, 4, 5, padding=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(c, 2, 1))

    def forward(self, x):
        return F.relu(torch.cat((self.b1(x), self.b2(x), self.b3(x), self.b4(x)), 1))


class ResidualNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = bn(8)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = Residual(8, 16, 2)
        self.inception = Inception(16)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.inception(self.layer1(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class MobileNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), bn(8), nn.Hardswish())
        self.features = nn.Sequential(Mobile(8, True), Mobile(8, False), Shuffle(8))
        self.classifier = nn.Sequential(nn.Linear(8, 16), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(16, 10))

    def forward(self, x):
        return self.classifier(self.features(self.stem(x)).mean((2, 3)))


class DenseNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv0 = nn.Conv2d(3, 8, 3, 1, 1)
        self.block = Dense(8, 4, 3)
        self.pool = nn.AvgPool2d(2, 2)
        self.fc = nn.Linear(20 * 8 * 8, 10)

    def forward(self, x):
        return F.softmax(self.fc(torch.flatten(self.pool(self.block(F.relu(self.conv0(x)))), 1)), dim=1)


class ConvNeXt(nn.Module):
    """torchvision's ConvNeXt in small: stem, a block, downsampling, a block, the classifier."""
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 4, 4), LayerNorm2d(8, eps=1e-6)),
            nn.Sequential(CNBlock(8, 0.5, 0.0)),
            nn.Sequential(LayerNorm2d(8, eps=1e-6), nn.Conv2d(8, 16, 2, 2)),
            nn.Sequential(CNBlock(16, 0.5, 0.0)))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(LayerNorm2d(16, eps=1e-6), nn.Flatten(1), nn.Linear(16, 10))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


NETS = {"residual": ResidualNet, "mobile": MobileNet, "dense": DenseNet, "convnext": ConvNeXt}
OPSETS = (11, 13, 17)


def randomize(net):
    """Batch and layer norms that are not the identity (so that folding them is checked), and layer
    scales that are not all one value."""
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                module.running_mean.copy_(torch.rand(c, generator=generator) - 0.5)
                module.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                module.bias.copy_((torch.rand(c, generator=generator) - 0.5) * 0.4)
            if isinstance(module, nn.LayerNorm):
                c = module.normalized_shape[0]
                module.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                module.bias.copy_((torch.rand(c, generator=generator) - 0.5) * 0.4)
            if isinstance(module, CNBlock):
                module.layer_scale.copy_(torch.rand(module.layer_scale.shape, generator=generator) + 0.5)
    return net.eval()


def main():
    os.makedirs(OUT, exist_ok=True)
    x = deterministic_weights.symmetric((BATCH,) + SHAPE, INPUT_SEED, np.float32(1))
    for name, make in NETS.items():
        torch.manual_seed(0)
        net = randomize(make())
        with torch.no_grad():
            y = net.double()(torch.from_numpy(x).double()).numpy().astype(np.float32)
        net = net.float()
        for opset in OPSETS:
            path = os.path.join(OUT, f"{name}_opset{opset}.onnx")
            torch.onnx.export(net, torch.zeros((1,) + SHAPE), path, opset_version=opset, input_names=["input"],
                              output_names=["output"], dynamic_axes={"input": {0: "n"}, "output": {0: "n"}})
            print(f"{path}: {os.path.getsize(path)} bytes")
        safetensors_io.save({"input": x, "output": y}, os.path.join(OUT, f"{name}.expected.safetensors"))


if __name__ == "__main__":
    main()
