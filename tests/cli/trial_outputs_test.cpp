// One trial record writer (issue 13 item 17, issue 14 item 4): a run's trials.csv and
// trials.json are byte-for-byte what `qdse trials` exports from the run's study.db, with
// round-trip numbers and the worker and retry_of of every trial. And a report that a
// full disk interrupts leaves no *.tmp file and no truncated image behind.
// Self-contained: jsc-tiny with weights and a CSV dataset generated here.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../support/errors.hpp"
#include "../support/search_toml.hpp"
#include "cli_runner.hpp"

namespace {

using namespace qdse::testing;
namespace fs = std::filesystem;

std::string repeat(int n, const std::string& v) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + v;
  return s;
}

// A searched run of jsc-tiny (6 configurations) on a generated 5-class CSV dataset,
// made once for the tests of this file.
struct SearchedRun {
  fs::path dir, run;
};

CliResult search_into(const fs::path& dir, const fs::path& run, const std::string& extra);

const SearchedRun& searched_run() {
  static const SearchedRun r = [] {
    SearchedRun r;
    r.dir = scratch_dir("trial-outputs");
    std::string csv;
    for (int f = 0; f < 16; ++f) csv += "f" + std::to_string(f) + ",";
    csv += "label\n";
    for (int row = 0; row < 200; ++row) {
      for (int f = 0; f < 16; ++f) csv += std::to_string(((row * 7 + f * 3) % 11) * 0.25 - 1.0 + (row % 5 == f % 5)) + ",";
      csv += std::to_string(row % 5) + "\n";
    }
    write_text(r.dir / "data.csv", csv);
    std::string weights = R"({"tensors": [)";
    for (const char* p : {"weight", "running_var"})
      weights += std::string(R"({"name": "seq_blocks.0.)") + p + R"(", "shape": [16], "data": [)" + repeat(16, "1") + "]},";
    for (const char* p : {"bias", "running_mean"})
      weights += std::string(R"({"name": "seq_blocks.0.)") + p + R"(", "shape": [16], "data": [)" + repeat(16, "0") + "]},";
    std::string w2;
    for (int o = 0; o < 5; ++o)
      for (int f = 0; f < 16; ++f) w2 += std::string(w2.empty() ? "" : ",") + (f % 5 == o ? "0.9" : "-0.13");
    weights += R"({"name": "seq_blocks.2.weight", "shape": [5, 16], "data": [)" + w2 + "]},";
    weights += R"({"name": "seq_blocks.2.bias", "shape": [5], "data": [0.01, -0.02, 0.03, 0, 0.1]}]})";
    write_text(r.dir / "weights.json", weights);
    write_text(r.dir / "space.toml",
               SearchToml{.model = "jsc-tiny", .dataset = "csv",
                          .layers = {{"seq_blocks_2", integer_layer("[4, 8]", "[2, 3, 8]")}},
                          .data_loader = "val_dataloader", .n_trials = 6,
                          .metrics = accuracy_metric() + minimized_metric("average_bitwidth", "-0.001")}
                   .toml());
    r.run = r.dir / "run";
    const CliResult s = search_into(r.dir, r.run, "");
    EXPECT_EQ(s.status, 0) << s.err;
    return r;
  }();
  return r;
}

// Searches the test dataset of `dir` with jsc-tiny into `run` (`extra`: more flags).
CliResult search_into(const fs::path& dir, const fs::path& run, const std::string& extra) {
  return run_qdse("-q search --config '" + (dir / "space.toml").string() + "' --data '" + (dir / "data.csv").string() +
                      "' --load '" + (dir / "weights.json").string() + "' --out '" + run.string() + "' " + extra,
                  dir / (run.filename().string() + "-io"));
}

TEST(TrialOutputs, RunFilesAreWhatQdseTrialsExports) {
  const SearchedRun& r = searched_run();
  ASSERT_TRUE(fs::exists(r.run / "trials.csv"));
  const std::string storage = "--storage '" + (r.run / "study.db").string() + "'";
  const CliResult csv = run_qdse("trials " + storage + " --format csv", r.dir / "csv-io");
  ASSERT_EQ(csv.status, 0) << csv.err;
  EXPECT_EQ(csv.out, read_text(r.run / "trials.csv"));
  const CliResult json = run_qdse("trials " + storage + " --format json", r.dir / "json-io");
  ASSERT_EQ(json.status, 0) << json.err;
  const auto exported = nlohmann::json::parse(json.out);
  const auto written = nlohmann::json::parse(read_text(r.run / "trials.json"));
  EXPECT_EQ(exported, written);
  ASSERT_EQ(written.size(), 6u);
  for (const auto& t : written) {
    ASSERT_TRUE(t.contains("retry_of")) << t.dump();
    EXPECT_TRUE(t.at("retry_of").is_null());
    EXPECT_FALSE(t.at("worker").get<std::string>().empty());
  }
}

TEST(TrialOutputs, CsvNumbersReadBackToTheSameDoubles) {
  const SearchedRun& r = searched_run();
  const auto written = nlohmann::json::parse(read_text(r.run / "trials.json"));
  std::istringstream csv(read_text(r.run / "trials.csv"));
  std::string header;
  std::getline(csv, header);
  std::vector<std::string> columns;
  for (std::istringstream h(header); std::getline(h, header, ',');) columns.push_back(header);
  ASSERT_GE(columns.size(), 2u);
  EXPECT_EQ(columns[columns.size() - 2], "worker");
  EXPECT_EQ(columns.back(), "retry_of");
  std::string line;
  for (const auto& t : written) {
    ASSERT_TRUE(std::getline(csv, line));
    std::map<std::string, std::string> cell;
    std::istringstream row(line);
    for (const auto& c : columns) std::getline(row, cell[c], ',');
    EXPECT_EQ(std::stoi(cell.at("number")), t.at("number").get<int>());
    // Every number reads back exactly (the old trials.csv had 10 significant digits).
    EXPECT_EQ(std::strtod(cell.at("eval_seconds").c_str(), nullptr), t.at("eval_seconds").get<double>()) << line;
    EXPECT_EQ(std::strtod(cell.at("value_0").c_str(), nullptr), t.at("values").at(0).get<double>()) << line;
    EXPECT_EQ(std::strtod(cell.at("accuracy").c_str(), nullptr), t.at("metrics").at("accuracy").get<double>()) << line;
    EXPECT_EQ(cell.at("worker"), t.at("worker").get<std::string>());
    EXPECT_EQ(cell.at("retry_of"), "");
  }
}

// Bytes of every file under dir (relative name -> content).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() || e.is_symlink()) files[fs::relative(e.path(), dir).string()] = read_text(e.path());
  return files;
}

TEST(TrialOutputs, ReportInterruptedByAFullDiskLeavesNoTemporariesOrTruncatedImages) {
  const SearchedRun& r = searched_run();
  const fs::path report = r.run / "report";
  ASSERT_TRUE(fs::exists(report / "index.html"));
  // 1) The page write hits a full disk: index.html.tmp is /dev/full (a real ENOSPC, also as root).
  fs::create_symlink("/dev/full", report / "index.html.tmp");
  CliResult full = run_qdse("report '" + r.run.string() + "'", r.dir / "full-io");
  EXPECT_EQ(full.status, 1) << full.err;
  EXPECT_NE(full.err.find("index.html"), std::string::npos) << full.err;
  EXPECT_FALSE(fs::exists(fs::symlink_status(report / "index.html.tmp"))) << "temporary left behind";
  // 2) gnuplot dies half-way through its images: a wrapper around the real one cuts the
  // image files of its figure (the script is its last argument) that this run wrote to 10
  // bytes and fails. No truncated image may replace a good one.
  const char* real = "/usr/bin/gnuplot";
  ASSERT_TRUE(fs::exists(real));
  const fs::path fake = r.dir / "gnuplot-dies";
  write_text(fake, std::string("#!/bin/sh\nmarker=$(mktemp)\nsleep 0.01\n") + real +
                       " \"$@\"\nfor last; do :; done\nstem=${last%.gp}\n"
                       "for f in \"$stem.png\" \"$stem.svg\" \"$stem.png.tmp\" \"$stem.svg.tmp\"; do\n"
                       "  if [ \"$f\" -nt \"$marker\" ]; then truncate -s 10 \"$f\"; fi\ndone\nrm -f \"$marker\"\nexit 1\n");
  fs::permissions(fake, fs::perms::owner_all);
  const auto before = snapshot(report);
  setenv("QDSE_GNUPLOT", fake.c_str(), 1);
  CliResult dies = run_qdse("report '" + r.run.string() + "'", r.dir / "dies-io");
  unsetenv("QDSE_GNUPLOT");
  EXPECT_EQ(dies.status, 1) << dies.err;
  EXPECT_EQ(std::count(dies.err.begin(), dies.err.end(), '\n'), 1) << dies.err;
  const auto after = snapshot(report);
  for (const auto& [name, bytes] : after) {
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
    if (name.ends_with(".png") || name.ends_with(".svg")) {
      ASSERT_TRUE(before.count(name)) << name;
      EXPECT_TRUE(bytes == before.at(name)) << name << " changed: " << bytes.size() << " bytes, was "
                                            << before.at(name).size();
    }
  }
}

// hls4ml.yml is exported from the best trial the search holds; when it cannot be written
// (here a directory holds its name) the search says so on stderr in one line naming the
// file, exits 0 and keeps its other outputs. It used to be swallowed without a word.
TEST(TrialOutputs, FailedHls4mlExportIsAWarningNamingTheFile) {
  const SearchedRun& r = searched_run();
  ASSERT_TRUE(fs::exists(r.run / "hls4ml.yml"));  // this run exports (all fixed point)
  const auto best = nlohmann::json::parse(read_text(r.run / "best.json"));
  const std::string trial = std::to_string(best.at("trials").at(0).at("number").get<int>());
  const fs::path run = r.dir / "blocked-run";
  fs::create_directories(run / "hls4ml.yml");
  const CliResult s = search_into(r.dir, run, "--force");
  EXPECT_EQ(s.status, 0) << s.err;
  const std::string warning = "warning: no hls4ml.yml written for trial " + trial + ": ";
  const auto at = s.err.find(warning);
  ASSERT_NE(at, std::string::npos) << s.err;
  const std::string line = s.err.substr(at, s.err.find('\n', at) - at);
  EXPECT_CONTAINS(line, (run / "hls4ml.yml").string());
  EXPECT_TRUE(fs::is_directory(run / "hls4ml.yml"));
  EXPECT_FALSE(fs::exists(run / "hls4ml.yml.tmp"));
  EXPECT_EQ(nlohmann::json::parse(read_text(run / "best.json")).at("trials").at(0).at("number"),
            best.at("trials").at(0).at("number"));
  EXPECT_TRUE(fs::exists(run / "trials.csv"));
}

}  // namespace
