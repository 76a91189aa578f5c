// Trainer: fits a graph's float parameters with Adam and cross-entropy.
//
// Mirrors MASE's `ch train` keys (max_epochs, batch_size, learning_rate, seed).
// Deterministic for a seed on one machine: shuffling uses a seeded generator and
// dropout draws from libtorch's generator, which train() seeds.
// Thread-safety: trains the given graph in place; do not share it meanwhile.
#pragma once

#include <ATen/core/Tensor.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "qdse/ir/graph.hpp"

namespace qdse::train {

struct TrainOptions {
  int max_epochs = 10;
  int64_t batch_size = 256;
  double learning_rate = 1e-3;
  double weight_decay = 0.0;
  uint64_t seed = 0;
};

struct EpochStats {
  int epoch = 0;
  double train_loss = 0;
  double train_accuracy = 0;
  double seconds = 0;
  double samples_per_second = 0;
  double val_accuracy = -1, val_loss = -1;  // -1 when no validation set
};

// The training half of an epoch's stats: mean loss and accuracy over `n` samples from
// their sums, the epoch's seconds since `start` and its throughput (validation unset).
EpochStats training_stats(int epoch, double loss_sum, double correct, int64_t n,
                          std::chrono::steady_clock::time_point start);

// Called after every batch (progress display) and after every epoch.
struct TrainCallbacks {
  std::function<void(int epoch, int64_t batch, int64_t batches, double running_loss)> on_batch;
  std::function<void(const EpochStats&)> on_epoch;
};

std::vector<EpochStats> train(ir::Graph& graph, const at::Tensor& x, const at::Tensor& y,
                              const at::Tensor& x_val, const at::Tensor& y_val,
                              const TrainOptions& options, const TrainCallbacks& callbacks = {});

}  // namespace qdse::train
