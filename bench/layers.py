#!/usr/bin/python3
"""Per-layer benchmark: every distinct convolution of AlexNet, VGG-11 and torchvision's ResNet-18,
each compiled alone (convolution + ReLU, embedded random weights) and timed in one run against the
same layer in PyTorch, ONNX Runtime and OpenVINO, with its rate in GFLOP/s and in % of the
machine's peak (measured by the same run); then their fully connected layers (linear + ReLU), with
the rate at which each streams its weights in GB/s and in % of the machine's read bandwidth (the
same run's plain read loop, bench/peak_flops.cpp) — at batch 1 these layers are bound by that read.

  /usr/bin/python3 bench/layers.py [--batch 1] [--rounds 2] [--seconds 1] [--only vgg11,channels,groups]
                                  [--engines cnngen,torch] [-- CNNGEN FLAGS...]

CNNGEN_BUILD=DIR measures another build tree than build/. Flags after `--` go to cnngen (for
example `-- --conv=direct`). Prints the table; writes nothing outside the build tree.
"""
import argparse
import os

import run

# (network, layer, input channels, height, width, output channels, kernel, stride, padding,
#  how many times the network has this layer)
LAYERS = [
    ("alexnet", "conv1", 1, 224, 224, 96, 11, 4, 1, 1),
    ("alexnet", "conv2", 96, 26, 26, 256, 5, 1, 2, 1),
    ("alexnet", "conv3", 256, 12, 12, 384, 3, 1, 1, 1),
    ("alexnet", "conv4", 384, 12, 12, 384, 3, 1, 1, 1),
    ("alexnet", "conv5", 384, 12, 12, 256, 3, 1, 1, 1),
    ("vgg11", "conv1", 1, 224, 224, 64, 3, 1, 1, 1),
    ("vgg11", "conv2", 64, 112, 112, 128, 3, 1, 1, 1),
    ("vgg11", "conv3", 128, 56, 56, 256, 3, 1, 1, 1),
    ("vgg11", "conv4", 256, 56, 56, 256, 3, 1, 1, 1),
    ("vgg11", "conv5", 256, 28, 28, 512, 3, 1, 1, 1),
    ("vgg11", "conv6", 512, 28, 28, 512, 3, 1, 1, 1),
    ("vgg11", "conv7-8", 512, 14, 14, 512, 3, 1, 1, 2),
    ("resnet18", "conv1", 3, 224, 224, 64, 7, 2, 3, 1),
    ("resnet18", "layer1", 64, 56, 56, 64, 3, 1, 1, 4),
    ("resnet18", "layer2.0.conv1", 64, 56, 56, 128, 3, 2, 1, 1),
    ("resnet18", "layer2.0.downsample", 64, 56, 56, 128, 1, 2, 0, 1),
    ("resnet18", "layer2", 128, 28, 28, 128, 3, 1, 1, 3),
    ("resnet18", "layer3.0.conv1", 128, 28, 28, 256, 3, 2, 1, 1),
    ("resnet18", "layer3.0.downsample", 128, 28, 28, 256, 1, 2, 0, 1),
    ("resnet18", "layer3", 256, 14, 14, 256, 3, 1, 1, 3),
    ("resnet18", "layer4.0.conv1", 256, 14, 14, 512, 3, 2, 1, 1),
    ("resnet18", "layer4.0.downsample", 256, 14, 14, 512, 1, 2, 0, 1),
    ("resnet18", "layer4", 512, 7, 7, 512, 3, 1, 1, 3),
    # Issue 32: output channels that are not a whole number of 16-float vectors, each beside the
    # nearest multiple of 16 (their rates should be within 20%): SqueezeNet's classifier, and
    # MobileNetV3's, EfficientNet's and RegNet's widths (`--only channels`).
    ("channels", "sq-classifier-1000", 512, 13, 13, 1000, 1, 1, 0, 1),
    ("channels", "sq-classifier-1024", 512, 13, 13, 1024, 1, 1, 0, 1),
    ("channels", "expand-72", 24, 56, 56, 72, 1, 1, 0, 1),
    ("channels", "expand-64", 24, 56, 56, 64, 1, 1, 0, 1),
    ("channels", "expand-120", 40, 28, 28, 120, 1, 1, 0, 1),
    ("channels", "expand-128", 40, 28, 28, 128, 1, 1, 0, 1),
    ("channels", "expand-200", 80, 14, 14, 200, 1, 1, 0, 1),
    ("channels", "expand-208", 80, 14, 14, 208, 1, 1, 0, 1),
    ("channels", "project-24", 96, 56, 56, 24, 1, 1, 0, 1),
    ("channels", "project-32", 96, 56, 56, 32, 1, 1, 0, 1),
    ("channels", "project-40", 144, 28, 28, 40, 1, 1, 0, 1),
    ("channels", "project-48", 144, 28, 28, 48, 1, 1, 0, 1),
    ("channels", "conv3x3-232", 232, 14, 14, 232, 3, 1, 1, 1),
    ("channels", "conv3x3-240", 240, 14, 14, 240, 3, 1, 1, 1),
    ("channels", "conv3x3-368", 368, 7, 7, 368, 3, 1, 1, 1),
    ("channels", "conv3x3-384", 384, 7, 7, 384, 3, 1, 1, 1),
    ("channels", "conv1x1-1001", 512, 7, 7, 1001, 1, 1, 0, 1),
    # Odd multiples of AVX2's 8-float vector beside the nearest multiple of 16 (AVX2's 2-vector
    # register tile): RegNetY-400MF's last stage (440 wide at 7×7) and its second (104 at 28×28).
    ("channels", "conv1x1-440", 440, 7, 7, 440, 1, 1, 0, 1),
    ("channels", "conv1x1-448", 448, 7, 7, 448, 1, 1, 0, 1),
    ("channels", "conv1x1-104", 104, 28, 28, 104, 1, 1, 0, 1),
    ("channels", "conv1x1-112", 112, 28, 28, 112, 1, 1, 0, 1),
    # Issue 32: grouped convolutions with few channels per group (the last field: groups), each
    # beside the same layer with 16 channels per group, one 16-float vector (`--only groups`):
    # ResNeXt-50 32×4d's 3×3 layers (4, 8, 16 and 32 channels per group) and RegNetY-400MF's
    # (8 per group; the nearest multiple of 16 channels where 8 per group leaves a ragged one).
    ("groups", "resnext-layer1-g32", 128, 56, 56, 128, 3, 1, 1, 1, 32),
    ("groups", "resnext-layer1-g8", 128, 56, 56, 128, 3, 1, 1, 1, 8),
    ("groups", "resnext-layer2-g32", 256, 28, 28, 256, 3, 1, 1, 1, 32),
    ("groups", "resnext-layer2-g16", 256, 28, 28, 256, 3, 1, 1, 1, 16),
    ("groups", "resnext-layer3-g32", 512, 14, 14, 512, 3, 1, 1, 1, 32),
    ("groups", "resnext-layer4-g32", 1024, 7, 7, 1024, 3, 1, 1, 1, 32),
    ("groups", "regnet-48-g6", 48, 56, 56, 48, 3, 1, 1, 1, 6),
    ("groups", "regnet-48-g3", 48, 56, 56, 48, 3, 1, 1, 1, 3),
    ("groups", "regnet-104-g13", 104, 28, 28, 104, 3, 1, 1, 1, 13),
    ("groups", "regnet-112-g7", 112, 28, 28, 112, 3, 1, 1, 1, 7),
    ("groups", "regnet-208-g26", 208, 14, 14, 208, 3, 1, 1, 1, 26),
    ("groups", "regnet-208-g13", 208, 14, 14, 208, 3, 1, 1, 1, 13),
    ("groups", "regnet-440-g55", 440, 7, 7, 440, 3, 1, 1, 1, 55),
    ("groups", "regnet-448-g28", 448, 7, 7, 448, 3, 1, 1, 1, 28),
]

# (network, layer, inputs, outputs): the fully connected layers whose weights outgrow the caches,
# and ResNet-18's classifier.
FC_LAYERS = [
    ("alexnet", "fc1", 6400, 4096),
    ("alexnet", "fc2", 4096, 4096),
    ("vgg11", "fc1", 25088, 4096),
    ("vgg11", "fc2", 4096, 4096),
    ("resnet18", "fc", 512, 1000),
]


def write_layer_net(directory, network, layer, input_shape, body):
    name = f"{network}_{layer}".replace(".", "_").replace("-", "_")
    path = os.path.join(directory, f"{name}.net")
    with open(path, "w") as f:
        f.write(f"# {network} {layer}, alone (bench/layers.py)\nmodel {name}\ninput {input_shape}\n{body}relu\n")
    return name, path


def write_net(directory, network, layer, c, h, w, out, k, s, p, groups=1):
    return write_layer_net(directory, network, layer, f"{c}x{h}x{w}",
                           f"conv2d({out}, kernel={k}, stride={s}, padding={p}, groups={groups})\n")


def write_fc_net(directory, network, layer, inputs, outputs):
    return write_layer_net(directory, network, layer, f"{inputs}x1x1", f"flatten\nlinear({outputs})\n")


def print_convolutions(layers, samples, facts, engines, batch, ceiling):
    """The convolutions' table: median times, GFLOP/s, % of `ceiling`, the other engines' ratios."""
    print(f"{'layer':28} {'in → out':>22} {'k/s':>5} {'×':>2} {'cnngen ms':>10} {'GFLOP/s':>8} "
          f"{'% peak':>6}" + "".join(f" {'× ' + e:>13}" for e in engines[1:]))
    totals = {e: 0.0 for e in engines}
    for spec in layers:
        network, layer, c, h, w, out, k, s, p, count = spec[:10]
        times = {e: sorted(samples[(spec, e)])[len(samples[(spec, e)]) // 2] for e in engines}
        for e in engines:
            totals[e] += count * times[e]
        gflops = facts[spec]["flop_per_image"] * batch / times["cnngen"] / 1e9
        shape = f"{c}×{h}×{w} → {out}"
        line = (f"{network + ' ' + layer:28} {shape:>22} {f'{k}/{s}':>5} {count:>2} "
                f"{times['cnngen'] * 1e3:>10.3f} {gflops:>8.1f} {100 * gflops / ceiling:>6.1f}")
        line += "".join(f" {times[e] / times['cnngen']:>13.2f}" for e in engines[1:])
        print(line)
    print(f"{'all layers, weighted by count':28} {'':>22} {'':>5} {'':>2} {totals['cnngen'] * 1e3:>10.3f} "
          f"{'':>8} {'':>6}" + "".join(f" {totals[e] / totals['cnngen']:>13.2f}" for e in engines[1:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--only", help="comma-separated networks or network:layer names")
    parser.add_argument("--engines", default=",".join(run.ENGINES))
    parser.add_argument("cnngen_flags", nargs="*")
    args = parser.parse_args()
    directory = os.path.join(run.DATA, "layers")
    os.makedirs(directory, exist_ok=True)
    wanted = args.only.split(",") if args.only else None
    def chosen(specs):
        return [spec for spec in specs if not wanted or spec[0] in wanted or f"{spec[0]}:{spec[1]}" in wanted]
    layers, fc_layers = chosen(LAYERS), chosen(FC_LAYERS)
    engines = [e for e in args.engines.split(",") if run.available(e)]
    peak = run.run_json([os.path.join(run.BUILD, "bench", "peak_flops")])
    facts = {}
    for spec in layers:
        name, path = write_net(directory, *spec[:9], *spec[10:])
        facts[spec] = run.prepare(name, path, args.cnngen_flags)
    for spec in fc_layers:
        facts[spec] = run.prepare(*write_fc_net(directory, *spec), args.cnngen_flags)
    samples = {}
    read_gbs = [peak["read_gbs_all"]]
    for round_index in range(args.rounds):
        if fc_layers:  # sampled beside the layers that it bounds: a shared machine's varies by 1.5×
            read_gbs.append(run.run_json([os.path.join(run.BUILD, "bench", "peak_flops"), "--read"])["read_gbs_all"])
        for spec in layers + fc_layers:
            order = engines[round_index % len(engines):] + engines[:round_index % len(engines)]
            for engine in order:
                seconds = run.measure(engine, facts[spec], args.batch, args.seconds)["seconds"]
                samples.setdefault((spec, engine), []).append(seconds)
    cpu = run.cpu_model()
    # An AVX2 library is measured against the AVX2 peak (the same FMA loop on 8-float vectors).
    avx2 = any("avx2" in flag and "avx512" not in flag for flag in args.cnngen_flags)
    ceiling = peak["peak_gflops_avx2_all"] if avx2 else peak["peak_gflops_all"]
    print(f"\n{cpu}, {peak['threads']} threads: peak {peak['peak_gflops_all']} GFLOP/s "
          f"(AVX2 {peak['peak_gflops_avx2_all']}; % peak below is of {ceiling}) "
          f"({peak['peak_gflops_1']} on one); batch {args.batch}; cnngen {' '.join(args.cnngen_flags)}")
    if layers:
        print_convolutions(layers, samples, facts, engines, args.batch, ceiling)
    if fc_layers:
        print(f"\nread bandwidth {max(read_gbs)} GB/s on {peak['threads']} threads: the best of a plain read loop "
              f"sampled {len(read_gbs)} times ({', '.join(map(str, read_gbs))}); each layer's best time")
        print(f"{'layer':28} {'in → out':>22} {'weights MB':>10} {'cnngen ms':>10} {'GB/s':>8} {'% read':>6}"
              + "".join(f" {'× ' + e:>13}" for e in engines[1:]))
    for spec in fc_layers:
        network, layer, inputs, outputs = spec
        times = {e: min(samples[(spec, e)]) for e in engines}  # best against best: both bound by the same memory
        megabytes = inputs * outputs * 4 / 1e6
        gbs = megabytes / 1e3 / times["cnngen"]  # the weights are read once per call, whatever the batch
        line = (f"{network + ' ' + layer:28} {f'{inputs} → {outputs}':>22} {megabytes:>10.1f} "
                f"{times['cnngen'] * 1e3:>10.3f} {gbs:>8.1f} {100 * gbs / max(read_gbs):>6.1f}")
        print(line + "".join(f" {times[e] / times['cnngen']:>13.2f}" for e in engines[1:]))


if __name__ == "__main__":
    main()
