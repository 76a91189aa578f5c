// MASE's configs/examples/jsc_toy_by_type.toml (lab 3), key for key, checked in once as
// tests/data/mase/jsc_toy_by_type.toml for the tests that read MASE's layout: the run
// basics, [passes.quantize] by type, and a search with one seed table per `by` mode
// (`linear` for "type", `seq_blocks_2` for "name").
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace qdse::testing {

// The whole example; `by` replaces the search's setup.by ("type" in the file).
inline std::string mase_jsc_toy(const std::string& by = "type") {
  std::ifstream in(QDSE_TEST_DATA_DIR "/mase/jsc_toy_by_type.toml", std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  const std::string setup = "[search.search_space.setup]\nby = \"type\"";
  const auto at = text.find(setup);
  if (at != std::string::npos) text.replace(at, setup.size(), "[search.search_space.setup]\nby = \"" + by + "\"");
  return text;
}

// Its basics and [passes.quantize] only: everything before the first [search...] table.
inline std::string mase_jsc_toy_passes() {
  const std::string text = mase_jsc_toy();
  return text.substr(0, text.find("\n[search."));
}

}  // namespace qdse::testing
