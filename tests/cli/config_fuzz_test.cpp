// Fuzz-style robustness of config handling (issue 13, "done when"): mutated configs
// (wrong types, out-of-range and non-finite numbers, unicode and control characters, huge
// lists, missing, duplicated and extra keys, misplaced tables, broken syntax) go to
// `qdse space`'s reading of a config, and some to `qdse search --n-trials 1`. Every case
// must end 0 or 1, never die of a signal or hang; on exit 1 the last stderr line is the
// one error (`qdse: ...`) and any other line is a `warning:` (docs/config.md, "Errors and
// warnings"). The mutation seed is fixed, so a failure reproduces; a failing case's config
// is kept under the scratch directory and named in the failure message.
//
// Where the time goes: a `qdse` process pays about 0.8 s of CPU for libtorch's start-up
// before it reads its config, so most cases run `qdse space`'s library calls
// (io::load_run_config, pipeline::build_graph, pipeline::QuantSpace), then `qdse search`'s
// reading of the [search] tables (pipeline::parse_search_config), in a forked child of
// this test instead, which costs milliseconds: 600 of those, then 40 `qdse space` and 20
// `qdse search` processes for the binary's own output (the default run; QDSE_FUZZ_SCALE=10
// runs ten times as many, the "few thousand" of issue 13, see fuzz_scale()).
#include <gtest/gtest.h>
#include <signal.h>
#include <torch/utils.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../support/prerequisites.hpp"
#include "cli_runner.hpp"
#include "qdse/core/error.hpp"
#include "qdse/io/run_config.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/pipeline/workspace.hpp"

namespace {

namespace fs = std::filesystem;
using namespace qdse::testing;

// ---- base configs (valid), one line per entry -------------------------------------
// The seed corpus, checked in under tests/data/fuzz: a search of fmnist-mlp that uses
// most keys (search.toml), MASE's lab-3 layout on jsc-tiny, which `qdse space` reads
// without data (mase_jsc_tiny.toml), and fmnist-cnn by type with block_fp and log
// formats (cnn_by_type.toml).

std::string fuzz_base(const std::string& file) { return read_text(fs::path(QDSE_TEST_DATA_DIR) / "fuzz" / file); }

// ---- mutation ----------------------------------------------------------------------

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

bool is_header(const std::string& l) { return !l.empty() && l[0] == '['; }

const std::vector<std::string>& value_pool() {
  static const std::vector<std::string> pool = [] {
    std::vector<std::string> v = {
        "0", "-1", "1", "2", "4", "8", "32", "33", "1000", "100000000000", "9223372036854775807",
        "-9223372036854775808", "nan", "-nan", "inf", "-inf", "+inf", "1e308", "-1e308", "1e-320", "0.5", "-0.0",
        "0.75", "true", "false", "\"\"", "\"NA\"", "\"auto\"", "\"integer\"", "\"minifloat\"", "\"ternary\"",
        "\"binary\"", "\"log\"", "\"block_fp\"", "\"float\"", "\"type\"", "\"name\"", "\"tpe\"", "\"nsgaii\"",
        "\"bruteforce\"", "\"random\"", "\"maximize\"", "\"minimize\"", "\"val_dataloader\"", "\"test_dataloader\"",
        "\"train_dataloader\"", "\"fmnist-mlp\"", "\"jsc-tiny\"", "\"x.onnx\"", "\"\xC3\xBF\xE2\x98\x83\xF0\x9D\x84\x9E\"",
        "\"a\\nb\\u0001c\\t\"", "'literal\\n'", "[]", "[4, 4]", "[4, 4.0]", "[nan]", "[inf, 1]", "[[1]]", "[1, \"a\"]",
        "[\"NA\", \"integer\"]", "[2, 4, 8]", "[\"auto\"]", "[true, false]", "[1.5, 2.5]", "[-1]", "[0]", "{ a = 1 }",
        "{}", "1979-05-27", "07:32:00", "1979-05-27T07:32:00Z", "\">= 0.99 * float\"", "\"<= 1e999\"", "\">= nan\"",
        "\"<= -5\"", "\"max\"", "\"percentile\"", "99.99", "\"nearest_away\"", "\"wrap\"", "\"RND_CONV\""};
    v.push_back("\"" + std::string(5000, 'x') + "\"");
    std::string big = "[";
    for (int i = 0; i < 20000; ++i) big += (i ? ", " : "") + std::to_string(i % 40);
    v.push_back(big + "]");
    std::string distinct = "[";
    for (int i = 1; i <= 3000; ++i) distinct += (i > 1 ? ", " : "") + std::to_string(i) + ".5e-3";
    v.push_back(distinct + "]");
    std::string widths = "[";
    for (int i = 1; i <= 32; ++i) widths += (i > 1 ? ", " : "") + std::to_string(i);
    v.push_back(widths + "]");
    return v;
  }();
  return pool;
}

const std::vector<std::string> kKeys = {
    "name", "by", "setup.by", "config", "data_in_width", "data_in_frac_width", "weight_width", "weight_frac_width",
    "bias_width", "bias_frac_width", "weight_exponent_width", "weight_exponent_bias", "data_in_block_size",
    "weight_threshold", "weight_scaled", "rounding", "overflow", "weight_signed", "num_samples", "statistic",
    "percentile", "sampler", "n_trials", "timeout", "n_jobs", "seed", "direction", "sum_scaled_metrics",
    "heartbeat", "study_name", "compare_to", "data_loader", "memo_budget_mb", "latency_repeats",
    "n_startup_trials", "n_ei_candidates", "prior_weight", "multivariate", "population_size", "crossover_prob",
    "swapping_prob", "accuracy", "loss", "latency", "bitops", "frobnicate", "model", "dataset", "preprocess",
    "validation_fraction", "max_epochs", "batch_size", "eval_batch_size", "eval_split", "threads", "label_column",
    "accuracy.scale", "bitops.scale", "latency.scale", "macs.direction", "\"\xE2\x98\x83\"", "\"a b\"",
    "\"\\n\"", "weight_width.x", "default"};

const std::vector<std::string> kHeaders = {
    "[search]", "[search.search_space]", "[search.search_space.seed]", "[search.search_space.seed.default.config]",
    "[search.search_space.seed.seq_blocks_3.config]", "[search.search_space.seed.linear.config]",
    "[search.search_space.seed.relu]", "[search.search_space.seed.conv2d.config]",
    "[search.search_space.seed.seq_blocks_9.config]", "[search.search_space.seed.linaer.config]",
    "[search.search_space.calibration]", "[search.search_space.setup]", "[search.strategy]",
    "[search.strategy.setup]", "[search.strategy.metrics]", "[search.strategy.metrics.accuracy]",
    "[search.strategy.constraints]", "[search.strategy.tpe]", "[search.strategy.nsgaii]",
    "[search.strategy.sw_runner.basic_evaluation]", "[passes.quantize]", "[passes.quantize.default.config]",
    "[passes.quantize.seq_blocks_1.config]", "[passes]", "[onnx]", "[transform]", "[report]", "[[search]]",
    "[search.strategy.setup.sampler]", "[\xE2\x98\x83]"};

using Rng = std::mt19937_64;

std::size_t pick(Rng& rng, std::size_t n) { return static_cast<std::size_t>(rng() % n); }

void mutate(std::vector<std::string>& lines, Rng& rng) {
  if (lines.empty()) {
    lines.push_back("model = \"fmnist-mlp\"");
    return;
  }
  const std::size_t i = pick(rng, lines.size());
  std::string& l = lines[i];
  const auto eq = l.find(" = ");
  switch (pick(rng, 14)) {
    case 0:
    case 1:
    case 2:  // a key's value from the pool (types, ranges, NaN/inf, unicode, huge lists)
      if (eq != std::string::npos) l = l.substr(0, eq) + " = " + value_pool()[pick(rng, value_pool().size())];
      break;
    case 3:  // delete a line (missing key or missing table)
      lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    case 4:  // duplicate a line
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), l);
      break;
    case 5:  // insert an extra key, valid somewhere, in a random place
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i),
                   kKeys[pick(rng, kKeys.size())] + " = " + value_pool()[pick(rng, value_pool().size())]);
      break;
    case 6:  // a table header from elsewhere (wrong or repeated table)
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), kHeaders[pick(rng, kHeaders.size())]);
      break;
    case 7:  // replace a header
      if (is_header(l)) l = kHeaders[pick(rng, kHeaders.size())];
      else l = kKeys[pick(rng, kKeys.size())] + (eq != std::string::npos ? l.substr(eq) : " = 1");
      break;
    case 8: {  // flip one character of a key or header (typos)
      const std::size_t end = eq != std::string::npos ? eq : l.size();
      if (end > 0) l[pick(rng, end)] = "abcxyz_.-[]\"'= 1\xFF"[pick(rng, 17)];
      break;
    }
    case 9: {  // move a line somewhere else
      const std::string moved = l;
      lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i));
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(pick(rng, lines.size() + 1)), moved);
      break;
    }
    case 10: {  // truncate a line (broken syntax)
      if (!l.empty()) l.resize(pick(rng, l.size()));
      break;
    }
    case 11:  // control bytes and invalid UTF-8
      l.insert(pick(rng, l.size() + 1), std::string(1, static_cast<char>("\x01\x7f\xc3\xff\t\r"[pick(rng, 6)])));
      break;
    case 12:  // a scalar where a list is expected and back
      if (eq != std::string::npos) {
        std::string v = l.substr(eq + 3);
        if (!v.empty() && v.front() == '[' && v.back() == ']') v = v.substr(1, v.size() - 2);
        else v = "[" + v + "]";
        l = l.substr(0, eq) + " = " + v;
      }
      break;
    default:  // replace a dotted key's table part (accuracy.scale -> loss.scale)
      if (eq != std::string::npos) {
        const auto dot = l.find('.');
        if (dot != std::string::npos && dot < eq)
          l = kKeys[pick(rng, kKeys.size())] + l.substr(dot);
      }
      break;
  }
}

// ---- running ------------------------------------------------------------------------

struct Case {
  std::string command;  // "space" or "search" (the binary), or "space-in-process"
  fs::path config;
  fs::path out, err;
  pid_t pid = -1;
  std::chrono::steady_clock::time_point started;
  int status = -1;
  bool timed_out = false;
};

// What `qdse space --config FILE` does before printing (cli/cmd_space.cpp), then the
// reading of every [search] table that `qdse search` does next (parse_search_config), in
// this forked child: 0 when the config is read, else 1 after the error's one line, as
// main() prints it (`qdse: <kind>: <message>`). Anything but a qdse::Error is reported as
// such (exit 2), so the test names an exception the binary would only have caught generically.
int fuzz_space_in_process(const std::string& config) {
  // One intra-op thread: a thread pool the parent may have started does not survive fork.
  torch::set_num_threads(1);
  try {
    const qdse::io::RunConfig c = qdse::io::load_run_config(config);
    const qdse::ir::Graph graph = qdse::pipeline::build_graph(c);
    const qdse::pipeline::QuantSpace space(c, graph);
    (void)space.space().size();
    (void)qdse::pipeline::parse_search_config(c);
    std::fflush(stdout);
    return 0;
  } catch (const qdse::Error& e) {
    const std::string what = e.what();
    std::fprintf(stderr, "qdse: %s: %s\n", std::string(qdse::to_string(e.kind())).c_str(), what.c_str());
    std::fflush(stderr);
    return what.find('\n') == std::string::npos ? 1 : 3;  // a located error is one line by itself
  } catch (const std::exception& e) {
    std::fprintf(stderr, "not a qdse::Error: %s\n", e.what());
    std::fflush(stderr);
    return 2;
  }
}

// The binary runs in `dir` (a scratch directory), so nothing a mutated config names
// relative to the working directory lands in the source tree.
void start(Case& c, const fs::path& dir, const std::string& weights) {
  std::vector<std::string> args = {QDSE_BINARY, c.command, "--config", c.config.string()};
  if (c.command == "search") {
    for (const char* a : {"-q", "--n-trials", "1", "--storage", "memory:"}) args.push_back(a);
    args.push_back("--load");
    args.push_back(weights);
    args.push_back("--out");
    args.push_back((dir / ("run-" + c.config.stem().string())).string());
  }
  c.started = std::chrono::steady_clock::now();
  c.pid = fork();
  if (c.pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(127);
    if (!std::freopen(c.out.c_str(), "w", stdout) || !std::freopen(c.err.c_str(), "w", stderr)) _exit(127);
    if (c.command == "space-in-process") _exit(fuzz_space_in_process(c.config.string()));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

// A human reason why the finished case breaks the contract, or "" when it keeps it.
std::string problem_of(const Case& c) {
  if (c.timed_out) return "hung (killed after the time limit)";
  if (WIFSIGNALED(c.status)) return "killed by signal " + std::to_string(WTERMSIG(c.status));
  if (!WIFEXITED(c.status)) return "did not exit";
  const int code = WEXITSTATUS(c.status);
  if (code != 0 && code != 1) return "exit status " + std::to_string(code) + ": " + read_text(c.err).substr(0, 300);
  std::vector<std::string> lines;
  {
    std::istringstream in(read_text(c.err));
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const bool last = i + 1 == lines.size();
    const auto& l = lines[i];
    if (l.rfind("warning: ", 0) == 0) continue;
    if (code == 1 && last && l.rfind("qdse: ", 0) == 0) continue;
    // A search that ran names its report and any failed trials on stderr (one line each).
    if (code == 0 && c.command == "search" && (l.rfind("failed trial ", 0) == 0 || l.rfind("report: ", 0) == 0))
      continue;
    return "unexpected stderr line " + std::to_string(i + 1) + ": " + l.substr(0, 300);
  }
  if (code == 1 && (lines.empty() || lines.back().rfind("qdse: ", 0) != 0)) return "exit 1 without an error line";
  return "";
}

struct Tally {
  int inputs = 0, ok = 0, clean_errors = 0;
  std::vector<std::string> problems;
};

// Runs every case, `parallel` at a time, killing any that runs past `limit`.
void run_all(std::vector<Case>& cases, const fs::path& dir, const std::string& weights, int parallel,
             std::chrono::seconds limit, Tally& tally) {
  std::size_t next = 0, running = 0, done = 0;
  std::vector<Case*> active;
  while (done < cases.size()) {
    while (running < static_cast<std::size_t>(parallel) && next < cases.size()) {
      start(cases[next], dir, weights);
      active.push_back(&cases[next]);
      ++next;
      ++running;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      for (Case* c : active)
        if (!c->timed_out && std::chrono::steady_clock::now() - c->started > limit) {
          c->timed_out = true;
          kill(c->pid, SIGKILL);
        }
      continue;
    }
    for (auto it = active.begin(); it != active.end(); ++it) {
      if ((*it)->pid != pid) continue;
      Case& c = **it;
      c.status = status;
      active.erase(it);
      --running;
      ++done;
      ++tally.inputs;
      const std::string p = problem_of(c);
      if (!p.empty()) {
        tally.problems.push_back(c.command + " " + c.config.string() + ": " + p);
      } else {
        if (WEXITSTATUS(c.status) == 1) ++tally.clean_errors;
        else ++tally.ok;
        fs::remove(c.config);  // keep only the failing ones
        fs::remove(c.out);
        fs::remove(c.err);
        fs::remove_all(dir / ("run-" + c.config.stem().string()));
      }
      break;
    }
  }
}

std::vector<Case> make_cases(const fs::path& dir, const std::string& command, const std::vector<std::string>& bases,
                             int count, Rng& rng, const std::string& prefix) {
  std::vector<Case> cases;
  for (int n = 0; n < count; ++n) {
    auto lines = split_lines(bases[static_cast<std::size_t>(n) % bases.size()]);
    const int edits = 1 + static_cast<int>(pick(rng, 3));
    for (int e = 0; e < edits; ++e) mutate(lines, rng);
    Case c;
    c.command = command;
    const std::string stem = prefix + std::to_string(n);
    c.config = dir / (stem + ".toml");
    c.out = dir / (stem + ".out");
    c.err = dir / (stem + ".err");
    write_text(c.config, join_lines(lines));
    cases.push_back(std::move(c));
  }
  return cases;
}

int parallelism() { return std::max(2u, std::min(4u, std::thread::hardware_concurrency())); }

// QDSE_FUZZ_SCALE=N runs N times as many cases as the default run (N = 10: 6,000 in
// process, 400 `qdse space` and 200 `qdse search` processes, about 10 minutes on 2 cores).
int fuzz_scale() {
  const char* v = std::getenv("QDSE_FUZZ_SCALE");
  const int n = v ? std::atoi(v) : 1;
  return std::clamp(n, 1, 100);
}

// The seed corpus must itself be valid: a base that `qdse space` refuses makes every
// mutation of it stop at the same error, and the fuzz would then reach no deeper code.
TEST(ConfigFuzz, SeedCorpusIsValid) {
  const auto dir = scratch_dir("config-fuzz-bases");
  for (const char* base : {"search.toml", "mase_jsc_tiny.toml", "cnn_by_type.toml"}) {
    const auto r = run_qdse("space --config '" + (fs::path(QDSE_TEST_DATA_DIR) / "fuzz" / base).string() + "'", dir);
    EXPECT_EQ(r.status, 0) << base << ": " << r.err;
    EXPECT_NE(r.out.find("configurations"), std::string::npos) << base << ": " << r.out;
  }
}

TEST(ConfigFuzz, MutatedConfigsGiveOneLineErrorsNeverSignals) {
  const auto dir = scratch_dir("config-fuzz");
  Rng rng(20261129);  // fixed: a failure reproduces
  Tally tally;
  const int scale = fuzz_scale();
  const std::string search_base = fuzz_base("search.toml");
  const std::vector<std::string> space_bases = {search_base, fuzz_base("mase_jsc_tiny.toml"),
                                                fuzz_base("cnn_by_type.toml")};
  // Reading the config and building the graph and the space, as `qdse space` does: cheap
  // in a forked child, so most inputs go here.
  auto in_process = make_cases(dir, "space-in-process", space_bases, 600 * scale, rng, "lib-");
  run_all(in_process, dir, "", parallelism(), std::chrono::seconds(60), tally);
  // The binary itself, for what main() adds (the error line's form, warnings, exit status).
  auto space_cases = make_cases(dir, "space", space_bases, 40 * scale, rng, "space-");
  run_all(space_cases, dir, "", parallelism(), std::chrono::seconds(60), tally);
  // `qdse search --n-trials 1` also parses the strategy, loads weights and data and runs a
  // trial (and the report); fewer, on the config that can actually search.
  const std::string weights = peer_model("fmnist-mlp.json");
  const bool can_search =
      fs::exists(weights) && fs::exists(fashion_mnist_dir());
  if (can_search) {
    auto search_cases = make_cases(dir, "search", {search_base}, 20 * scale, rng, "search-");
    run_all(search_cases, dir, weights, parallelism(), std::chrono::seconds(120), tally);
  }
  std::printf("[ config fuzz ] %d inputs: %d accepted, %d clean one-line errors, %zu broke the contract%s\n",
              tally.inputs, tally.ok, tally.clean_errors, tally.problems.size(),
              can_search ? "" : " (no search cases: peer weights or Fashion-MNIST missing)");
  for (const auto& p : tally.problems) ADD_FAILURE() << p;
  if (tally.problems.empty()) fs::remove_all(dir);
  QDSE_REQUIRE(can_search, "peer weights and Fashion-MNIST for the search cases");
}

}  // namespace
