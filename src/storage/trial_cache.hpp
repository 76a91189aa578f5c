// TrialCache: the trials an SQL storage connection has already read, so that trials()
// — which every Study::ask pays — re-reads only the rows that can still change instead
// of the whole study (O(running + new) rows instead of O(all)).
//
// Why this is exact: a finished trial never changes again (finish_trial and
// fail_stale_trials only ever move a Running row, storages never delete rows), so a
// cached finished trial is final. What may change is (a) every trial cached as Running
// (another worker finishes or fails it) and (b) trials numbered past the highest cached
// number (new ones). The back end reads exactly those rows (`running_numbers()` and
// `number >= next_number()`) and hands them to merge().
// Internal to qdse_storage. Thread-safety: none; the owning storage locks around it.
#pragma once

#include <algorithm>
#include <set>
#include <vector>

#include "qdse/search/trial.hpp"

namespace qdse::storage::detail {

class TrialCache {
 public:
  // One past the highest cached number (0 when nothing is cached).
  long long next_number() const { return trials_.empty() ? 0 : trials_.back().number + 1; }

  // Numbers of the cached trials that are still Running.
  const std::set<long long>& running_numbers() const { return running_; }

  // Rows read for running_numbers() and number >= next_number(), in any order.
  void merge(std::vector<search::FrozenTrial> rows) {
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
    for (auto& row : rows) {
      const long long number = row.number;
      if (row.state == search::TrialState::Running) {
        running_.insert(number);
      } else {
        running_.erase(number);
      }
      if (number >= next_number()) {
        trials_.push_back(std::move(row));
        continue;
      }
      auto it = std::lower_bound(trials_.begin(), trials_.end(), number,
                                 [](const search::FrozenTrial& t, long long n) { return t.number < n; });
      if (it != trials_.end() && it->number == number) {
        *it = std::move(row);
      } else {
        trials_.insert(it, std::move(row));  // a gap filled late (not produced by qdse; kept correct anyway)
      }
    }
  }

  const std::vector<search::FrozenTrial>& trials() const { return trials_; }

 private:
  std::vector<search::FrozenTrial> trials_;  // by number
  std::set<long long> running_;
};

}  // namespace qdse::storage::detail
