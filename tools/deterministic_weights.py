"""Deterministic pseudo-random tensors that C++ (tests/deterministic_tensor.hpp) reproduces bit for
bit: golden data for big networks without committing their weights."""
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
