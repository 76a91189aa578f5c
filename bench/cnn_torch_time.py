"""PyTorch's float forward time of a CNN on the first N Fashion-MNIST test images, the
other side of bench/cnn_bench.cpp (driven by bench/cnn_bench.sh): 1 torch thread,
eval mode, no_grad, batches of --batch, median of --repeats after one warm-up.

    /usr/bin/python3 bench/cnn_torch_time.py --model resnet18|fmnist-cnn [--num-samples 1000]
                                             [--batch 256] [--repeats 5] [--peer DIR]

resnet18: torchvision's, adapted as scripts/export-torchvision.py does (one input
channel, 10 classes) with each batch norm folded into its conv, as the ONNX export
that qdse runs has them (random weights: the time of a dense float forward does not
depend on them). fmnist-cnn: the peer's model with its trained weights. Prints one JSON
line: model, samples, median_ms, first_ms, accuracy.
"""
import argparse
import importlib.util
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def fold_batch_norms(model):
    """Every BatchNorm2d registered right after a Conv2d is folded into it."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    prev_name, prev = None, None
    for name, m in list(model.named_modules()):
        if isinstance(m, nn.BatchNorm2d) and isinstance(prev, nn.Conv2d):
            fused = fuse_conv_bn_eval(prev, m)
            for target, new in ((prev_name, fused), (name, nn.Identity())):
                parent = model
                *path, leaf = target.split(".")
                for p in path:
                    parent = getattr(parent, p)
                setattr(parent, leaf, new)
        prev_name, prev = name, m
    return model


def build(name, peer):
    if name == "fmnist-cnn":
        sys.path.insert(0, peer)
        from models import build_model
        model = build_model("fmnist-cnn")
        model.load_state_dict(torch.load(os.path.join(peer, "models", "fmnist-cnn.pt")))
        return model.eval()
    spec = importlib.util.spec_from_file_location("export_tv", os.path.join(ROOT, "scripts", "export-torchvision.py"))
    export_tv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(export_tv)
    return fold_batch_norms(export_tv.build(name)).eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--num-samples", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--peer", default=os.path.join(ROOT, "..", "shared", "bench", "peer"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    spec = importlib.util.spec_from_file_location("export_tv_data", os.path.join(ROOT, "scripts", "export-torchvision.py"))
    data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(data)
    x, y = data.load_fmnist("test", args.num_samples)
    model = build(args.model, args.peer)
    times, correct = [], 0
    with torch.no_grad():
        for _ in range(args.repeats + 1):
            t0 = time.perf_counter()
            correct = 0
            for i in range(0, len(y), args.batch):
                correct += (model(x[i:i + args.batch]).argmax(1) == y[i:i + args.batch]).sum().item()
            times.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"model": args.model, "samples": len(y), "median_ms": statistics.median(times[1:]),
                      "first_ms": times[0], "accuracy": correct / len(y)}))


if __name__ == "__main__":
    main()
