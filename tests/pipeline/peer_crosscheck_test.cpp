// Per-sample cross-check against the PyTorch peer (issue 3): for the peer's trained
// fmnist-mlp weights and several integer configs (MASE "NA" fracs, explicit fracs,
// uniform and mixed per layer), qdse's predicted label of every test sample must equal
// the one the peer's own MASE-style quantised PyTorch model predicts.
// The peer side (bench/peer_crosscheck.py --peer-only) writes each case's qdse config
// and the peer's labels; this test runs the config through qdse's quantize + executor.
// Skips (does not fail) when /usr/bin/python3 cannot import torch and numpy or the peer
// harness with its weights is absent (QDSE_PEER_DIR, default ../shared/bench/peer from the project root).
#include <gtest/gtest.h>

#include "../support/prerequisites.hpp"
#include <torch/types.h>
#include <torch/utils.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "qdse/exec/executor.hpp"
#include "qdse/io/quantize_config.hpp"
#include "qdse/io/run_config.hpp"
#include "qdse/pipeline/workspace.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::pipeline {
namespace {

namespace fs = std::filesystem;

using qdse::testing::peer_dir;

std::vector<int64_t> read_labels(const fs::path& file) {
  std::ifstream in(file);
  std::vector<int64_t> v;
  for (int64_t x; in >> x;) v.push_back(x);
  return v;
}

TEST(PeerCrosscheck, QuantizedLabelsEqualThePeersSampleBySample) {
  const std::string peer = peer_dir();
  const std::string weights = peer + "/models/fmnist-mlp.json";
  QDSE_REQUIRE(fs::exists(weights) && fs::exists(peer + "/quant.py"),
               "no peer harness with fmnist-mlp weights at " << peer);
  QDSE_REQUIRE(std::system("/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1") == 0,
               "/usr/bin/python3 cannot import torch and numpy (apt-get install python3-torch python3-numpy)");

  const fs::path dir = fs::temp_directory_path() / ("qdse_peer_crosscheck_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::vector<std::string> cases = {"float", "w8d8", "w4d8", "w2d4", "mixed_large_opt", "mixed_a",
                                          "mixed_b", "frac_w8f6_d8f5", "frac_w4f3_d6f2_b8f7"};
  std::string list;
  for (const auto& c : cases) list += (list.empty() ? "" : ",") + c;
  const std::string cmd = "/usr/bin/python3 " + std::string(QDSE_SOURCE_DIR) + "/bench/peer_crosscheck.py --peer " +
                          peer + " --peer-only " + dir.string() + " --cases " + list;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  torch::set_num_threads(1);
  const io::RunConfig first = io::load_run_config((dir / (cases[0] + ".toml")).string());
  const Workspace ws = open_workspace(first, weights, /*require_weights=*/true);
  const auto& test = ws.dataset.test;
  const exec::Executor executor(ws.graph);
  torch::NoGradGuard no_grad;
  for (const auto& name : cases) {
    SCOPED_TRACE(name);
    const io::RunConfig rc = io::load_run_config((dir / (name + ".toml")).string());
    std::optional<exec::Plan> plan;
    if (auto pass = io::parse_quantize_pass(rc, ws.graph)) {
      ASSERT_FALSE(quant::uses_auto_frac(pass->config));
      plan = quant::quantize(ws.graph, pass->config);
    } else {
      ASSERT_EQ(name, "float");
    }
    std::vector<at::Tensor> parts;
    for (int64_t i = 0; i < test.size(); i += 1024)
      parts.push_back(executor.forward(test.x.slice(0, i, std::min(test.size(), i + 1024)), plan ? &*plan : nullptr));
    const at::Tensor labels = torch::cat(parts).argmax(1).contiguous();
    const auto peer_labels = read_labels(dir / (name + ".peer.txt"));
    ASSERT_EQ(static_cast<int64_t>(peer_labels.size()), test.size());
    const auto q = labels.accessor<int64_t, 1>();
    int64_t mismatches = 0, first = -1;
    for (int64_t i = 0; i < test.size(); ++i) {
      if (q[i] != peer_labels[static_cast<std::size_t>(i)]) {
        if (first < 0) first = i;
        ++mismatches;
      }
    }
    EXPECT_EQ(mismatches, 0) << "first mismatching test sample: " << first;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qdse::pipeline
