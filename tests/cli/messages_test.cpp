// Command-line mistakes end in one clear line on stderr and exit status 1 (issue 13
// item 16): numeric flags name the flag and what it accepts (CLI11's own checks printed
// "not in range 0.000000 to 1797693...", 309 digits, with exit 105), an unknown command
// lists the commands, `qdse train` refuses labels the model cannot output before
// training, and weights files with a negative shape or NaN/Inf values are refused
// naming the file and the tensor. --help still exits 0. Also: a log file gets no
// terminal escape sequences (item 18). Self-contained: a generated CSV dataset and
// jsc-tiny, no external data.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace {

using namespace qdse::testing;
namespace fs = std::filesystem;

// jsc-tiny's shape: 16 features, labels `label_of(row)`.
std::string csv_dataset(int rows, int classes) {
  std::string text;
  for (int f = 0; f < 16; ++f) text += "f" + std::to_string(f) + ",";
  text += "label\n";
  for (int r = 0; r < rows; ++r) {
    for (int f = 0; f < 16; ++f) text += std::to_string(((r * 7 + f * 3) % 11) * 0.25 - 1.0) + ",";
    text += std::to_string(r % classes) + "\n";
  }
  return text;
}

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// One line on stderr containing every needle, nothing on stdout, exit 1.
void expect_one_line_error(const std::string& args, const std::vector<std::string>& needles) {
  SCOPED_TRACE("qdse " + args);
  const CliResult r = run_qdse(args, scratch_dir("messages"));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("qdse: ", 0), 0u) << r.err;
  for (const auto& n : needles) EXPECT_NE(r.err.find(n), std::string::npos) << "missing '" << n << "' in: " << r.err;
  EXPECT_EQ(r.err.find("1797693"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(CliMessages, BadNumericFlagsNameTheFlagInOneLine) {
  // Every one of these is refused while parsing, before any config or data is read.
  expect_one_line_error("search --n-trials 0", {"--n-trials", "whole number >= 1", "got 0"});
  expect_one_line_error("search --n-trials abc", {"--n-trials", "'abc'"});
  expect_one_line_error("search --n-trials 1.5", {"--n-trials", "'1.5'"});
  expect_one_line_error("search --n-trials 99999999999", {"--n-trials", "99999999999"});
  expect_one_line_error("search --timeout -5", {"--timeout", "number >= 0", "got -5"});
  expect_one_line_error("search --timeout nan", {"--timeout", "'nan'"});
  expect_one_line_error("search --timeout inf", {"--timeout", "'inf'"});
  expect_one_line_error("search --heartbeat 0", {"--heartbeat", "number > 0"});
  expect_one_line_error("search --seed -1", {"--seed", ">= 0"});
  expect_one_line_error("search --n-jobs 0", {"--n-jobs", ">= 1"});
  expect_one_line_error("compare --repeats 0", {"--repeats", ">= 1"});
  expect_one_line_error("compare --n-trials -2", {"--n-trials", ">= 1"});
  expect_one_line_error("compare --tolerance -1", {"--tolerance", "number >= 0", "got -1"});
  expect_one_line_error("compare --max-bruteforce -1", {"--max-bruteforce", ">= 0"});
  expect_one_line_error("train --epochs -1", {"--epochs", "from 0 to 100000"});
  expect_one_line_error("train --limit-train 0", {"--limit-train", ">= 1"});
  expect_one_line_error("eval --num-samples -3", {"--num-samples", ">= 0"});
  expect_one_line_error("export --run x --trial x", {"--trial", "'x'"});
  expect_one_line_error("--threads 5000 models", {"--threads", "from 0 to 1024"});
}

TEST(CliMessages, CommandMistakesListTheCommands) {
  expect_one_line_error("frobnicate", {"unknown command 'frobnicate'", "search", "train", "trials"});
  expect_one_line_error("--json frobnicate --x", {"unknown command 'frobnicate'"});
  expect_one_line_error("", {"a command is required", "search"});
  expect_one_line_error("search --no-such-flag", {"--no-such-flag", "qdse search --help"});
  expect_one_line_error("trials", {"--storage", "required"});
  expect_one_line_error("trials --storage x.db --format xml", {"--format", "xml"});
}

TEST(CliMessages, HelpAndVersionStillExitZero) {
  for (const char* args : {"--help", "search --help", "train -h", "--version"}) {
    const CliResult r = run_qdse(args, scratch_dir("messages-help"));
    EXPECT_EQ(r.status, 0) << args << ": " << r.err;
    EXPECT_FALSE(r.out.empty()) << args;
  }
}

TEST(CliMessages, TrainRefusesLabelsTheModelCannotOutputNamingTheFile) {
  const fs::path dir = scratch_dir("messages-labels");
  const fs::path csv = dir / "seven_classes.csv";
  write_text(csv, csv_dataset(80, 7));  // jsc-tiny outputs 5 logits
  const CliResult r = run_qdse("train --model jsc-tiny --dataset csv --data '" + csv.string() + "' --epochs 1 --out '" +
                                   (dir / "m.qdse").string() + "'",
                               dir / "io");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(csv.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("7 classes"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("libtorch"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "m.qdse"));
}

TEST(CliMessages, BadWeightFilesNameTheFileAndTensor) {
  const fs::path dir = scratch_dir("messages-weights");
  const fs::path csv = dir / "data.csv";
  write_text(csv, csv_dataset(80, 5));
  const std::string common = "eval --model jsc-tiny --dataset csv --data '" + csv.string() + "' --load ";
  // jsc-tiny: seq_blocks.0 = BatchNorm1d(16), seq_blocks.2 = Linear(16, 5).
  auto tensors = [](const std::string& bias2_shape, const std::string& bias2_data) {
    auto list = [](int n, const std::string& v) {
      std::string s;
      for (int i = 0; i < n; ++i) s += (i ? "," : "") + v;
      return s;
    };
    std::string t = R"({"tensors": [)";
    for (const char* p : {"weight", "bias", "running_mean", "running_var"})
      t += std::string(R"({"name": "seq_blocks.0.)") + p + R"(", "shape": [16], "data": [)" + list(16, "1") + "]},";
    t += R"({"name": "seq_blocks.2.weight", "shape": [5, 16], "data": [)" + list(80, "0.5") + "]},";
    t += R"({"name": "seq_blocks.2.bias", "shape": )" + bias2_shape + R"(, "data": [)" + bias2_data + "]}]}";
    return t;
  };
  const fs::path neg = dir / "negative.json", inf = dir / "inf.json", ok = dir / "ok.json";
  write_text(neg, tensors("[-5, -1]", "1,2,3,4,5"));
  write_text(inf, tensors("[5]", "1,2,1e39,4,5"));
  write_text(ok, tensors("[5]", "1,2,3,4,5"));
  expect_one_line_error(common + "'" + neg.string() + "'", {neg.string(), "seq_blocks.2.bias", "negative dimension"});
  expect_one_line_error(common + "'" + inf.string() + "'", {inf.string(), "seq_blocks.2.bias", "NaN or infinite"});
  const CliResult r = run_qdse(common + "'" + ok.string() + "'", dir / "io");
  EXPECT_EQ(r.status, 0) << r.err;  // the same file with sane values evaluates
}

TEST(CliMessages, ProgressToAFileHasNoTerminalEscapes) {
  // stderr is a file here (run_qdse redirects it): the epoch lines and the bar must be
  // plain text, one per line.
  const fs::path dir = scratch_dir("messages-escapes");
  const fs::path csv = dir / "data.csv";
  write_text(csv, csv_dataset(400, 5));
  const CliResult r = run_qdse("train --model jsc-tiny --dataset csv --data '" + csv.string() +
                                   "' --epochs 3 --out '" + (dir / "m.qdse").string() + "'",
                               dir / "io");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("epoch 3:"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
}

}  // namespace
