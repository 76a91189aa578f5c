"""Float (fp32) evaluation time of the peer's fmnist-mlp on the first N test samples,
with the peer's own runner (shared/bench/peer quant.evaluate: batch 1024, no_grad,
accuracy + loss + per-batch latency), 1 torch thread. Median of --repeats runs after
one warm-up; the qdse counterpart is `qdse_eval_bench --float-only`.

    /usr/bin/python3 bench/peer_float_time.py [--num-samples 0] [--repeats 5] [--peer DIR]
Prints one JSON line: samples, accuracy, median_ms, first_ms.
"""
import argparse
import json
import os
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench", "peer"))
    ap.add_argument("--num-samples", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    sys.path.insert(0, args.peer)
    import torch
    import data as peer_data
    import quant as peer_quant
    from models import build_model

    torch.set_num_threads(1)
    base = build_model("fmnist-mlp")
    base.load_state_dict(torch.load(os.path.join(args.peer, "models", "fmnist-mlp.pt")))
    base.eval()
    _, _, x, y = peer_data.load_fmnist()
    if args.num_samples:
        x, y = x[:args.num_samples], y[:args.num_samples]
    x, y = x.contiguous(), y.contiguous()
    times = []
    for _ in range(args.repeats + 1):
        t0 = time.perf_counter()
        r = peer_quant.evaluate(base, x, y, 1024, 10)
        times.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"samples": len(x), "accuracy": r["accuracy"], "first_ms": times[0],
                      "median_ms": statistics.median(times[1:])}))


if __name__ == "__main__":
    main()
