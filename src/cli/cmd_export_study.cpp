// `qdse export-study`: a study of any storage written as an Optuna journal file, so that
// optuna.load_study, optuna.visualization and optuna-dashboard open it
// (docs/storage.md, "Exporting a study").
//   qdse export-study --from URL [--study NAME] --to journal:PATH [--force]
// The flags follow `qdse trials` (--study, default the only study); --from takes the
// URLs of --storage. Only reads the source.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "qdse/core/error.hpp"
#include "qdse/storage/journal_export.hpp"
#include "qdse/storage/open_storage.hpp"
#include "qdse/storage/postgres_storage.hpp"

namespace qdse::cli {

void add_export_study_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("export-study", "write a study of a storage as an Optuna journal file");
  static std::string from, study, to;
  static bool force = false;
  cmd->add_option("--from", from, "storage URL of the study (sqlite:///path.db, path.db, postgresql://..., journal:...)")
      ->required();
  cmd->add_option("--study", study, "study name (default: the storage's only study)");
  cmd->add_option("--to", to, "the Optuna journal file to write, as journal:PATH")->required();
  cmd->add_flag("--force", force, "replace a non-empty --to file");
  cmd->callback([&global] {
    const auto target = storage::parse_storage_url(to);
    if (target.kind != storage::StorageKind::Journal)
      throw Error(ErrorKind::Config, "--to `" + storage::redact_url(to) +
                                         "`: export-study writes an Optuna journal file; give journal:PATH");
    const auto done = storage::export_to_journal(from, study, target.target, force);
    if (global.json) {
      const nlohmann::json j = {{"study", done.study}, {"trials", done.n_trials}, {"from", storage::redact_url(from)},
                                {"to", target.target}};
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("exported study `%s` (%d trials) from %s to the Optuna journal %s\n", done.study.c_str(),
                  done.n_trials, storage::redact_url(from).c_str(), target.target.c_str());
    }
  });
}

}  // namespace qdse::cli
