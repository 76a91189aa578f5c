// make_sampler: builds a sampler from its kind or its name, for the CLI and config files.
// The samplers, their names and aliases are one table: sampler_kind.hpp.
//
// Ownership: returns a fresh sampler owned by the caller. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qdse/search/nsgaii_sampler.hpp"
#include "qdse/search/sampler.hpp"
#include "qdse/search/sampler_kind.hpp"
#include "qdse/search/sensitivity_sampler_options.hpp"
#include "qdse/search/tpe_sampler.hpp"

namespace qdse::search {

// Options for make_sampler. `seed` seeds whichever sampler is built (it overrides
// tpe.seed / nsgaii.seed); the other fields are read only by their sampler.
struct SamplerOptions {
  std::uint64_t seed = 0;
  TpeOptions tpe;
  NsgaIIOptions nsgaii;
  SensitivitySamplerOptions sensitivity;
  WarmStartOptions warm_start;  // tpe / nsgaii only
};

std::unique_ptr<Sampler> make_sampler(SamplerKind kind, const SamplerOptions& options = {});

// By name: parse_sampler_kind(name) ("random", "bruteforce", "tpe", "nsgaii"; case and
// `_`/`-`/space ignored, "nsga2" accepted). Throws qdse::Error listing the valid names
// for anything else.
std::unique_ptr<Sampler> make_sampler(std::string_view name, const SamplerOptions& options = {});

// The canonical names in table order, for help texts.
std::vector<std::string> sampler_names();

}  // namespace qdse::search
