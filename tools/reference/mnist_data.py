"""Reads MNIST-style IDX files (plain or gzipped) into tensors for the reference scripts."""
import gzip, os, struct
import numpy as np
import torch

FASHION = "/usr/share/datasets/fashion-mnist"
SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "mnist-sample")


def _read(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "i" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(which):
    root = FASHION if which == "fashion" else SAMPLE
    def pair(prefix):
        find = lambda n: next(p for p in (os.path.join(root, n), os.path.join(root, n + ".gz")) if os.path.exists(p))
        x = torch.tensor(_read(find(prefix + "-images-idx3-ubyte")).copy())
        y = torch.tensor(_read(find(prefix + "-labels-idx1-ubyte")).astype(np.int64))
        return x, y
    return pair("train"), pair("t10k")
