#include "qdse/quant/config_hash.hpp"

#include <functional>
#include <optional>
#include <type_traits>
#include <variant>

namespace qdse::quant {
namespace {

// Accumulates the fields of one value into a hash, in order.
class ConfigHashMix {
 public:
  explicit ConfigHashMix(std::size_t seed) : h_(seed) {}
  template <class T>
  ConfigHashMix& add(const T& v) {
    h_ = hash_combine(h_, std::hash<T>{}(v));
    return *this;
  }
  template <class T>
  ConfigHashMix& add(const std::optional<T>& v) {
    add(v.has_value());
    if (v) add(*v);
    return *this;
  }
  std::size_t value() const { return h_; }

 private:
  std::size_t h_;
};

// One overload per format: the fields its operator== compares.
struct FormatFieldHasher {
  ConfigHashMix& m;
  void operator()(const FloatFormat&) const {}
  void operator()(const IntegerFormat& f) const {
    m.add(f.width).add(f.frac_width).add(f.is_signed).add(f.rounding).add(f.overflow);
  }
  void operator()(const MinifloatFormat& f) const {
    m.add(f.exponent_width).add(f.mantissa_width).add(f.exponent_bias).add(f.denormals).add(f.ieee_like);
  }
  void operator()(const BlockFpFormat& f) const {
    m.add(f.mantissa_width).add(f.exponent_width).add(f.exponent_bias).add(f.block_size).add(f.block_dim);
  }
  void operator()(const LogFormat& f) const { m.add(f.exponent_width).add(f.exponent_bias).add(f.has_zero); }
  void operator()(const BinaryFormat& f) const { m.add(f.scaled); }
  void operator()(const TernaryFormat& f) const { m.add(f.threshold).add(f.scaled); }
};

}  // namespace

std::size_t hash_combine(std::size_t seed, std::size_t value) {
  // boost::hash_combine's mixing step (64-bit golden-ratio constant).
  return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

std::size_t hash_value(const Format& format) {
  ConfigHashMix m(format.params.index());
  std::visit(FormatFieldHasher{m}, format.params);
  return m.value();
}

std::size_t hash_value(const NodeQuantConfig& config) {
  ConfigHashMix m(0x51ad);
  for (Slot s : kSlots) {
    const auto& f = config.slot(s);
    m.add(f.has_value());
    if (f) m.add(hash_value(f->format)).add(f->auto_frac);
  }
  return m.value();
}

std::size_t hash_value(const QuantConfig& config) {
  ConfigHashMix m(config.nodes.size());
  for (const auto& [name, c] : config.nodes) m.add(name).add(hash_value(c));
  return m.value();
}

bool operator==(const QuantConfig& a, const QuantConfig& b) { return a.nodes == b.nodes; }

}  // namespace qdse::quant
