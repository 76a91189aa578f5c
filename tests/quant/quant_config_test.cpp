#include <gtest/gtest.h>

#include "../support/errors.hpp"
#include "../support/mase_example.hpp"
#include <torch/types.h>

#include <filesystem>
#include <fstream>

#include "qdse/core/error.hpp"
#include "qdse/io/quantize_config.hpp"
#include "qdse/ir/zoo.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::quant {
namespace {

using ir::OpKind;

using qdse::testing::error_of;

ConfigDict int8_dict() {
  return {{"name", std::string("integer")}, {"data_in_width", int64_t{8}},
          {"data_in_frac_width", int64_t{4}}, {"weight_width", int64_t{6}},
          {"weight_frac_width", std::string("NA")}, {"bias_width", int64_t{8}},
          {"bias_frac_width", int64_t{5}}};
}

TEST(ParseNodeConfig, MaseIntegerKeys) {
  const auto c = parse_node_config(int8_dict(), OpKind::Linear, "t");
  ASSERT_TRUE(c.data_in && c.weight && c.bias);
  const auto& w = std::get<IntegerFormat>(c.weight->format.params);
  EXPECT_EQ(w.width, 6);
  EXPECT_FALSE(w.frac_width.has_value());  // "NA" = width // 2
  EXPECT_EQ(resolved_frac_width(w), 3);
  EXPECT_EQ(std::get<IntegerFormat>(c.bias->format.params).frac_width, 5);
  EXPECT_EQ(describe(c), "data_in=integer<8,4> weight=integer<6,NA> bias=integer<8,5>");
}

TEST(ParseNodeConfig, NaMeansNotQuantized) {
  const auto c = parse_node_config({{"name", std::string("NA")}}, OpKind::Linear, "t");
  EXPECT_FALSE(c.quantized());
}

TEST(ParseNodeConfig, BiasFollowsWeightWhenOmitted) {
  ConfigDict d = int8_dict();
  d.erase("bias_width");
  d.erase("bias_frac_width");
  const auto c = parse_node_config(d, OpKind::Linear, "t");
  EXPECT_EQ(c.bias, c.weight);
}

TEST(ParseNodeConfig, ErrorsNameTheKeyAndTheValidChoices) {
  ConfigDict d = int8_dict();
  d["weight_width"] = int64_t{40};
  EXPECT_NE(error_of([&] { parse_node_config(d, OpKind::Linear, "cfg.toml:3 (x)"); })
                .find("`weight_width` must be in [1, 32], got 40 (cfg.toml:3 (x))"),
            std::string::npos);
  d = int8_dict();
  d["wieght_width"] = int64_t{4};
  const auto typo = error_of([&] { parse_node_config(d, OpKind::Linear, "t"); });
  EXPECT_NE(typo.find("unknown key `wieght_width`"), std::string::npos) << typo;
  EXPECT_NE(typo.find("weight_frac_width"), std::string::npos) << typo;
  d = int8_dict();
  d["name"] = std::string("posit");
  EXPECT_NE(error_of([&] { parse_node_config(d, OpKind::Linear, "t"); }).find("posit"),
            std::string::npos);
  d = int8_dict();
  d.erase("data_in_width");
  EXPECT_NE(error_of([&] { parse_node_config(d, OpKind::Linear, "t"); }).find("`data_in_width` is required"),
            std::string::npos);
  d = int8_dict();
  d["weight_frac_width"] = std::string("half");
  EXPECT_NE(error_of([&] { parse_node_config(d, OpKind::Linear, "t"); }).find("\"auto\""),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_node_config(int8_dict(), OpKind::Flatten, "t"); }).find("nothing to quantize"),
            std::string::npos);
}

TEST(ParseNodeConfig, ReluTakesDataInOnlyAndIgnoresWeightKeys) {
  const auto c = parse_node_config(int8_dict(), OpKind::Relu, "t");
  EXPECT_TRUE(c.data_in.has_value());
  EXPECT_FALSE(c.weight.has_value());
  EXPECT_FALSE(c.bias.has_value());
}

TEST(ParseNodeConfig, AutoFracAndOtherFormats) {
  ConfigDict d = int8_dict();
  d["weight_frac_width"] = std::string("auto");
  EXPECT_TRUE(parse_node_config(d, OpKind::Conv2d, "t").weight->auto_frac);
  const ConfigDict mf = {{"name", std::string("minifloat")}, {"data_in_width", int64_t{8}},
                         {"data_in_exponent_width", int64_t{4}}, {"weight_width", int64_t{8}},
                         {"weight_exponent_width", int64_t{5}}};
  const auto c = parse_node_config(mf, OpKind::Linear, "t");
  EXPECT_EQ(std::get<MinifloatFormat>(c.weight->format.params).mantissa_width, 2);
  EXPECT_EQ(c.bias, c.weight);
  const ConfigDict bin = {{"name", std::string("binary")}, {"weight_scaled", true}, {"data_in_scaled", false}};
  EXPECT_TRUE(std::get<BinaryFormat>(parse_node_config(bin, OpKind::Linear, "t").weight->format.params).scaled);
}

// --- the [passes.quantize] table, through a TOML file --------------------------------

std::string write_toml(const std::string& body) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("qdse_qc_" + std::to_string(::getpid()) + "_" + std::to_string(std::hash<std::string>{}(body)) + ".toml");
  std::ofstream(path) << body;
  return path.string();
}

TEST(QuantizePass, ByNameAddressesMaseFxNames) {
  const auto path = write_toml(R"(model = "fmnist-mlp"
[passes.quantize]
by = "name"
[passes.quantize.default.config]
name = "NA"
[passes.quantize.seq_blocks_3.config]
name = "integer"
data_in_width = 8
weight_width = 4
)");
  const auto g = ir::build_zoo_model("fmnist-mlp");
  const auto pass = io::parse_quantize_pass(io::load_run_config(path), g);
  ASSERT_TRUE(pass);
  ASSERT_EQ(pass->config.nodes.size(), 1u);
  EXPECT_TRUE(pass->config.find("seq_blocks_3"));
}

// The error of reading the [passes.quantize] table of `body` for graph `g` ("" if none).
std::string quantize_pass_error(const std::string& body, const ir::Graph& g) {
  const auto path = write_toml(body);
  return error_of([&] { io::parse_quantize_pass(io::load_run_config(path), g); });
}

TEST(QuantizePass, UnknownNodeAndTypeAreErrorsWithLineAndChoices) {
  const auto g = ir::build_zoo_model("fmnist-mlp");
  const auto e1 = quantize_pass_error(
      "[passes.quantize]\nby = \"name\"\n"
      "[passes.quantize.seq_blocks_9.config]\nname = \"NA\"\n",
      g);
  EXPECT_NE(e1.find("no node named `seq_blocks_9`"), std::string::npos) << e1;
  EXPECT_NE(e1.find("seq_blocks_1, seq_blocks_2"), std::string::npos) << e1;
  EXPECT_NE(e1.find(":3"), std::string::npos) << e1;  // the line of the table
  const auto e2 =
      quantize_pass_error("[passes.quantize]\nby = \"type\"\n[passes.quantize.linaer.config]\nname = \"NA\"\n", g);
  EXPECT_NE(e2.find("`linaer` is not an op type"), std::string::npos) << e2;
  const auto e3 = quantize_pass_error("[passes.quantize]\nby = \"layer\"\n", g);
  EXPECT_NE(e3.find("\"type\" or \"name\""), std::string::npos);
}

TEST(QuantizePass, MaseJscToyByTypeExampleParses) {
  // MASE's configs/examples/jsc_toy_by_type.toml up to its search tables (basics + passes).
  const auto path = write_toml(qdse::testing::mase_jsc_toy_passes());
  const auto cfg = io::load_run_config(path);
  EXPECT_EQ(cfg.model, "jsc-tiny");
  EXPECT_EQ(cfg.seed, 42u);
  const auto pass = io::parse_quantize_pass(cfg, ir::build_zoo_model("jsc-tiny"));
  ASSERT_TRUE(pass);
  EXPECT_EQ(describe(*pass->config.find("seq_blocks_2")),
            "data_in=integer<8,4> weight=integer<8,4> bias=integer<8,4>");
}

TEST(RunConfig, UnknownTopLevelKeyAndBadTypesAreErrors) {
  const auto e1 = error_of([&] { io::load_run_config(write_toml("modle = \"x\"\n")); });
  EXPECT_NE(e1.find("unknown key `modle`"), std::string::npos) << e1;
  const auto e2 = error_of([&] { io::load_run_config(write_toml("max_epochs = \"ten\"\n")); });
  EXPECT_NE(e2.find("`max_epochs` must be an integer, got \"ten\""), std::string::npos) << e2;
  const auto e3 = error_of([&] { io::load_run_config(write_toml("model = [\n")); });
  EXPECT_NE(e3.find("invalid TOML"), std::string::npos) << e3;
}

}  // namespace
}  // namespace qdse::quant
