"""Deterministic pseudo-random tensors that C++ (tests/deterministic_tensor.hpp) reproduces bit for
bit: golden data for big networks without committing their weights. A parameter's values depend on
its state_dict name alone (seed: the name's FNV-1a hash; range: its role, the name's last part), so
they do not depend on the order in which PyTorch or cnngen list the parameters."""
import math

import numpy as np

MASK = 0xFFFFFFFF


def uniform(count, seed):
    """float32 values in [0, 1) from a 32-bit integer hash of (index, seed)."""
    x = (np.arange(count, dtype=np.uint64) * 0x9E3779B1 + seed * 0x85EBCA77) & MASK
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & MASK
    x ^= x >> 12
    x = (x * 0x297A2D39) & MASK
    x ^= x >> 15
    return (x >> 8).astype(np.float32) * np.float32(2.0 ** -24)


def symmetric(shape, seed, bound):
    """Values in [-bound, bound), as float32(u·2 − 1)·float32(bound)."""
    u = uniform(int(np.prod(shape)), seed)
    return ((u * np.float32(2) - np.float32(1)) * np.float32(bound)).reshape(shape)


def parameter(shape, seed):
    """He-uniform weights (bound √(6/fan-in), so activations keep their scale through ReLUs) for
    tensors of rank 2 and 4, and biases in [-0.1, 0.1)."""
    if len(shape) == 1:
        return symmetric(shape, seed, np.float32(0.1))
    fan_in = int(np.prod(shape[1:]))
    return symmetric(shape, seed, np.float32(1.0 / math.sqrt(fan_in / 6.0)))


def name_seed(name):
    """The 32-bit FNV-1a hash of the name's UTF-8 bytes."""
    h = 0x811C9DC5
    for byte in name.encode():
        h = ((h ^ byte) * 0x01000193) & MASK
    return h


def named_parameter(name, shape):
    """The values of state_dict entry `name`, by its role (the name's last part):
    batch norm's running_mean in [-0.5, 0.5), running_var and its rank-1 weight in [0.5, 1.5)
    (statistics and scale away from the identity, so that a mistake in any of them shows), every
    bias in [-0.1, 0.1), and weights of rank 2 and 4 He-uniform as parameter()."""
    seed = name_seed(name)
    role = name.rsplit(".", 1)[-1]
    half = np.float32(0.5)
    if role == "running_mean":
        return symmetric(shape, seed, half)
    if role == "running_var" or (role == "weight" and len(shape) == 1):
        return np.float32(1) + symmetric(shape, seed, half)
    return parameter(shape, seed)


def state_dict(net):
    """Every floating-point entry of net.state_dict() replaced by named_parameter(); other entries
    (BatchNorm's num_batches_tracked) kept. Load it with net.load_state_dict()."""
    import torch
    return {name: torch.from_numpy(named_parameter(name, tuple(t.shape))) if t.is_floating_point() else t
            for name, t in net.state_dict().items()}
