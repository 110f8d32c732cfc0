#include "cli/cli_support.h"

#include <algorithm>
#include <iostream>

#include "common/private_file.h"

namespace trailreplay::cli {

namespace {

std::size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "trailreplay scan" for a command, "trailreplay" for the program.
std::string CommandPath(const CLI::App* app) {
  std::string path;
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent()) {
    path = a->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

std::vector<std::string> OptionNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    for (const auto& l : option->get_lnames()) names.push_back("--" + l);
    for (const auto& s : option->get_snames()) names.push_back("-" + s);
  }
  return names;
}

std::vector<std::string> CommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

}  // namespace

std::string Suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (const std::string& c : candidates) {
    const std::size_t d = c.rfind(word, 0) == 0 && word.size() >= 3 ? 1 : EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

void OneValuePerRepeatableOption(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    OneValuePerRepeatableOption(*sub);
  }
  for (CLI::Option* option : app.get_options()) {
    const bool named = !option->get_lnames().empty() || !option->get_snames().empty();
    if (!named || option->get_expected_max() <= 1) continue;
    option->expected(1)->allow_extra_args(false)->multi_option_policy(
        CLI::MultiOptionPolicy::TakeAll);
    if (option->get_description().find("repeatable") == std::string::npos) {
      option->description(option->get_description() + " (repeatable)");
    }
  }
}

namespace {
bool g_quiet = false;
}  // namespace

void AddFormatOption(CLI::App* command, FormatChoice& choice) {
  command->add_option("--format", choice.format, "table: for people; json: one JSON document")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  command->add_flag("--json", choice.json_flag, "The same as --format json");
}

void EveryCommandTakesQuiet(CLI::App& app) {
  if (app.get_parent() == nullptr && app.get_option_no_throw("--quiet") == nullptr) {
    app.add_flag_callback(
        "-q,--quiet", [] { g_quiet = true; }, "Print results, warnings and errors only");
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_option_no_throw("--quiet") == nullptr) {
      sub->add_flag_callback(
          "-q,--quiet", [] { g_quiet = true; }, "Print results, warnings and errors only");
    }
    EveryCommandTakesQuiet(*sub);
  }
}

bool Quiet() { return g_quiet; }

void EveryCommandTakesVersion(CLI::App& app, const std::string& version) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->set_version_flag("--version", version, "Print the version and exit");
    EveryCommandTakesVersion(*sub, version);
  }
}

std::string UsageErrorMessage(const CLI::App& app, const CLI::App* failed, const CLI::Error& e) {
  // The command the error is about: the deepest one given, whichever level raised it.
  const CLI::App* command = failed;
  for (const CLI::App* sub = &app; sub != nullptr;) {
    const auto chosen = sub->get_subcommands();
    if (chosen.empty()) break;
    command = chosen.back();
    sub = command;
  }
  if (command == nullptr) command = &app;
  std::string message = std::string("error: ") + e.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    std::vector<std::string> extras =
        failed != nullptr ? failed->remaining() : command->remaining();
    if (extras.empty()) extras = command->remaining();
    for (const std::string& extra : extras) {
      if (extra.size() < 2 || extra[0] != '-') continue;
      const std::string name = extra.substr(0, extra.find('='));
      message = "error: unknown option '" + name + "' for '" + CommandPath(command) + "'";
      const std::string suggestion = Suggestion(name, OptionNames(*command));
      if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
      break;
    }
  }
  return message + "\nRun '" + CommandPath(command) + " --help' for more information.\n";
}

std::string UnknownCommandMessage(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '\0') return "";
  const std::string word = argv[1];
  if (word[0] == '-') {
    const std::vector<std::string> options = OptionNames(app);
    const std::string name = word.substr(0, word.find('='));
    if (std::find(options.begin(), options.end(), name) != options.end()) return "";
    std::string message = "error: unknown option '" + name + "'";
    const std::string suggestion = Suggestion(name, options);
    if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
    return message + "\nRun '" + app.get_name() + " --help' for more information.\n";
  }
  const std::vector<std::string> commands = CommandNames(app);
  if (std::find(commands.begin(), commands.end(), word) != commands.end()) return "";
  std::string message = "error: unknown command '" + word + "'";
  const std::string suggestion = Suggestion(word, commands);
  if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
  return message + "\nRun '" + app.get_name() + " --help' for the commands.\n";
}

CLI::Validator AtLeastOne() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::size_t used = 0;
        long long value = 0;
        try {
          value = std::stoll(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text.size() || value < 1) return "must be a whole number of at least 1";
        return "";
      },
      "");
}

void WarnIfShared(const std::string& db_path) {
  if (auto warning = SharedFileWarning(db_path)) std::cerr << "warning: " << *warning << "\n";
}

}  // namespace trailreplay::cli
