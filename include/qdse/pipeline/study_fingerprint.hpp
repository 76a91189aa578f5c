// The identity of a study: what a stored study must agree on before `qdse search`
// resumes it, so that one study never mixes trials of two models or two datasets.
//
// study_description() is the JSON stored with the study (docs/storage.md):
//   kind, model, params (names and choices, in order), evaluation (split, num_samples,
//   metrics with scales and directions, constraints) -- the search space and scoring --
//   and `fingerprint`, the inputs that determine a trial's result:
//     weights              hash of every parameter tensor of the loaded graph (names,
//                          shapes, values): the same weights from another file match
//     dataset              name, evaluation split, samples used, hashes of those samples
//                          (after preprocessing) and of their labels
//     preprocessing        kind and the mean/std actually applied
//     calibration          options and a hash of the range statistics; null when no
//                          choice is frac_width = "auto" (then ranges do not matter)
//     quantizer_semantics  kQuantizerSemanticsVersion: bumped when a number format
//                          rounds or saturates differently, so old trials are not
//                          mixed with new ones
// differences() lists what differs between a stored and a given description, one
// "path: stored X, now Y" item each, for an error message that names the item.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qdse/lower/calibration.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/pipeline/workspace.hpp"

namespace qdse::pipeline {

// Version of the quantizers' semantics (rounding, saturation, auto frac widths) that
// trial results depend on. Bump it with any change that alters a trial's metrics.
constexpr int kQuantizerSemanticsVersion = 1;

nlohmann::json input_fingerprint(const Workspace& ws, const QuantSpace& space, const SearchConfig& config,
                                 const quant::RangeStats& stats);

// The description stored with a study (see above), fingerprint included.
nlohmann::json study_description(const Workspace& ws, const QuantSpace& space, const SearchConfig& config,
                                 const quant::RangeStats& stats);

// "fingerprint.weights: stored fnv1a64w:..., now fnv1a64w:..." items, depth first, at
// most `max_items` (a last item says how many more); values longer than 80 characters
// are shortened. Empty when equal.
std::vector<std::string> differences(const nlohmann::json& stored, const nlohmann::json& given,
                                     std::size_t max_items = 4);

// The description to open a stored study with, or qdse::Error(Storage) naming every
// item that differs (`context` names the study: "study `s` in `x.db`"). A study made
// before fingerprints were stored (its description has none) is resumed when the rest
// agrees: the stored description is returned and `warning` says what could not be checked.
std::string resumable_description(const nlohmann::json& stored, const nlohmann::json& given,
                                  const std::string& context, std::string* warning);

}  // namespace qdse::pipeline
