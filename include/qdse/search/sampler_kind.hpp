// SamplerKind: the samplers qdse has, as one table (src/search/sampler_kind.cpp), the
// way ir/op_kind.hpp lists the ops.
//
// Everything that knows a sampler by name reads this table: the config key
// `search.strategy.setup.sampler`, `--sampler`, `qdse compare --strategies`, help texts,
// error messages and `make_sampler`. Names are matched ignoring case and the
// separators `_`, `-` and space ("Brute_Force" is bruteforce, "NSGA-II" is nsgaii);
// aliases are written in that normalized form.
//
// Adding a sampler: its own header + .cpp in search/, an enum value here before
// `Count`, and one row in kSamplerRows (sampler_kind.cpp) with its name, aliases,
// traits, description and factory. A static_assert there fails until the row exists
// and is in enum order; nothing else needs to change.
// Thread-safety: the table is immutable; every function is thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace qdse::search {

class Sampler;
struct SamplerOptions;  // sampler_factory.hpp

enum class SamplerKind { Random, BruteForce, Tpe, NsgaII, Sensitivity, Count };

inline constexpr std::size_t kSamplerKindCount = static_cast<std::size_t>(SamplerKind::Count);

struct SamplerInfo {
  SamplerKind kind;
  std::string_view name;                    // canonical: configs, outputs, Sampler::name()
  std::string_view aliases;  // other accepted names, space-separated, normalized (lower case, no separators)
  // Proposes every configuration of a finite space once, then stops: a run has as many
  // trials as the space has cells (`qdse compare` runs it once, the progress bar counts
  // cells), and spaces with a float parameter are refused.
  bool exhaustive;
  std::string_view description;  // one line, for help texts and docs
  std::unique_ptr<Sampler> (*make)(const SamplerOptions& options);
};

// Every row, in enum order.
std::span<const SamplerInfo> sampler_table();
const SamplerInfo& info_of(SamplerKind kind);
std::string_view name_of(SamplerKind kind);

// The kind a name or alias stands for (see the matching rule above); throws
// qdse::Error(InvalidArgument) "unknown sampler `x`; valid names: random, ..." for
// anything else.
SamplerKind parse_sampler_kind(std::string_view name);
// The same match without throwing: nullopt for an unknown name.
std::optional<SamplerKind> find_sampler_kind(std::string_view name);

// "random, bruteforce, tpe, nsgaii, sensitivity": the canonical names in table order, for messages.
std::string sampler_name_list();

}  // namespace qdse::search
