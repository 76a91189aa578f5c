#!/usr/bin/env python3
"""hls4ml's own emulation of a qdse export, compared bit for bit with qdse's evaluation.

Reads the files `qdse export --check-dir DIR` writes (model.json, hls4ml_config.json,
inputs.f32, labels.i64, logits.f64), builds the network in PyTorch with the weights qdse
quantized, converts it with hls4ml.converters.convert_from_pytorch_model using qdse's
per-layer precisions (weight, bias, accum, result with their rounding and saturation modes,
ReuseFactor, Strategy), compiles hls4ml's bit-accurate C++ emulation with g++ (no Vivado)
and predicts the whole split (or its first --samples N). Both logits are turned into integer codes of the output
layer's result type (ap_fixed<W,I>: code = value * 2^(W-I)); prints one JSON object with
the number of logits compared, how many codes and predicted labels differ, and the times.
Exit status 0 when the comparison ran (the caller judges the counts), 2 when it could not
(a layer hls4ml names differently, a precision qdse left to hls4ml's default, ...).

  .venv/bin/python tests/cli/hls4ml_bitexact.py DIR [--work WORKDIR] [--jobs N] [--samples N]
"""
import argparse
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time

import numpy as np


def fail(message):
    print(f"hls4ml_bitexact: {message}", file=sys.stderr)
    sys.exit(2)


def build_torch_model(model):
    """An nn.Module whose submodules carry qdse's node names, so that hls4ml's layer names
    (torch.fx node names) are qdse's; forward's argument is qdse's input layer name."""
    import torch
    import torch.nn as nn

    nodes = model["nodes"]
    # A Flatten reading the input is fed flattened samples instead (flat_input): hls4ml
    # 1.3.0's channels-last conversion of Input(1,28,28) -> Flatten -> Dense reorders the
    # Dense weights as a 28x28 transpose of the pixels (docs/hardware.md), and without the
    # conversion it does not transpose PyTorch's Linear weights at all.
    if nodes and nodes[0]["op"] == "flatten":
        nodes = nodes[1:]
        for n in nodes:
            n["inputs"] = [i - 1 for i in n["inputs"]]
    for i, n in enumerate(nodes):
        if n["inputs"] != [i - 1 if i > 0 else -1]:
            fail(f"node {n['name']} does not read the node before it; the check handles chains only")
    arg = model["input_layer"]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", arg):
        fail(f"input layer name {arg!r} is not a Python identifier")

    class QdseNet(nn.Module):
        pass

    net = QdseNet()
    names = []
    for n in nodes:
        if n["op"] == "linear":
            w = torch.tensor(n["weight"], dtype=torch.float32)
            m = nn.Linear(w.shape[1], w.shape[0], bias="bias" in n)
            with torch.no_grad():
                m.weight.copy_(w)
                if "bias" in n:
                    m.bias.copy_(torch.tensor(n["bias"], dtype=torch.float32))
        elif n["op"] == "relu":
            m = nn.ReLU()
        elif n["op"] == "flatten":
            m = nn.Flatten()
        else:
            fail(f"op {n['op']} of {n['name']} is not handled")
        setattr(net, n["name"], m)
        names.append(n["name"])
    body = "".join(f"    {arg} = self.{name}({arg})\n" for name in names)
    scope = {}
    exec(f"def forward(self, {arg}):\n{body}    return {arg}\n", scope)
    QdseNet.forward = scope["forward"]
    return net.eval(), [n["name"] for n in model["nodes"] if n not in nodes]


def hls_config(net, input_shape, dropped, qdse_config):
    import hls4ml

    cfg = hls4ml.utils.config_from_pytorch_model(
        net, input_shape=tuple(input_shape), granularity="name", backend="Vivado")
    layers = cfg["LayerName"]
    for name, entry in qdse_config["LayerName"].items():
        if name in dropped:
            continue
        if name not in layers:
            fail(f"qdse's layer {name} is not a layer of hls4ml's model ({', '.join(layers)})")
        layers[name].setdefault("Precision", {}).update(entry.get("Precision", {}))
        for key in ("ReuseFactor", "Strategy"):
            if key in entry:
                layers[name][key] = entry[key]
    # Nothing may fall back to hls4ml's `auto` or default types: every type hls4ml uses
    # must be one qdse wrote (tables of ReLU are unused by hls4ml's relu).
    for name, entry in layers.items():
        for key, value in entry.get("Precision", {}).items():
            if key != "table" and value == "auto":
                fail(f"{name} {key} is left to hls4ml ('auto'): qdse's export does not set it")
    return cfg


_FORKED_MODEL = None  # the compiled model, inherited by forked workers (not picklable)


def predict_chunk(x):
    return _FORKED_MODEL.predict(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--work", default="")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--samples", type=int, default=0, help="compare the first N samples only (0: all)")
    a = ap.parse_args()
    # hls4ml and the g++ it runs print progress on stdout (file descriptor 1): send it to
    # stderr, and keep the real stdout for the one JSON line.
    sys.stdout.flush()
    result_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    import hls4ml

    model = json.load(open(os.path.join(a.dir, "model.json")))
    qdse_config = json.load(open(os.path.join(a.dir, "hls4ml_config.json")))
    n = model["samples"]
    net, dropped = build_torch_model(model)
    input_shape = [int(np.prod(model["input_shape"]))] if dropped else model["input_shape"]
    x = np.fromfile(os.path.join(a.dir, "inputs.f32"), dtype="<f4").reshape([n] + input_shape).astype(np.float64)
    labels = np.fromfile(os.path.join(a.dir, "labels.i64"), dtype="<i8")
    qdse_logits = np.fromfile(os.path.join(a.dir, "logits.f64"), dtype="<f8").reshape(n, -1)
    if 0 < a.samples < n:  # the first N: emulation costs ~7 ms a sample and core
        n = a.samples
        x, labels, qdse_logits = x[:n], labels[:n], qdse_logits[:n]

    cfg = hls_config(net, input_shape, dropped, qdse_config)
    out_name = model["nodes"][-1]["name"]
    result = cfg["LayerName"][out_name]["Precision"].get("result", "")
    m = re.fullmatch(r"ap_fixed<(\d+),(-?\d+)(,.*)?>", result)
    if not m:
        fail(f"output layer {out_name} has result precision {result!r}, not an ap_fixed qdse wrote")
    frac = int(m.group(1)) - int(m.group(2))

    work = a.work or tempfile.mkdtemp(prefix="qdse-hls4ml-")
    t0 = time.time()
    hm = hls4ml.converters.convert_from_pytorch_model(
        net, hls_config=cfg, output_dir=os.path.join(work, "prj"), backend="Vivado", io_type="io_parallel")
    t1 = time.time()
    # What hls4ml implements each Dense with (the exported ReuseFactor/Strategy in effect).
    impl = {l.name: {"reuse_factor": l.get_attr("reuse_factor"), "strategy": str(l.get_attr("strategy"))}
            for l in hm.get_layers() if l.class_name == "Dense"}
    hm.compile()
    t2 = time.time()
    jobs = max(1, min(a.jobs, n))
    chunks = np.array_split(x, jobs)
    if jobs == 1:
        hls_logits = hm.predict(x)
    else:  # forked workers share the compiled library
        global _FORKED_MODEL
        _FORKED_MODEL = hm
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            hls_logits = np.concatenate(pool.map(predict_chunk, chunks))
    t3 = time.time()
    hls_logits = np.asarray(hls_logits, dtype=np.float64).reshape(n, -1)

    def codes(v):
        s = v * np.float64(2.0) ** frac
        return np.round(s).astype(np.int64), np.count_nonzero(s != np.round(s))

    q_codes, q_off = codes(qdse_logits)
    h_codes, h_off = codes(hls_logits)
    differing = q_codes != h_codes
    q_labels = qdse_logits.argmax(1)
    h_labels = hls_logits.argmax(1)
    first = np.argwhere(differing)[:5].tolist()
    print(json.dumps({
        "hls4ml_version": hls4ml.__version__,
        "samples": n,
        "logits": int(q_codes.size),
        "output_type": result,
        "differing_logits": int(differing.sum()),
        "differing_labels": int((q_labels != h_labels).sum()),
        "off_grid": {"qdse": int(q_off), "hls4ml": int(h_off)},
        "first_differences": [{"sample": i, "class": c, "qdse": float(qdse_logits[i, c]),
                               "hls4ml": float(hls_logits[i, c])} for i, c in first],
        "qdse_accuracy": float((q_labels == labels).mean()),
        "hls4ml_accuracy": float((h_labels == labels).mean()),
        "seconds": {"convert": round(t1 - t0, 2), "compile": round(t2 - t1, 2), "predict": round(t3 - t2, 2)},
        "jobs": jobs,
        "fed_flattened": dropped,
        "impl": impl,
    }), file=result_out)
    result_out.flush()


if __name__ == "__main__":
    main()
