// Row codec: exact round trips (including NaN/inf and -0), tolerant reading of other
// JSON spellings, and Storage errors naming context and column for bad rows.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "qdse/core/error.hpp"
#include "qdse/storage/row_codec.hpp"

namespace qdse::storage {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(RowCodec, DoublesRoundTripExactly) {
  const std::vector<double> v = {0.1 + 0.2, -3e-7, 1e300, 4.0, 0.0};
  EXPECT_EQ(encode_doubles(v), "[0.30000000000000004,-3e-07,1e+300,4,0]");
  EXPECT_EQ(decode_doubles(encode_doubles(v), "c", "ctx"), v);
  EXPECT_EQ(encode_doubles({}), "[]");
  EXPECT_TRUE(decode_doubles("[]", "c", "ctx").empty());
}

// Every finite value survives encode/decode bit for bit, except -0, stored as 0 (one
// claim key per configuration); stored_double() says what a read returns, which is what
// the SQLite storage's trial cache keeps.
TEST(RowCodec, MetricsRoundTripExactly) {
  const std::map<std::string, double> m = {{"accuracy", 0.1},  {"neg_zero", -0.0},  {"tiny", 4.9e-324},
                                           {"big", 1.7976931348623157e308}, {"int", 123456789.0},
                                           {"a-b c", -2.5e10}};
  const auto back = decode_metrics(encode_metrics(m), "ctx");
  ASSERT_EQ(back.size(), m.size());
  for (const auto& [k, v] : m) {
    EXPECT_EQ(back.at(k), v) << k;
    EXPECT_EQ(std::signbit(back.at(k)), std::signbit(stored_double(v))) << k;
  }
  EXPECT_FALSE(std::signbit(stored_double(-0.0)));
  EXPECT_TRUE(std::isnan(stored_double(std::nan(""))));
  EXPECT_EQ(stored_double(-kInf), -kInf);
  // Forms the fast path does not take still parse (whitespace, escapes, strings).
  EXPECT_EQ(decode_metrics(R"({"a":1, "b":2})", "ctx").at("b"), 2.0);
  EXPECT_EQ(decode_metrics(R"({"a\u0041":3})", "ctx").at("aA"), 3.0);
  EXPECT_TRUE(std::isnan(decode_metrics(R"({"n":"NaN","x":1})", "ctx").at("n")));
  EXPECT_THROW(decode_metrics(R"({"a":1,})", "ctx"), Error);
  EXPECT_THROW(decode_metrics(R"({"a":1)", "ctx"), Error);
}

TEST(RowCodec, NonFiniteValuesAreStrings) {
  EXPECT_EQ(encode_doubles({std::nan(""), kInf, -kInf}), R"(["NaN","Infinity","-Infinity"])");
  const auto back = decode_doubles(R"(["NaN","Infinity","-Infinity"])", "c", "ctx");
  ASSERT_EQ(back.size(), 3u);
  EXPECT_TRUE(std::isnan(back[0]));
  EXPECT_EQ(back[1], kInf);
  EXPECT_EQ(back[2], -kInf);
  EXPECT_EQ(encode_metrics({{"a", kInf}, {"b\"q", 1.5}}), R"({"a":"Infinity","b\"q":1.5})");
  EXPECT_EQ(decode_metrics(R"({"a":"Infinity","b\"q":1.5})", "ctx").at("b\"q"), 1.5);
}

TEST(RowCodec, OtherJsonSpellingsAreRead) {
  EXPECT_EQ(decode_doubles(" [ 1 , 2.5e0 ] ", "c", "ctx"), (std::vector<double>{1, 2.5}));
  EXPECT_EQ(decode_metrics(R"( { "x" : 2 } )", "ctx").at("x"), 2.0);
}

TEST(RowCodec, BadRowsNameContextAndColumn) {
  for (const char* bad : {"[1,]", "[nan]", "[1,\"x\"]", "{}", "3", "", "[+1]"}) {
    try {
      decode_doubles(bad, "values_json", "study `s`, trial 3");
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Storage);
      EXPECT_NE(std::string(e.what()).find("study `s`, trial 3: column `values_json`"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(decode_metrics("[]", "ctx"), Error);
  EXPECT_THROW(decode_metrics(R"({"a": "x"})", "ctx"), Error);
  EXPECT_THROW(decode_directions("[]", "ctx"), Error);
  EXPECT_THROW(decode_directions(R"(["up"])", "ctx"), Error);
  EXPECT_THROW(decode_state("done", "ctx"), Error);
  EXPECT_EQ(decode_state("pruned", "ctx"), search::TrialState::Pruned);
}

TEST(RowCodec, ParamsKeyIsCanonical) {
  EXPECT_EQ(params_key({1, 2.5, -0.0}), "1,2.5,0");
  EXPECT_EQ(params_key({0.1}), "0.1");
  EXPECT_EQ(params_key({}), "");
}

TEST(RowCodec, CanonicalJsonIgnoresSpellingNotContent) {
  EXPECT_EQ(canonical_json(R"({ "b": [1, 2], "a": {"y": 1, "x": 2} })", "ctx"), R"({"a":{"x":2,"y":1},"b":[1,2]})");
  EXPECT_NE(canonical_json("[1,2]", "ctx"), canonical_json("[2,1]", "ctx"));
  EXPECT_THROW(canonical_json("{", "ctx"), Error);
}

TEST(RowCodec, DecodeTrialChecksStateAgainstEndTime) {
  RawTrialRow row;
  row.number = 4;
  row.state = "complete";
  row.params_json = "[1]";
  row.values_json = "[2]";
  row.constraints_json = "[]";
  row.metrics_json = "{}";
  row.start_time = "2024-01-01T00:00:00.000Z";
  row.end_time = "2024-01-01T00:00:01.000Z";
  const auto t = decode_trial(row, "study `s`");
  EXPECT_EQ(t.number, 4);
  EXPECT_EQ(t.values, (std::vector<double>{2}));
  row.end_time = "";  // complete without an end time: damaged
  EXPECT_THROW(decode_trial(row, "study `s`"), Error);
  row.state = "running";
  EXPECT_NO_THROW(decode_trial(row, "study `s`"));
  row.params_json = R"(["NaN"])";  // params are never non-finite
  EXPECT_THROW(decode_trial(row, "study `s`"), Error);
  row.params_json = "[1]";
  row.number = -2;
  EXPECT_THROW(decode_trial(row, "study `s`"), Error);
}

}  // namespace
}  // namespace qdse::storage
