// qdse: quantization design-space exploration. Entry point: parses the command
// line, dispatches to a subcommand, and turns every error (a command-line mistake,
// qdse::Error, libtorch's, any other exception) into one line on stderr and exit
// status 1 (130 when interrupted); --help and --version exit 0.
#include <torch/types.h>

#include <cstdio>
#include <cstring>

#include "commands.hpp"
#include "qdse/core/error.hpp"

namespace {

// The word the user meant as a command: the first argument that is not a global
// flag or its value ("--threads 4 frobnicate" -> "frobnicate"); "" when none.
std::string command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads") {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] != '-') return a;
  }
  return "";
}

// `text` on one line: line breaks (libtorch's messages have them) become spaces, and
// trailing blanks go.
std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// A command-line mistake as one line: CLI11's text with its line breaks folded, and
// for a missing or unknown command the list of commands.
std::string usage_message(const CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  if (app.get_subcommands().empty()) {
    std::string names;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      names += (names.empty() ? "" : ", ") + sub->get_name();
    const std::string word = command_word(argc, argv);
    if (word.empty()) return "a command is required (one of: " + names + "; see qdse --help)";
    bool known = false;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) known = known || sub->get_name() == word;
    if (!known) return "unknown command '" + word + "' (commands: " + names + "; see qdse --help)";
  }
  const std::string text = one_line(e.what());
  const auto subs = app.get_subcommands();
  const std::string help = subs.empty() ? "qdse --help" : "qdse " + subs.front()->get_name() + " --help";
  return text + " (see " + help + ")";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"qdse: find the best per-layer number formats for a trained network"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may also follow the subcommand
  app.set_version_flag("--version", "qdse 0.1.0");
  qdse::cli::GlobalOptions global;
  app.add_flag("--json", global.json, "print machine-readable JSON on stdout");
  app.add_flag("-q,--quiet", global.quiet, "no progress bars");
  app.add_option("--threads", global.threads, "libtorch intra-op threads (default: config or libtorch)")
      ->check(qdse::cli::whole_number(0, 1024));
#define QDSE_CLI_ADD_COMMAND(name) qdse::cli::add_##name##_command(app, global);
  QDSE_CLI_COMMANDS(QDSE_CLI_ADD_COMMAND)
#undef QDSE_CLI_ADD_COMMAND
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and exit 0; any other mistake is one line and exit 1.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::fprintf(stderr, "qdse: usage error: %s\n", usage_message(app, e, argc, argv).c_str());
    return 1;
  } catch (const qdse::Error& e) {
    std::fprintf(stderr, "qdse: %s: %s\n", std::string(qdse::to_string(e.kind())).c_str(), one_line(e.what()).c_str());
    return e.kind() == qdse::ErrorKind::Interrupted ? 130 : 1;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "qdse: libtorch error: %s\n", one_line(e.what_without_backtrace()).c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qdse: error: %s\n", one_line(e.what()).c_str());
    return 1;
  }
  return 0;
}
