"""Writes and reads the safetensors format by hand (Debian has no python3-safetensors).

Format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
and byte range, padded with spaces to a multiple of 8, then the raw little-endian data.
"""
import json
import struct

import numpy as np


def save(tensors, path, metadata=None):
    """Writes {name: float32 array} to `path`, tensors in the order given; int64 arrays (BatchNorm's
    num_batches_tracked) are written as I64."""
    header = {}
    blobs = []
    offset = 0
    for name, array in tensors.items():
        is_i64 = np.asarray(array).dtype == np.int64
        data = np.ascontiguousarray(array, dtype="<i8" if is_i64 else "<f4").tobytes()
        header[name] = {"dtype": "I64" if is_i64 else "F32", "shape": list(np.shape(array)),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load(path):
    """Reads a file written by save() back as {name: float32 array}."""
    with open(path, "rb") as f:
        raw = f.read()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    header.pop("__metadata__", None)
    body = raw[8 + size:]
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = "<i8" if info["dtype"] == "I64" else "<f4"
        out[name] = np.frombuffer(body[begin:end], dtype=dtype).reshape(info["shape"])
    return out
