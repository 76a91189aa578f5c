// make_sampler and sampler_names: thin wrappers over the sampler table (sampler_kind.cpp).
#include "qdse/search/sampler_factory.hpp"

namespace qdse::search {

std::vector<std::string> sampler_names() {
  std::vector<std::string> out;
  for (const auto& row : sampler_table()) out.emplace_back(row.name);
  return out;
}

std::unique_ptr<Sampler> make_sampler(SamplerKind kind, const SamplerOptions& options) {
  return info_of(kind).make(options);
}

std::unique_ptr<Sampler> make_sampler(std::string_view name, const SamplerOptions& options) {
  return make_sampler(parse_sampler_kind(name), options);
}

}  // namespace qdse::search
