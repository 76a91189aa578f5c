#!/usr/bin/env python3
"""Exports torchvision classifiers adapted to Fashion-MNIST (1x28x28 inputs, 10 classes)
as ONNX, the way a user exports a trained model, plus fixed inputs and PyTorch's logits
so that qdse's import can be checked against PyTorch.

    /usr/bin/python3 scripts/export-torchvision.py OUT_DIR [--models a,b] [--opsets 11,13,17]
                                                   [--train-epochs N] [--train-limit M]

Writes OUT_DIR/<model>_op<opset>.onnx, OUT_DIR/<model>.input.f32 (float32, [4,1,28,28])
and OUT_DIR/<model>.logits.f32 (float32, [4,10]). Weights are torchvision's random
initialisation under a fixed seed (no download); batch axis dynamic. With --train-epochs N
the model is first trained in PyTorch, as a user trains before exporting: N epochs of Adam
(lr 1e-3, batch 128) on the first M Fashion-MNIST training images (all when M = 0), inputs
normalized as qdse's `preprocess = "normalize"` (mean 0.2860, std 0.3530); the PyTorch
test accuracy is printed, to set beside `qdse eval`'s. Deep nets lose their batch norms to
the exporter's folding, so training them in qdse from the exported graph works poorly
(mobilenet_v2 stays at chance): train here.

Adaptation: the first conv takes one channel; the classifier has 10 outputs; networks
whose downsampling would shrink 28x28 below 1x1 lose one stage of it, as CIFAR-style ports
do: vgg its last max pool (and pools to 1x1 before its classifier), densenet its stem stride and stem pool.
"""
import argparse
import gzip
import os
import sys
import time

import torch
import torch.nn as nn
import torchvision.models as tvm

MODELS = ["resnet18", "resnet34", "mobilenet_v2", "mobilenet_v3_small", "shufflenet_v2_x0_5", "squeezenet1_1",
          "mnasnet0_5", "efficientnet_b0", "regnet_x_400mf", "vgg11_bn", "densenet121"]


def first_conv_to_one_channel(model):
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            new = nn.Conv2d(1, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups,
                            m.bias is not None)
            parent = model
            *path, leaf = name.split(".")
            for p in path:
                parent = getattr(parent, p)
            setattr(parent, leaf, new)
            return new
    raise RuntimeError("no conv")


def build(name):
    torch.manual_seed(0)
    kwargs = {"num_classes": 10}
    model = getattr(tvm, name)(**kwargs)
    conv = first_conv_to_one_channel(model)
    if name.startswith("vgg"):
        model.features[-1] = nn.Identity()  # five 2x2 pools would take 28x28 below 1x1
        model.avgpool = nn.AdaptiveAvgPool2d(1)  # 7x7 from 1x1 does not export
        model.classifier[0] = nn.Linear(512, model.classifier[0].out_features)
    if name.startswith("densenet"):
        conv.stride = (1, 1)
        model.features.pool0 = nn.Identity()
    # Non-trivial batch-norm statistics, so that folding and eval-mode BN are exercised.
    with torch.no_grad():
        g = torch.Generator().manual_seed(1)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    return model.eval()


FMNIST = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist
MEAN, STD = 0.2860, 0.3530


def load_fmnist(split, limit):
    """Images as normalized float [N,1,28,28] and labels, from the IDX files."""
    prefix = "train" if split == "train" else "t10k"
    with gzip.open(os.path.join(FMNIST, prefix + "-images-idx3-ubyte.gz")) as f:
        images = torch.frombuffer(bytearray(f.read()[16:]), dtype=torch.uint8).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(FMNIST, prefix + "-labels-idx1-ubyte.gz")) as f:
        labels = torch.frombuffer(bytearray(f.read()[8:]), dtype=torch.uint8).long()
    if limit:
        images, labels = images[:limit], labels[:limit]
    return (images.float() / 255 - MEAN) / STD, labels


def train(model, epochs, limit):
    x, y = load_fmnist("train", limit)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    model.train()
    for epoch in range(epochs):
        start = time.time()
        order = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), 128):
            idx = order[i:i + 128]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        print("  epoch %d: loss %.4f (%.0f s)" % (epoch + 1, loss.item(), time.time() - start), file=sys.stderr)
    model.eval()
    tx, ty = load_fmnist("test", 0)
    with torch.no_grad():
        correct = sum((model(tx[i:i + 500]).argmax(1) == ty[i:i + 500]).sum().item() for i in range(0, len(ty), 500))
    print("  PyTorch test accuracy %.4f" % (correct / len(ty)), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--opsets", default="11,13,17")
    ap.add_argument("--train-epochs", type=int, default=0)
    ap.add_argument("--train-limit", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    cores = torch.get_num_threads()
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    for name in args.models.split(","):
        model = build(name)
        if args.train_epochs > 0:
            torch.set_num_threads(cores)
            train(model, args.train_epochs, args.train_limit)
        torch.set_num_threads(1)
        with torch.no_grad():
            logits = model(x)
        x.numpy().astype("float32").tofile(os.path.join(args.out, name + ".input.f32"))
        logits.numpy().astype("float32").tofile(os.path.join(args.out, name + ".logits.f32"))
        for opset in (int(o) for o in args.opsets.split(",")):
            path = os.path.join(args.out, "%s_op%d.onnx" % (name, opset))
            torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        print(name, "ok", file=sys.stderr)


if __name__ == "__main__":
    main()
