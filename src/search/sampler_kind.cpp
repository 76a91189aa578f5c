// The sampler table; see include/qdse/search/sampler_kind.hpp. Adding a sampler is one
// row here (plus its enum value and its own files).
#include "qdse/search/sampler_kind.hpp"

#include <array>
#include <cctype>

#include "qdse/core/error.hpp"
#include "qdse/core/kind_table.hpp"
#include "qdse/search/brute_force_sampler.hpp"
#include "qdse/search/random_sampler.hpp"
#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/sensitivity_sampler.hpp"
#include "qdse/search/warm_start_sampler.hpp"

namespace qdse::search {
namespace {

// `seed` in SamplerOptions overrides the per-sampler seeds (sampler_factory.hpp).
std::unique_ptr<Sampler> make_random_sampler(const SamplerOptions& o) {
  return std::make_unique<RandomSampler>(o.seed);
}

std::unique_ptr<Sampler> make_brute_force_sampler(const SamplerOptions&) {
  return std::make_unique<BruteForceSampler>();
}

std::unique_ptr<Sampler> make_tpe_sampler(const SamplerOptions& o) {
  TpeOptions tpe = o.tpe;
  tpe.seed = o.seed;
  return with_warm_start(std::make_unique<TpeSampler>(std::move(tpe)),
                         o.warm_start.tpe ? o.warm_start.configs : std::vector<ParamVector>{});
}

std::unique_ptr<Sampler> make_nsgaii_sampler(const SamplerOptions& o) {
  NsgaIIOptions nsga = o.nsgaii;
  nsga.seed = o.seed;
  return with_warm_start(std::make_unique<NsgaIISampler>(nsga),
                         o.warm_start.nsgaii ? o.warm_start.configs : std::vector<ParamVector>{});
}

std::unique_ptr<Sampler> make_sensitivity_sampler(const SamplerOptions& o) {
  SensitivitySamplerOptions sens = o.sensitivity;
  sens.seed = o.seed;
  return std::make_unique<SensitivitySampler>(std::move(sens));
}

constexpr std::array<SamplerInfo, kSamplerKindCount> kSamplerRows = {{
    {SamplerKind::Random, "random", "", false,
     "independent uniform draws (log-uniform for log floats); may repeat a configuration", make_random_sampler},
    {SamplerKind::BruteForce, "bruteforce", "", true,
     "every configuration of a finite space once, first parameter outermost", make_brute_force_sampler},
    {SamplerKind::Tpe, "tpe", "", false,
     "tree-structured Parzen estimator (Optuna's TPESampler; MOTPE for several objectives)", make_tpe_sampler},
    {SamplerKind::NsgaII, "nsgaii", "nsga2", false,
     "NSGA-II genetic algorithm (Optuna's NSGAIISampler)", make_nsgaii_sampler},
    {SamplerKind::Sensitivity, "sensitivity", "", false,
     "measures every single-layer change from the most precise configuration, then proposes the exact optimum "
     "(or front) of a refitted additive model",
     make_sensitivity_sampler},
}};

// Names and aliases are stored as normalized_sampler_name() writes them, so matching is one compare.
// (The space in `aliases` separates names.)
constexpr bool sampler_name_is_normalized(std::string_view s) {
  for (char c : s)
    if (c == '_' || c == '-' || (c >= 'A' && c <= 'Z')) return false;
  return true;
}

// Row k describes kind k, so info_of is an index and a row cannot be skipped or swapped.
constexpr bool sampler_rows_in_enum_order() {
  for (std::size_t k = 0; k < kSamplerRows.size(); ++k) {
    const auto& row = kSamplerRows[k];
    if (static_cast<std::size_t>(row.kind) != k || row.name.empty() || row.make == nullptr ||
        !sampler_name_is_normalized(row.name))
      return false;
    if (!sampler_name_is_normalized(row.aliases)) return false;
  }
  return true;
}
static_assert(kSamplerRows.size() == kSamplerKindCount, "one row per SamplerKind");
static_assert(sampler_rows_in_enum_order(), "kSamplerRows must list every SamplerKind in enum order");

// Lower case without `_`, `-` and spaces: "Brute_Force" and "brute force" both read "bruteforce".
std::string normalized_sampler_name(std::string_view name) {
  std::string out;
  for (char c : name)
    if (c != '_' && c != '-' && c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::span<const SamplerInfo> sampler_table() { return kSamplerRows; }

const SamplerInfo& info_of(SamplerKind kind) { return row_of_kind<SamplerInfo>(kSamplerRows, kind, "SamplerKind"); }

std::string_view name_of(SamplerKind kind) { return info_of(kind).name; }

std::optional<SamplerKind> find_sampler_kind(std::string_view name) {
  const std::string key = normalized_sampler_name(name);
  if (key.empty()) return std::nullopt;
  for (const auto& row : kSamplerRows) {
    if (key == row.name) return row.kind;
    for (std::string_view rest = row.aliases; !rest.empty();) {  // space-separated
      const auto space = rest.find(' ');
      if (rest.substr(0, space) == key) return row.kind;
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
  }
  return std::nullopt;
}

SamplerKind parse_sampler_kind(std::string_view name) {
  if (auto kind = find_sampler_kind(name)) return *kind;
  throw Error(ErrorKind::InvalidArgument,
              "unknown sampler `" + std::string(name) + "`; valid names: " + sampler_name_list());
}

std::string sampler_name_list() {
  std::string out;
  for (const auto& row : kSamplerRows) out += (out.empty() ? "" : ", ") + std::string(row.name);
  return out;
}

}  // namespace qdse::search
