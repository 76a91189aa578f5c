// Quantization-aware fine-tuning: trains a graph's float parameters with a
// QuantConfig in the forward pass (issue 18; docs/finetune.md).
//
// The graph's float parameters are the shadow weights. Every step builds a plan like
// quant::quantize() does for evaluation, but through quant::quantize_ste(): weights and
// biases are quantized on the fly from the current shadow weights and activations are
// quantized where the configuration quantizes them (data_in), with a straight-through
// gradient (clipped to the representable range for integer and minifloat, identity for
// the other formats). The forward pass runs in inference mode (training = false), so
// batch norm keeps the running statistics the search evaluated with (frozen, its affine
// parameters still train) and dropout is off: the loss is that of the evaluated network.
// "auto" fractional widths are resolved once from the given statistics (default: the
// searched format stays the one fine-tuned and evaluated), or re-derived from the
// fine-tuned weights before every epoch and once at the end (rederive_auto).
// learn_scale: every integer (saturating) weight and data_in slot gets a learnable step
// (LSQ, train/ste.hpp), initialised from the resolved format's step 2^-frac_width and
// trained with the weights; the deployable format rounds each learned step to the nearest
// power of two (frac_width = round(-log2 step)), see FinetuneResult.
// Optimizer: Adam (default) or SGD with momentum; the learning rate follows a cosine
// schedule from learning_rate down to 0 over all steps. Deterministic for a seed on one
// machine (seeded shuffling).
// Thread-safety: trains the given graph in place; do not share it meanwhile.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "qdse/exec/executor.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/quant/quant_config.hpp"
#include "qdse/train/trainer.hpp"

namespace qdse::train {

enum class FinetuneOptimizer { Adam, Sgd };

struct FinetuneOptions {
  int epochs = 3;
  int64_t batch_size = 256;
  double learning_rate = 1e-4;
  double weight_decay = 0.0;
  FinetuneOptimizer optimizer = FinetuneOptimizer::Adam;
  double momentum = 0.9;  // SGD only
  bool cosine = true;     // cosine decay of the learning rate to 0 over all steps
  uint64_t seed = 0;
  bool rederive_auto = false;              // re-derive "auto" frac widths from the fine-tuned weights
  quant::CalibrationOptions calibration;   // with rederive_auto: samples of x used for the ranges
  bool learn_scale = false;                // LSQ learned steps (not with rederive_auto)
};

// One learned step (learn_scale): node, slot (weight or data_in), the step it started from
// (2^-frac_width of the resolved format) and the learned one (a scalar float tensor).
struct LearnedStep {
  std::string node;
  quant::Slot slot = quant::Slot::Weight;
  double initial = 0;
  at::Tensor step;
  double learned() const;
};

// The frac width whose step 2^-frac is nearest to `step` in log2 (ties toward the finer
// step), within the formats' frac range [-32, 64]: how a learned step becomes a qdse format.
int frac_width_of_step(double step);

struct FinetuneResult {
  std::vector<EpochStats> history;  // one per epoch (train loss/accuracy with quantization)
  quant::QuantConfig resolved;      // the configuration fine-tuned, "auto" widths as numbers;
                                    // learn_scale: each learned step's frac_width_of_step()
  quant::QuantConfig trained;       // the configuration trained ("auto" resolved; = resolved
                                    // without learn_scale); with `steps` it gives the network trained
  std::vector<LearnedStep> steps;   // learn_scale only
};

// The training plan of one step: weight/bias quantized from the graph's current
// parameters with a straight-through gradient, data_in quantized with one too.
// `config` must have no "auto" slot left. With `steps`, their slots are quantized with the
// learned step (lsq_quantize) instead of the format's. Under torch::NoGradGuard it is the
// evaluation plan of the trained network (learned steps included).
exec::Plan ste_plan(const ir::Graph& graph, const quant::QuantConfig& config,
                    const std::vector<LearnedStep>* steps = nullptr);

// Fine-tunes `graph` in place on (x, y) (and reports validation metrics on (x_val, y_val)
// when given, evaluated quantized). Error(Config) for a slot without a straight-through
// gradient (train/ste.hpp: integer with overflow = wrap), naming the layer. `stats` resolves "auto" widths (required when the
// config has some and rederive_auto is false). Errors: Config for bad options,
// InvalidArgument for empty or mismatched data.
FinetuneResult finetune(ir::Graph& graph, const quant::QuantConfig& config, const quant::RangeStats* stats,
                        const at::Tensor& x, const at::Tensor& y, const at::Tensor& x_val,
                        const at::Tensor& y_val, const FinetuneOptions& options,
                        const TrainCallbacks& callbacks = {});

}  // namespace qdse::train
