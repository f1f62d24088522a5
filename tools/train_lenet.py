#!/usr/bin/python3
"""Trains D2L's LeNet on Fashion-MNIST and writes its weights and the golden data cnngen is tested on.

Recipe of D2L §6.6: sigmoid LeNet, Xavier-uniform weights, SGD with lr 0.9, batch 256, 10 epochs,
images scaled to [0, 1]. Writes
  examples/lenet/lenet.safetensors    the nn.Sequential state_dict (names 0.weight, 0.bias, 3.weight, …)
  tests/golden/lenet_images.idx       the first GOLDEN_IMAGES test images
  tests/golden/lenet_logits.txt       PyTorch's logits for them
  tests/golden/lenet_predictions.idx  PyTorch's predicted class for all 10,000 test images
With --golden-only it loads the committed weights instead of training.
Run with Debian's interpreter: /usr/bin/python3 tools/train_lenet.py
"""
import argparse
import os
import time

import numpy as np
import torch
from torch import nn

import idx_io
import safetensors_io

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WEIGHTS = os.path.join(ROOT, "examples/lenet/lenet.safetensors")
GOLDEN = os.path.join(ROOT, "tests/golden")
GOLDEN_IMAGES = 64


def lenet():
    """The network of examples/lenet/lenet.net, layer for layer."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def to_tensor(images):
    """uint8 N×28×28 → float32 N×1×28×28 in [0, 1], as torchvision's ToTensor does."""
    return torch.from_numpy(images.astype(np.float32)).div(255).unsqueeze(1)


def evaluate(net, images):
    with torch.no_grad():
        return torch.cat([net(to_tensor(images[i:i + 1000])) for i in range(0, len(images), 1000)])


def train(net, images, labels, epochs=10, lr=0.9, batch=256):
    def init_weights(m):
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
    net.apply(init_weights)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    x_all, y_all = to_tensor(images), torch.from_numpy(labels.astype(np.int64))
    for epoch in range(epochs):
        start = time.time()
        net.train()
        order = torch.randperm(len(x_all))
        total, correct = 0.0, 0
        for i in range(0, len(order), batch):
            index = order[i:i + batch]
            x, y = x_all[index], y_all[index]
            optimizer.zero_grad()
            y_hat = net(x)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            total += l.item() * len(index)
            correct += (y_hat.argmax(1) == y).sum().item()
        print(f"epoch {epoch + 1}: loss {total / len(order):.3f}, train acc {correct / len(order):.3f}"
              f" ({time.time() - start:.1f} s)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--golden-only", action="store_true", help="reuse the committed weights")
    args = parser.parse_args()
    torch.manual_seed(0)
    net = lenet()
    if args.golden_only:
        state = {k: torch.from_numpy(v.copy()) for k, v in safetensors_io.load(WEIGHTS).items()}
        net.load_state_dict(state)
    else:
        train(net, *idx_io.fashion_mnist("train"))
        safetensors_io.save({k: v.numpy() for k, v in net.state_dict().items()}, WEIGHTS,
                            metadata={"recipe": "D2L 6.6: xavier, SGD lr 0.9, batch 256, 10 epochs"})
    net.eval()
    images, labels = idx_io.fashion_mnist("t10k")
    logits = evaluate(net, images)
    predictions = logits.argmax(1).numpy().astype(np.uint8)
    print(f"test accuracy {(predictions == labels).mean():.4f}")

    os.makedirs(GOLDEN, exist_ok=True)
    idx_io.write(images[:GOLDEN_IMAGES], os.path.join(GOLDEN, "lenet_images.idx"))
    idx_io.write(predictions, os.path.join(GOLDEN, "lenet_predictions.idx"))
    with open(os.path.join(GOLDEN, "lenet_logits.txt"), "w") as f:
        f.write(f"# PyTorch {torch.__version__} logits of tools/train_lenet.py's LeNet for the first"
                f" {GOLDEN_IMAGES} Fashion-MNIST test images: one image a line\n")
        for row in logits[:GOLDEN_IMAGES].numpy():
            f.write(" ".join(f"{v:.9g}" for v in row) + "\n")


if __name__ == "__main__":
    main()
