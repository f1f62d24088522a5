#!/usr/bin/python3
"""Writes the seed corpus of the weights fuzzer (tests/fuzz/seeds_weights): small safetensors files
for the network in tests/fuzz/fuzz_weights.cpp, valid and slightly broken."""
import os

import numpy as np

import safetensors_io

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests/fuzz/seeds_weights")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(0)
tensors = {"0.weight": rng.standard_normal((2, 1, 3, 3)), "0.bias": rng.standard_normal(2),
           "fc.weight": rng.standard_normal((3, 8)), "fc.bias": rng.standard_normal(3)}
safetensors_io.save(tensors, f"{OUT}/valid.safetensors", metadata={"format": "pt"})
safetensors_io.save({k: v for k, v in tensors.items() if k != "fc.bias"}, f"{OUT}/missing.safetensors")
safetensors_io.save({**tensors, "0.weight": rng.standard_normal((2, 1, 5, 5))}, f"{OUT}/misshapen.safetensors")
with open(f"{OUT}/valid.safetensors", "rb") as f:
    raw = f.read()
with open(f"{OUT}/truncated.safetensors", "wb") as f:
    f.write(raw[:len(raw) // 2])
with open(f"{OUT}/f16.safetensors", "wb") as f:
    f.write(raw.replace(b'"F32"', b'"F16"', 1))
