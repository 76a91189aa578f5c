// A trial whose evaluation throws anything, not only qdse::Error or c10::Error, is
// recorded FAILED with its message and the search goes on (issue 13, item 11: a
// std::out_of_range inside a trial used to end `qdse search`).
#include <gtest/gtest.h>
#include <torch/types.h>

#include <filesystem>
#include <fstream>
#include <new>
#include <stdexcept>

#include "../support/search_toml.hpp"
#include "qdse/ir/zoo.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/search_runner.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/storage.hpp"

namespace qdse::pipeline {
namespace {

// Six configurations of jsc-toy, every one evaluated once by brute force.
const std::string kSixConfigs = qdse::testing::SearchToml{
    .model = "jsc-toy", .layers = {{"seq_blocks_5", qdse::testing::integer_layer("[4, 8]", "[2, 4, 8]")}},
    .n_trials = 100}.toml();

// Real evaluations, except that the 2nd, 4th and 6th throw what libtorch and the
// standard library throw (and a non-exception) before evaluating.
class ThrowingEvaluator : public TrialEvaluator {
 public:
  using TrialEvaluator::TrialEvaluator;
  TrialOutcome evaluate(const quant::QuantConfig& config) override {
    switch (calls_++) {
      case 1: throw std::out_of_range("vector::_M_range_check: __n (which is 7) >= this->size() (which is 3)");
      case 3: throw std::bad_alloc();
      case 5: throw 42;
      default: return TrialEvaluator::evaluate(config);
    }
  }

 private:
  int calls_ = 0;
};

TEST(TrialFailure, AnyExceptionFailsOnlyItsTrial) {
  const auto dir = std::filesystem::temp_directory_path() / ("qdse_trial_failure_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "six.toml") << kSixConfigs;
  const auto cfg = io::load_run_config((dir / "six.toml").string());
  const auto g = ir::build_zoo_model("jsc-toy", 1);
  const QuantSpace space(cfg, g);
  const auto strategy = parse_search_config(cfg).strategy;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const at::Tensor x = torch::randn({64, 16}, gen), y = torch::randint(0, 5, {64}, gen, torch::kLong);
  ThrowingEvaluator evaluator(g, x, y, strategy.eval, std::nullopt);
  search::Study study(space.space(), strategy.directions(), std::make_shared<search::InMemoryStorage>(),
                      search::make_sampler(strategy.sampler, strategy.sampler_options));

  const auto summary = run_search(study, space, evaluator, strategy, nullptr);

  EXPECT_EQ(summary.trials, 6);
  EXPECT_TRUE(summary.exhausted);
  EXPECT_EQ(summary.failed, 3);
  ASSERT_EQ(summary.errors.size(), 3u);
  EXPECT_EQ(summary.errors[0], "trial 1: vector::_M_range_check: __n (which is 7) >= this->size() (which is 3)");
  EXPECT_EQ(summary.errors[1], "trial 3: std::bad_alloc");
  EXPECT_EQ(summary.errors[2], "trial 5: unknown exception");
  const auto trials = study.trials();
  ASSERT_EQ(trials.size(), 6u);
  for (const auto& t : trials) {
    const bool throws = t.number % 2 == 1;
    EXPECT_EQ(t.state, throws ? search::TrialState::Failed : search::TrialState::Complete) << t.number;
    EXPECT_EQ(t.values.empty(), throws) << t.number;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qdse::pipeline
