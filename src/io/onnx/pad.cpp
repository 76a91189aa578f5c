// Pad: constant zero padding of the spatial axes. qdse has no pad node: a Pad whose pads
// are all zero is the identity (PyTorch 1.13 writes such Pads before AveragePool), and
// non-zero padding is absorbed by the Conv or AveragePool that reads it, which pad with
// zeros themselves (AveragePool then counts the padded zeros, as the explicit Pad does).
// Any other use of padding, reflect/edge modes and non-zero values are clear errors.
#include <torch/types.h>

#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io::onnx_detail {

void ImportContext::defer_padding(const onnx::NodeProto& pad, std::vector<int64_t> pads) {
  deferred_pads_[pad.output(0)] = {pad, std::move(pads)};
}

std::optional<std::vector<int64_t>> ImportContext::take_padding(const std::string& name) {
  auto it = deferred_pads_.find(name);
  if (it == deferred_pads_.end()) return std::nullopt;
  auto pads = it->second.second;
  deferred_pads_.erase(it);
  return pads;
}

void ImportContext::check_padding_absorbed() const {
  if (deferred_pads_.empty()) return;
  fail(deferred_pads_.begin()->second.first,
       "non-zero padding is supported only when a Conv or AveragePool reads the padded value");
}

void absorb_padding(ImportContext& c, const onnx::NodeProto& n, Window2d& w) {
  const auto extra = c.take_padding(n.input(0));
  if (!extra) return;
  const auto& p = *extra;
  if (p[0] != p[2] || p[1] != p[3])
    c.fail(n, "the Pad before it is asymmetric ([" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ", " +
                  std::to_string(p[2]) + ", " + std::to_string(p[3]) + "]); begin and end padding must match");
  w.padding[0] += p[0];
  w.padding[1] += p[1];
}

namespace {

void pad(ImportContext& c, const onnx::NodeProto& n) {
  const std::string mode = attr_string(c, n, "mode", "constant");
  if (mode != "constant") c.fail(n, "mode '" + mode + "' is not supported (only constant zero padding)");
  std::vector<int64_t> pads;
  double value = 0;
  if (c.opset() < 11) {
    pads = attr_ints(c, n, "pads", {});
    value = attr_float(c, n, "value", 0);
  } else {
    pads = to_int_vector(c, n, c.constant_input(n, 1));
    if (c.has_input(n, 2)) {
      const at::Tensor& v = c.constant_input(n, 2);
      if (v.numel() != 1) c.fail(n, "constant_value must be a scalar");
      value = v.to(at::kDouble).item<double>();
    }
    if (c.has_input(n, 3)) c.fail(n, "the axes input is not supported");
  }
  const bool constant = c.is_constant_input(n, 0);
  const at::Tensor in = constant ? c.constant_input(n, 0) : c.data_input(n, 0).sample;
  const int64_t rank = in.dim();
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    c.fail(n, "pads has " + std::to_string(pads.size()) + " values for a rank-" + std::to_string(rank) + " input");
  if (constant) {
    // torch's constant_pad_nd lists (begin, end) pairs from the last axis backwards.
    std::vector<int64_t> torch_pads;
    for (int64_t i = rank - 1; i >= 0; --i) {
      torch_pads.push_back(pads[i]);
      torch_pads.push_back(pads[i + rank]);
    }
    c.define_constant(n.output(0), at::constant_pad_nd(in, torch_pads, value));
    return;
  }
  const bool all_zero = std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; });
  if (all_zero) {
    c.alias_output(n, c.value(n, n.input(0)));
    return;
  }
  for (int64_t p : pads)
    if (p < 0) c.fail(n, "negative pads (cropping) are not supported");
  if (value != 0) c.fail(n, "padding with " + std::to_string(value) + " is not supported (only zeros)");
  if (rank != 4 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0)
    c.fail(n, "only the two spatial axes of a 4-D [N, C, H, W] input can be padded");
  if (c.consumers(n.output(0)) != 1)
    c.fail(n, "non-zero padding is supported only when one Conv or AveragePool reads the padded value");
  c.alias_output(n, c.value(n, n.input(0)));
  c.defer_padding(n, {pads[2], pads[3], pads[6], pads[7]});
}

}  // namespace

void register_pad_handlers(HandlerTable& t) { t["Pad"] = pad; }

}  // namespace qdse::io::onnx_detail
