// The per-format key grammar: the keys a layer config accepts for each format are
// exactly its traits row's keys, and exactly the keys docs/config.md documents.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "../support/errors.hpp"
#include "qdse/quant/formats/format_traits.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::quant {
namespace {

// docs/config.md's "Layer config keys" table: format name -> the `<s>_<suffix>` suffixes.
std::map<std::string, std::set<std::string>> documented_keys() {
  std::ifstream in(std::string(QDSE_SOURCE_DIR) + "/docs/config.md");
  EXPECT_TRUE(in.good()) << "docs/config.md not found";
  std::map<std::string, std::set<std::string>> out;
  const std::regex row(R"(^\| `([a-z_]+)` \| (.*)\|\s*$)"), key(R"(`<s>_([a-z_]+)`)");
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (!std::regex_match(line, m, row)) continue;
    const std::string cells = m[2];
    auto& keys = out[m[1]];
    for (std::sregex_iterator it(cells.begin(), cells.end(), key), end; it != end; ++it) keys.insert((*it)[1]);
  }
  return out;
}

// The data_in suffixes the parser accepts for `t`, read from the "valid keys" list
// of the error an unknown key draws (a relu has only the data_in slot).
std::vector<std::string> accepted_suffixes(const FormatTraits& t) {
  static const std::map<std::string_view, int64_t> kWidth = {{"binary", 1}, {"ternary", 2}, {"log", 5}};
  const auto w = kWidth.count(t.name) ? kWidth.at(t.name) : int64_t{8};
  const ConfigDict d = {{"name", std::string(t.name)}, {"data_in_width", w}, {"data_in_zzz", int64_t{1}}};
  const std::string err = qdse::testing::error_of([&] { parse_node_config(d, ir::OpKind::Relu, "t"); });
  const std::string lead = "unknown key `data_in_zzz` for this layer and format; valid keys: ";
  EXPECT_EQ(err.rfind(lead, 0), 0u) << err;
  std::vector<std::string> out;
  std::istringstream list(err.substr(lead.size(), err.rfind(" (") - lead.size()));
  for (std::string k; std::getline(list, k, ',');) {
    k.erase(0, k.find_first_not_of(' '));
    if (k.rfind("data_in_", 0) == 0) out.push_back(k.substr(8));
  }
  return out;
}

TEST(FormatGrammar, ParserAcceptsExactlyTheRowKeysInOrder) {
  for (const FormatTraits& t : all_format_traits()) {
    if (!t.parse_keys) continue;  // float reads no keys
    SCOPED_TRACE(std::string(t.name));
    EXPECT_EQ(accepted_suffixes(t), std::vector<std::string>(t.keys.begin(), t.keys.end()));
  }
}

TEST(FormatGrammar, DocsListExactlyTheRowKeys) {
  const auto docs = documented_keys();
  for (const FormatTraits& t : all_format_traits()) {
    if (!t.parse_keys) continue;
    SCOPED_TRACE(std::string(t.name));
    ASSERT_TRUE(docs.count(std::string(t.name))) << "docs/config.md has no row for this format";
    EXPECT_EQ(docs.at(std::string(t.name)), std::set<std::string>(t.keys.begin(), t.keys.end()));
  }
}

TEST(FormatGrammar, OmittedBiasFollowsTheWeightPerRow) {
  // Without bias keys the bias takes the weight's format; a stray bias key is
  // accepted (integer, as MASE) or refused (the other formats needing a width).
  for (const FormatTraits& t : all_format_traits()) {
    if (t.omitted_slot == OmittedSlot::NeverOmitted) continue;
    SCOPED_TRACE(std::string(t.name));
    ConfigDict d = {{"name", std::string(t.name)}, {"data_in_width", int64_t{8}}, {"weight_width", int64_t{8}}};
    const auto c = parse_node_config(d, ir::OpKind::Linear, "t");
    ASSERT_TRUE(c.bias && c.weight);
    EXPECT_EQ(c.bias->format, c.weight->format);
    d["bias_" + std::string(t.keys.back())] = int64_t{1};
    const std::string err = qdse::testing::error_of([&] { parse_node_config(d, ir::OpKind::Linear, "t"); });
    if (t.omitted_slot == OmittedSlot::KeysIgnored) EXPECT_EQ(err, "");
    else EXPECT_CONTAINS(err, "unknown key `bias_" + std::string(t.keys.back()) + "`");
  }
}

}  // namespace
}  // namespace qdse::quant
