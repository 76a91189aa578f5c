// The progress line's text and its ETA rule (issue 13 item 18): no ETA until enough of
// a phase is done to extrapolate from, and a restarted phase (a new epoch) is not
// extrapolated from the run's start. Pure functions: no clock, no terminal.
#include <gtest/gtest.h>

#include "qdse/core/progress.hpp"

namespace qdse {
namespace {

TEST(ProgressEta, NoEtaFromOneBatchOrUnderASecond) {
  // Epoch 2 of a run, one batch of 235 in: the old bar measured 26 s of earlier epochs
  // against 1 batch and said "ETA 1h41m".
  EXPECT_FALSE(eta_seconds(26.0, 1, 235));
  EXPECT_FALSE(eta_seconds(5.0, 2, 235));    // 2 units, under 5%
  EXPECT_FALSE(eta_seconds(0.5, 100, 235));  // plenty done, but under a second
  EXPECT_FALSE(eta_seconds(10.0, 0, 235));
  EXPECT_FALSE(eta_seconds(10.0, 235, 235));  // done: no ETA, the elapsed time
  EXPECT_FALSE(eta_seconds(10.0, 5, 0));      // unknown total
}

TEST(ProgressEta, ExtrapolatesOnceEnoughIsDone) {
  ASSERT_TRUE(eta_seconds(1.5, 3, 9));
  EXPECT_DOUBLE_EQ(*eta_seconds(1.5, 3, 9), 3.0);
  // A slow phase of few units: one of 20 (5%) is enough.
  ASSERT_TRUE(eta_seconds(12.0, 1, 20));
  EXPECT_DOUBLE_EQ(*eta_seconds(12.0, 1, 20), 228.0);
  EXPECT_FALSE(eta_seconds(12.0, 1, 21));
}

TEST(ProgressLine, PlainTextWithEtaOrElapsed) {
  EXPECT_EQ(format_progress_line("train", 1, 235, 26.0, "epoch 2/5 loss 0.4100", false),
            "train [........................] 1/235 26.0s | epoch 2/5 loss 0.4100");
  EXPECT_EQ(format_progress_line("search", 6, 12, 3.0, "", false), "search [############............] 6/12 ETA 3.0s");
  EXPECT_EQ(format_progress_line("search", 12, 12, 3.0, "best 0.8", true),
            "search [########################] 12/12 3.0s | best 0.8");
  EXPECT_EQ(format_progress_line("compare", 7, 0, 0.25, "", false), "compare 7 250ms");
  for (const auto& line : {format_progress_line("a", 3, 9, 100.0, "n", false),
                           format_progress_line("a", 30, 9, 1e6, "n", true)}) {
    EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace qdse
