#!/usr/bin/env bash
# CNN benchmark (issue 15 item 6), in one run, 1 thread on both sides:
#  - PyTorch's float forward (bench/cnn_torch_time.py) against qdse's (qdse_cnn_bench)
#    on the same network and samples, for fmnist-cnn (the peer's trained weights) and
#    torchvision's resnet18 adapted to Fashion-MNIST (models/resnet18_op13.onnx);
#  - the cost of a qdse trial with every layer new, the last stage new, the last layer
#    new (qdse_cnn_bench: pipeline::TrialEvaluator, as `qdse search` runs it);
#  - trials/s and peak RSS of a TPE search over resnet18's per-layer space
#    (configs/resnet18_fmnist.toml, CNN_TRIALS trials, default 100) under /usr/bin/time -v.
#
#   bash bench/cnn_bench.sh                      # ~10 min on 2 cores
#   CNN_TRIALS=200 CNN_SAMPLES=1000 bash bench/cnn_bench.sh
# Environment: BUILD (holds qdse), BENCH_BUILD (holds bench/qdse_cnn_bench; default BUILD),
# PEER_DIR (default ../shared/bench/peer from the project root), OUT (default a new
# /tmp/qdse-cnn-* dir), CNN_SAMPLES (test images timed, default 1000), CNN_MODELS
# (default "fmnist-cnn resnet18"; also mobilenet_v2, models/mobilenet_v2_op13.onnx),
# CNN_TRIALS (0 skips the search).
set -euo pipefail
source "$(dirname "$0")/common.sh"
bench_build="${BENCH_BUILD:-$build}"
out="${OUT:-$(mktemp -d /tmp/qdse-cnn-XXXXXX)}"
samples="${CNN_SAMPLES:-1000}"
models="${CNN_MODELS:-fmnist-cnn resnet18}"
trials="${CNN_TRIALS:-100}"
bench="$bench_build/bench/qdse_cnn_bench"
mkdir -p "$out"
[ -x "$build/qdse" ] || { echo "no $build/qdse: build it first"; exit 1; }
[ -x "$bench" ] || { echo "no $bench: configure with -DQDSE_BUILD_BENCH=ON and build qdse_cnn_bench"; exit 1; }

run() { bench_run "$out" "$@"; }  # run NAME CMD...: common.sh
peak_mb() { awk '/Maximum resident set size/ {printf "%.0f", $6 / 1024}' "$out/$1.time"; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for m in $models; do
  case $m in
    fmnist-cnn) config=configs/fmnist_cnn_w4a4_search.toml; weights=(--weights "$peer/models/fmnist-cnn.json");
                stage=seq_blocks_7 ;;
    resnet18) config=configs/resnet18_fmnist.toml; weights=(); stage=layer4 ;;
    # depthwise-separable: 17 depthwise convs on the integer depthwise kernel
    mobilenet_v2) config=configs/mobilenet_v2_fmnist.toml; weights=(); stage=features_17 ;;
    *) echo "unknown model $m (fmnist-cnn, resnet18, mobilenet_v2)"; exit 1 ;;
  esac
  run "$m.torch" "$python" bench/cnn_torch_time.py --model "$m" --num-samples "$samples" --batch 256 --repeats 5 \
    --peer "$peer"
  run "$m.qdse" "$bench" --config "$config" "${weights[@]}" --num-samples "$samples" --batch 256 --repeats 5 \
    --threads 1 --last-stage "$stage"
  torch_ms=$("$python" -c "import json,sys; print('%.2f' % json.loads(open(sys.argv[1]).read().splitlines()[-1])['median_ms'])" "$out/$m.torch.out")
  qdse_ms=$(awk '/^float forward/ {print $(NF-4)}' "$out/$m.qdse.out")
  echo
  cat "$out/$m.qdse.out"
  echo "  PyTorch float forward: $torch_ms ms; qdse/PyTorch: $(awk -v q="$qdse_ms" -v t="$torch_ms" 'BEGIN {printf "%.2f", q / t}')x (goal <= 1.2x)"
  echo "  peak RSS: qdse_cnn_bench $(peak_mb "$m.qdse") MB, PyTorch $(peak_mb "$m.torch") MB"
done
if [ "$trials" -gt 0 ]; then
  rm -rf "$out/resnet18.tpe.run"
  run resnet18.tpe "$build/qdse" --threads 1 search --config configs/resnet18_fmnist.toml --n-trials "$trials" \
    --timeout 0 --storage memory: --out "$out/resnet18.tpe.run"
  echo
  echo "resnet18 TPE, $trials trials (configs/resnet18_fmnist.toml, 1000 validation samples, 1 thread):"
  grep -E "^time:" "$out/resnet18.tpe.out" "$out/resnet18.tpe.err" | sed 's/^[^:]*:/  /' || true
  echo "  peak RSS $(peak_mb resnet18.tpe) MB (goal for 200 trials: <= 2048 MB)"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "run files in $out"
