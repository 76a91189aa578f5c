// The sensitivity pass as `qdse sensitivity` and `qdse plan` run it: a search session
// over the config (one job, so one evaluator holds the whole memo budget), the pass on
// its first evaluator. Shared by cmd_sensitivity.cpp and cmd_plan.cpp.
#pragma once

#include <memory>
#include <string>

#include "commands.hpp"
#include "qdse/pipeline/search_session.hpp"
#include "qdse/pipeline/sensitivity.hpp"

namespace qdse::cli {

inline std::unique_ptr<pipeline::SearchSession> open_sensitivity_session(const GlobalOptions& global,
                                                                         const ConfigOptions& cfg) {
  const io::RunConfig c = resolve_config(cfg);
  pipeline::SearchOverrides o;
  o.load = cfg.load;
  o.n_jobs = 1;
  return std::make_unique<pipeline::SearchSession>(c, o, global.threads > 0 ? global.threads : c.threads);
}

inline pipeline::SensitivityTable run_sensitivity_pass(pipeline::SearchSession& session) {
  return pipeline::measure_sensitivity(session.space(), session.workspace().graph, pipeline::group_naming(session.search_config().space),
                                       *session.evaluators().at(0));
}

}  // namespace qdse::cli
