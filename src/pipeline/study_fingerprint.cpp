// Study description and input fingerprint; see include/qdse/pipeline/study_fingerprint.hpp.
#include "qdse/pipeline/study_fingerprint.hpp"

#include <torch/types.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <variant>

#include "qdse/core/error.hpp"
#include "qdse/data/preprocess.hpp"
#include "qdse/search/space.hpp"

namespace qdse::pipeline {
namespace {

// FNV-1a's 64-bit step over 8-byte words (then the bytes left): not cryptographic, but
// any change of a weight or sample changes it with overwhelming probability, which is
// all a resume check needs; a word at a time hashes the 31 MB of Fashion-MNIST's test
// split in ~15 ms instead of ~100 ms byte by byte.
class Fnv1a {
 public:
  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      h_ = (h_ ^ word) * 1099511628211ull;
    }
    for (; i < n; ++i) h_ = (h_ ^ p[i]) * 1099511628211ull;
  }
  void text(const std::string& s) { bytes(s.data(), s.size() + 1); }  // + the NUL: "ab"+"c" != "a"+"bc"
  void integer(int64_t v) { bytes(&v, sizeof v); }
  void doubles(const std::vector<double>& v) {
    integer(static_cast<int64_t>(v.size()));
    bytes(v.data(), v.size() * sizeof(double));
  }
  void tensor(const at::Tensor& t) {
    if (!t.defined()) return integer(-1);
    const at::Tensor c = t.contiguous();
    text(c10::toString(c.scalar_type()));
    for (int64_t d : c.sizes()) integer(d);
    bytes(c.data_ptr(), c.nbytes());
  }
  std::string hex() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "fnv1a64w:%016llx", static_cast<unsigned long long>(h_));
    return buf;
  }

 private:
  uint64_t h_ = 14695981039346656037ull;
};

std::string weights_hash(const ir::Graph& graph) {
  Fnv1a h;
  for (const auto& node : graph.nodes())
    for (const auto& [key, t] : node.params) {
      h.text(node.name + "." + key);
      h.tensor(t);
    }
  return h.hex();
}

std::string tensor_hash(const at::Tensor& t) {
  Fnv1a h;
  h.tensor(t);
  return h.hex();
}

std::string stats_hash(const quant::RangeStats& s) {
  Fnv1a h;
  h.doubles(s.input_absmax);
  h.doubles(s.weight_absmax);
  h.doubles(s.bias_absmax);
  return h.hex();
}

std::string shorten(const nlohmann::json& v) {
  std::string s = v.is_null() ? std::string("(absent)") : v.dump();
  return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

void diff(const nlohmann::json& a, const nlohmann::json& b, const std::string& path, std::vector<std::string>& out) {
  const auto item = [&](const std::string& what) { out.push_back((path.empty() ? "description" : path) + ": " + what); };
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : a.items()) keys.insert(k);
    for (const auto& [k, v] : b.items()) keys.insert(k);
    for (const auto& k : keys) {
      const auto ia = a.find(k), ib = b.find(k);
      diff(ia == a.end() ? nlohmann::json() : *ia, ib == b.end() ? nlohmann::json() : *ib,
           path.empty() ? k : path + "." + k, out);
    }
    return;
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (std::size_t i = 0; i < a.size(); ++i) diff(a[i], b[i], path + "[" + std::to_string(i) + "]", out);
    return;
  }
  if (a == b) return;
  if (a.is_array() && b.is_array())
    item("stored " + std::to_string(a.size()) + " entries " + shorten(a) + ", now " + std::to_string(b.size()) +
         " entries " + shorten(b));
  else
    item("stored " + shorten(a) + ", now " + shorten(b));
}

}  // namespace

nlohmann::json input_fingerprint(const Workspace& ws, const QuantSpace& space, const SearchConfig& config,
                                 const quant::RangeStats& stats) {
  const StrategyConfig& strategy = config.strategy;
  const auto& split = ws.dataset.split(strategy.split);
  const int64_t n = strategy.eval.num_samples > 0 ? std::min(strategy.eval.num_samples, split.size()) : split.size();
  const auto used = [&](const at::Tensor& t) { return t.defined() ? t.slice(0, 0, n) : t; };
  const auto& pre = ws.dataset.preprocess;
  nlohmann::json calibration = nullptr;
  if (space.uses_auto_frac()) {
    const auto& c = space.calibration();
    calibration = {{"num_samples", c.num_samples},
                   {"statistic", c.statistic == quant::CalibrationOptions::Statistic::Max ? "max" : "percentile"},
                   {"percentile", c.percentile},
                   {"ranges", stats_hash(stats)}};
  }
  return {{"weights", weights_hash(ws.graph)},
          {"dataset",
           {{"name", ws.dataset.name},
            {"split", std::string(data::to_string(strategy.split))},
            {"num_samples", n},
            {"samples", tensor_hash(used(split.x))},
            {"labels", tensor_hash(used(split.y))}}},
          {"preprocessing", {{"kind", std::string(data::to_string(pre.kind))}, {"mean", pre.mean}, {"std", pre.std}}},
          {"calibration", calibration},
          {"quantizer_semantics", kQuantizerSemanticsVersion}};
}

nlohmann::json study_description(const Workspace& ws, const QuantSpace& space, const SearchConfig& config,
                                 const quant::RangeStats& stats) {
  const StrategyConfig& st = config.strategy;
  nlohmann::json params = nlohmann::json::array();
  const auto& s = space.space();
  for (std::size_t i = 0; i < s.n_params(); ++i) {
    // Every param of a QuantSpace is categorical: its choices as values of their type.
    nlohmann::json choices = nlohmann::json::array();
    for (const auto& c : space.choices(i)) choices.push_back(choice_json(c));
    params.push_back({{"name", s.name(i)}, {"choices", choices}});
  }
  nlohmann::json metrics = nlohmann::json::array();
  for (const auto& m : st.metrics)
    metrics.push_back({{"name", m.name}, {"scale", m.scale}, {"direction", std::string(search::to_string(m.direction))}});
  nlohmann::json constraints = nlohmann::json::object();
  for (const auto& k : st.constraints) constraints[k.metric] = k.text;
  nlohmann::json evaluation = {{"split", std::string(data::to_string(st.split))},
                               {"num_samples", st.eval.num_samples},
                               {"sum_scaled_metrics", st.sum_scaled_metrics},
                               {"metrics", metrics},
                               {"constraints", constraints}};
  // The FPGA target decides every hw metric; only present with one, so studies without
  // a [search.strategy.hw_runner.fpga] table keep their description.
  if (st.eval.hw) evaluation["hw"] = hw_target_json(*st.eval.hw);
  // Multi-fidelity decides which trials stop as Pruned, so a study is resumed only with the
  // same rungs and bound; only present when enabled, so other studies keep their description.
  if (st.eval.fidelity.enabled)
    evaluation["multi_fidelity"] = {
        {"rungs", st.eval.fidelity.rungs},
        {"margin", st.eval.fidelity.margin ? nlohmann::json(*st.eval.fidelity.margin) : nlohmann::json(nullptr)}};
  return {{"kind", "qdse mixed_precision_ptq"},
          {"model", ws.config.model},
          {"params", params},
          {"evaluation", evaluation},
          {"fingerprint", input_fingerprint(ws, space, config, stats)}};
}

std::vector<std::string> differences(const nlohmann::json& stored, const nlohmann::json& given, std::size_t max_items) {
  std::vector<std::string> all;
  diff(stored, given, "", all);
  if (all.size() <= max_items) return all;
  const std::size_t more = all.size() - max_items;
  all.resize(max_items);
  all.push_back("and " + std::to_string(more) + " more");
  return all;
}

std::string resumable_description(const nlohmann::json& stored, const nlohmann::json& given,
                                  const std::string& context, std::string* warning) {
  if (stored.is_discarded()) return given.dump();  // (unreadable: the storage says why)
  // A study another tool created (Optuna, in a journal file): qdse knows only the params
  // its trials used ({"params": [...]}, journal_storage.hpp). The storage adopts it with
  // `given` after checking every trial's distributions against it, so it is not refused
  // here for lacking the model, scoring and fingerprint Optuna never wrote.
  if (stored.is_object() && stored.size() == 1 && stored.contains("params")) return given.dump();
  // Equal as JSON (a choice 1.0 stored as 1 by a qdse that wrote choices as text): the
  // stored text, which the storage compares byte for byte.
  if (stored == given) return stored.dump();
  nlohmann::json compared = given;
  const bool before_fingerprints = stored.is_object() && !stored.contains("fingerprint");
  if (before_fingerprints) {
    compared.erase("fingerprint");
    if (stored == compared) {
      if (warning)
        *warning = context + " was created by a qdse that did not store the fingerprint of its inputs: resuming it "
                   "without checking that its trials used the same weights, dataset, preprocessing and calibration";
      return stored.dump();
    }
  }
  std::string items;
  for (auto item : differences(stored, compared)) {
    if (item.rfind("fingerprint.", 0) == 0) item = item.substr(12);  // "weights: ..." reads better
    items += (items.empty() ? "" : "; ") + item;
  }
  nlohmann::json stored_rest = stored;
  if (stored_rest.is_object()) stored_rest.erase("fingerprint");
  compared.erase("fingerprint");
  const bool other_space = stored_rest != compared;  // params, model or scoring
  throw Error(ErrorKind::Storage, context + " was created with " +
                                      (other_space ? "another search space" : "other inputs") +
                                      ", so its trials would not be comparable: " + items +
                                      " (use a new study name, --study, to search with these)");
}

}  // namespace qdse::pipeline
