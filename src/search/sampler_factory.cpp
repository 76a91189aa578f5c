#include "qdse/search/sampler_factory.hpp"

#include <algorithm>
#include <cctype>

#include "qdse/core/error.hpp"
#include "qdse/search/brute_force_sampler.hpp"
#include "qdse/search/random_sampler.hpp"

namespace qdse::search {

std::vector<std::string> sampler_names() { return {"random", "bruteforce", "tpe", "nsgaii"}; }

std::unique_ptr<Sampler> make_sampler(std::string_view name, const SamplerOptions& options) {
  std::string key(name);
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  if (key == "random") return std::make_unique<RandomSampler>(options.seed);
  if (key == "bruteforce" || key == "brute_force" || key == "brute-force") return std::make_unique<BruteForceSampler>();
  if (key == "tpe") {
    TpeOptions tpe = options.tpe;
    tpe.seed = options.seed;
    return std::make_unique<TpeSampler>(std::move(tpe));
  }
  if (key == "nsgaii" || key == "nsga2" || key == "nsga-ii" || key == "nsga_ii") {
    NsgaIIOptions nsga = options.nsgaii;
    nsga.seed = options.seed;
    return std::make_unique<NsgaIISampler>(nsga);
  }
  std::string valid;
  for (const auto& n : sampler_names()) valid += (valid.empty() ? "" : ", ") + n;
  throw Error(ErrorKind::InvalidArgument, "unknown sampler `" + std::string(name) + "`; valid names: " + valid);
}

}  // namespace qdse::search
