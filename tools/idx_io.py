"""Reads and writes IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or plain."""
import gzip
import struct

import numpy as np

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def read(path):
    """Returns the uint8 array stored in an IDX file (`.gz` is decompressed)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype, rank = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    return np.frombuffer(raw[4 + 4 * rank:], dtype=np.uint8).reshape(dims)


def write(array, path):
    """Writes a uint8 array as an uncompressed IDX file."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    with open(path, "wb") as f:
        f.write(struct.pack(">HBB", 0, 0x08, array.ndim))
        f.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        f.write(array.tobytes())


def fashion_mnist(split):
    """(images uint8 N×28×28, labels uint8 N) of the 'train' or 't10k' split."""
    images = read(f"{FASHION_MNIST}/{split}-images-idx3-ubyte.gz")
    labels = read(f"{FASHION_MNIST}/{split}-labels-idx1-ubyte.gz")
    return images, labels
