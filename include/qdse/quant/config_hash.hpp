// Hash and equality of quantization configurations, so that caches (the evaluator's
// result cache, the prefix memo, packed integer layers) key on the value itself rather
// than on describe() text: that text is for people (it rounds ternary thresholds, and
// its wording may change) and building it per trial costs string work.
// Contract: equal values hash equal. Every field of every format takes part in the
// hash, so configurations that differ in one slot of one node hash apart (equality
// decides in any case). A format added to FormatParams fails to compile here until
// its fields are hashed.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>

#include "qdse/quant/quant_config.hpp"

namespace qdse::quant {

std::size_t hash_value(const Format& format);
std::size_t hash_value(const NodeQuantConfig& config);
std::size_t hash_value(const QuantConfig& config);

// Mixes `value` into `seed` (order matters): for keys built from several parts.
std::size_t hash_combine(std::size_t seed, std::size_t value);

// Same nodes with equal configurations. (QuantConfig's own header stays untouched:
// it is included almost everywhere.) Note that a node listed with an unquantized
// config differs from an absent node here, as it did for the string keys before.
bool operator==(const QuantConfig& a, const QuantConfig& b);

// The hasher for unordered containers keyed on Format, NodeQuantConfig or QuantConfig.
struct ConfigHash {
  template <class T>
  std::size_t operator()(const T& value) const {
    return hash_value(value);
  }
};

}  // namespace qdse::quant
