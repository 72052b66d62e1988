#!/usr/bin/python3
"""Trains a depthwise-separable CNN in the style of the keyword-spotting DS-CNN
(conv, then depthwise 3x3 + pointwise 1x1 blocks, global average pool, dense) and exports it
to ONNX (opset 13, batch 1), with a held-out test subset.

The data is Fashion-MNIST (28x28 clothing images, Debian package dataset-fashion-mnist),
not speech: the network has the shape of a KWS model, the images stand in for the
spectrogram-like 2-D input it would get on a device.

    apt-get install python3-torch dataset-fashion-mnist
    /usr/bin/python3 models/ds_cnn_fashion/train.py
    node tools/onnx_reference.js models/ds_cnn_fashion

Training uses 20,000 training images; test_x.npy / test_y.npy keep the first 256 images of
the official test set (t10k), which training never sees.
"""
import gzip
import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/usr/share/datasets/fashion-mnist"
N_TRAIN, N_KEEP = 20000, 256


def load_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    if raw[2] == 8 and raw[3] == 3:  # images: magic, count, rows, cols
        n, r, c = (int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, 1, r, c)
    return np.frombuffer(raw, np.uint8, offset=8)


def ds_block(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False),
        nn.BatchNorm2d(cin), nn.ReLU(),
        nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class DSCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            ds_block(16, 32, 1), ds_block(32, 32, 2), ds_block(32, 64, 1), ds_block(64, 64, 1),
            nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))

    def forward(self, x):
        return self.head(self.body(x))


def main():
    torch.manual_seed(0)
    xtr = load_idx("train-images-idx3-ubyte.gz")[:N_TRAIN].astype(np.float32) / 255.0
    ytr = load_idx("train-labels-idx1-ubyte.gz")[:N_TRAIN].astype(np.int64)
    xte = load_idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    yte = load_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
    xtr_t, ytr_t = torch.from_numpy(xtr), torch.from_numpy(ytr)

    model = DSCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(6):
        model.train()
        perm = torch.randperm(N_TRAIN)
        for i in range(0, N_TRAIN, 100):
            idx = perm[i:i + 100]
            opt.zero_grad()
            loss = loss_fn(model(xtr_t[idx]), ytr_t[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(torch.from_numpy(xte[:2000])).argmax(1).numpy() == yte[:2000]).mean()
        print(f"epoch {epoch}: loss {loss.item():.3f}, test accuracy {acc:.4f} (2000 images)")

    print(f"parameters: {sum(p.numel() for p in model.parameters())}")
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), os.path.join(HERE, "model.onnx"),
                      input_names=["image"], output_names=["logits"], opset_version=13)
    np.save(os.path.join(HERE, "test_x.npy"), np.ascontiguousarray(xte[:N_KEEP]))
    np.save(os.path.join(HERE, "test_y.npy"), yte[:N_KEEP])


if __name__ == "__main__":
    main()
