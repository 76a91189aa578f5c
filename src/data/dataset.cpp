#include "qdse/data/dataset.hpp"

#include <torch/types.h>

#include "qdse/core/error.hpp"
#include "qdse/data/permutation.hpp"

namespace qdse::data {

SplitKind parse_split(std::string_view name) {
  if (name == "train") return SplitKind::Train;
  if (name == "val" || name == "validation") return SplitKind::Validation;
  if (name == "test") return SplitKind::Test;
  throw Error(ErrorKind::Config, "unknown split `" + std::string(name) +
                                     "`; valid names: train, val (or validation), test");
}

std::string_view to_string(SplitKind kind) {
  switch (kind) {
    case SplitKind::Train: return "train";
    case SplitKind::Validation: return "validation";
    case SplitKind::Test: return "test";
  }
  return "?";
}

int64_t Split::size() const { return y.defined() ? y.size(0) : 0; }

const Split& Dataset::split(SplitKind kind) const {
  switch (kind) {
    case SplitKind::Train: return train;
    case SplitKind::Validation: return validation;
    case SplitKind::Test: return test;
  }
  QDSE_ASSERT(false, "bad SplitKind");
}

Split& Dataset::split(SplitKind kind) {
  return const_cast<Split&>(static_cast<const Dataset&>(*this).split(kind));
}

Split take_rows(const Split& split, const std::vector<int64_t>& indices) {
  // from_blob does not own the memory; index_select copies out of it right away.
  auto idx = torch::from_blob(const_cast<int64_t*>(indices.data()),
                              {static_cast<int64_t>(indices.size())}, torch::kInt64);
  Split out;
  out.x = split.x.index_select(0, idx).contiguous();
  out.y = split.y.index_select(0, idx).contiguous();
  return out;
}

Split carve_split(Split& from, double fraction, uint64_t seed) {
  if (!(fraction >= 0.0 && fraction < 1.0)) {
    throw Error(ErrorKind::Config,
                "split fraction must be in [0, 1), got " + std::to_string(fraction));
  }
  const int64_t n = from.size();
  IndexSplit parts = split_indices(n, fraction, seed);
  if (parts.kept.empty() && n > 0) {
    throw Error(ErrorKind::Config, "split fraction " + std::to_string(fraction) + " of " +
                                       std::to_string(n) + " rows leaves no rows to keep");
  }
  if (parts.held_out.empty()) {
    std::vector<int64_t> shape(from.x.sizes().begin() + 1, from.x.sizes().end());
    return make_empty_split(shape);
  }
  Split carved = take_rows(from, parts.held_out);
  from = take_rows(from, parts.kept);
  return carved;
}

Split make_empty_split(const std::vector<int64_t>& sample_shape) {
  std::vector<int64_t> shape{0};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  Split s;
  s.x = torch::empty(shape, torch::kFloat32);
  s.y = torch::empty({0}, torch::kInt64);
  return s;
}

}  // namespace qdse::data
