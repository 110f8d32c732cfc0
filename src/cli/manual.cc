#include "cli/manual.h"

#include <iostream>
#include <vector>

#include "cli/commands.h"

namespace trailreplay::cli {

namespace {

// What the generators need to know of one option or positional.
struct OptionInfo {
  std::vector<std::string> longs, shorts;  // without their dashes
  std::string positional;                  // the name, for a positional
  bool takes_value = false;
  std::string type;                  // TEXT, INT, ...
  std::vector<std::string> choices;  // from an IsMember check: {table,csv,json}
  std::string default_value;
  std::string description;
  bool required = false;
};

struct CommandInfo {
  std::vector<std::string> path;  // {"rules", "show"}
  std::string description, footer;
  std::vector<OptionInfo> options;
  std::vector<CommandInfo> commands;
};

bool Visible(const CLI::App* command) { return !command->get_group().empty(); }

OptionInfo Describe(const CLI::Option* option) {
  OptionInfo info;
  info.longs = option->get_lnames();
  info.shorts = option->get_snames();
  if (info.longs.empty() && info.shorts.empty()) info.positional = option->get_name(true, false);
  info.takes_value = option->get_type_size() != 0 && !option->get_type_name().empty();
  // CLI11 writes an IsMember check into the type name: "TEXT:{table,csv,json}".
  const std::string type = option->get_type_name();
  const std::size_t colon = type.find(':');
  info.type = type.substr(0, colon);
  if (colon != std::string::npos && type.size() > colon + 2 && type[colon + 1] == '{' &&
      type.back() == '}') {
    const std::string list = type.substr(colon + 2, type.size() - colon - 3);
    for (std::size_t start = 0; start <= list.size();) {
      const std::size_t comma = list.find(',', start);
      info.choices.push_back(list.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  info.default_value = option->get_default_str();
  info.description = option->get_description();
  info.required = option->get_required();
  return info;
}

CommandInfo Describe(const CLI::App& app, std::vector<std::string> path) {
  CommandInfo info;
  info.path = std::move(path);
  info.description = app.get_description();
  info.footer = app.get_footer();
  for (const CLI::Option* option : app.get_options()) {
    // --help and --version are every command's; the generators add them once.
    if (option == app.get_help_ptr() || option->get_single_name() == "version") continue;
    info.options.push_back(Describe(option));
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (!Visible(sub)) continue;
    std::vector<std::string> sub_path = info.path;
    sub_path.push_back(sub->get_name());
    info.commands.push_back(Describe(*sub, std::move(sub_path)));
  }
  return info;
}

std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i > 0 ? separator : "") + parts[i];
  return out;
}

std::vector<std::string> OptionWords(const OptionInfo& o) {
  std::vector<std::string> words;
  for (const auto& l : o.longs) words.push_back("--" + l);
  for (const auto& s : o.shorts) words.push_back("-" + s);
  return words;
}

// Text inside single quotes, for sh and fish.
std::string SingleQuoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// A description shortened to its first sentence, for completion menus.
std::string Brief(const std::string& text) {
  const std::size_t stop = text.find_first_of(".:(");
  std::string out = text.substr(0, stop);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// --- bash ---

void BashCase(const CommandInfo& command, std::string& out) {
  std::vector<std::string> words, files, choices;
  for (const OptionInfo& o : command.options) {
    if (!o.positional.empty()) continue;
    for (const auto& w : OptionWords(o)) {
      words.push_back(w);
      if (!o.takes_value) continue;
      if (o.choices.empty()) {
        files.push_back(w);
      } else {
        choices.push_back("        " + w + ") COMPREPLY=($(compgen -W " +
                          SingleQuoted(Join(o.choices, " ")) + " -- \"$cur\")); return ;;\n");
      }
    }
  }
  words.push_back("--help");
  for (const CommandInfo& sub : command.commands) words.push_back(sub.path.back());
  out += "    " + SingleQuoted(Join(command.path, " ")) + ")\n      case \"$prev\" in\n";
  for (const auto& c : choices) out += c;
  if (!files.empty()) {
    out += "        " + Join(files, "|") + ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
  }
  out += "      esac\n      if [[ \"$cur\" == -* || -z \"$files\" ]]; then\n";
  out += "        COMPREPLY=($(compgen -W " + SingleQuoted(Join(words, " ")) + " -- \"$cur\"))\n";
  out += "      else\n        COMPREPLY=($(compgen -f -- \"$cur\"))\n      fi\n";
  out += "      return ;;\n";
  for (const CommandInfo& sub : command.commands) BashCase(sub, out);
}

bool HasPositional(const CommandInfo& command) {
  for (const OptionInfo& o : command.options) {
    if (!o.positional.empty()) return true;
  }
  return false;
}

void BashFiles(const CommandInfo& command, std::string& out) {
  if (HasPositional(command))
    out += "    " + SingleQuoted(Join(command.path, " ")) + ") files=1 ;;\n";
  for (const CommandInfo& sub : command.commands) BashFiles(sub, out);
}

std::string Bash(const CommandInfo& root) {
  std::vector<std::string> names;
  for (const CommandInfo& c : root.commands) names.push_back(c.path.back());
  std::string out =
      "# bash completion for trailreplay; generated by 'trailreplay completion bash'.\n"
      "_trailreplay() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  local command=\"\" files=\"\" i word\n"
      "  # The command path: the words before the cursor that are not options or their values.\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    word=\"${COMP_WORDS[i]}\"\n"
      "    [[ \"$word\" == -* ]] && continue\n"
      "    case \"${command:+$command }$word\" in\n";
  std::vector<std::string> paths;
  std::vector<const CommandInfo*> stack = {&root};
  while (!stack.empty()) {
    const CommandInfo* c = stack.back();
    stack.pop_back();
    for (const CommandInfo& sub : c->commands) {
      paths.push_back(SingleQuoted(Join(sub.path, " ")));
      stack.push_back(&sub);
    }
  }
  out += "      " + Join(paths, "|") + ") command=\"${command:+$command }$word\" ;;\n";
  out +=
      "    esac\n"
      "  done\n"
      "  case \"$command\" in\n";
  for (const CommandInfo& c : root.commands) BashFiles(c, out);
  out += "  esac\n  case \"$command\" in\n";
  out += "    '')\n      COMPREPLY=($(compgen -W " +
         SingleQuoted(Join(names, " ") + " --help --version") + " -- \"$cur\"))\n      return ;;\n";
  for (const CommandInfo& c : root.commands) BashCase(c, out);
  out += "  esac\n}\ncomplete -o bashdefault -o default -F _trailreplay trailreplay\n";
  return out;
}

// --- zsh ---

// Text for an _arguments spec or a _describe entry: brackets and colons are its syntax.
std::string ZshText(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') out += '\\';
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out;
}

std::string ZshFunctionName(const CommandInfo& command) {
  return "_trailreplay_" + Join(command.path, "_");
}

void ZshFunction(const CommandInfo& command, std::string& out) {
  out += ZshFunctionName(command) + "() {\n";
  if (!command.commands.empty()) {
    out += "  local -a commands=(\n";
    for (const CommandInfo& sub : command.commands) {
      out += "    '" + ZshText(sub.path.back()) + ":" + ZshText(Brief(sub.description)) + "'\n";
    }
    out +=
        "  )\n"
        "  if (( CURRENT == 2 )); then\n"
        "    _describe 'command' commands\n"
        "    return\n"
        "  fi\n"
        "  shift words; (( CURRENT-- ))\n"
        "  case $words[1] in\n";
    for (const CommandInfo& sub : command.commands) {
      out += "    " + sub.path.back() + ") " + ZshFunctionName(sub) + " ;;\n";
    }
    out += "  esac\n}\n";
    for (const CommandInfo& sub : command.commands) ZshFunction(sub, out);
    return;
  }
  out += "  _arguments -s \\\n    '(- *)'{-h,--help}'[Print the help and exit]' \\\n";
  for (const OptionInfo& o : command.options) {
    const std::string what = ZshText(Brief(o.description));
    std::string action;
    if (o.takes_value) {
      action = o.choices.empty() ? ":" + ZshText(o.type) + ":_files"
                                 : ":" + ZshText(o.type) + ":(" + Join(o.choices, " ") + ")";
    }
    if (!o.positional.empty()) {
      out += "    '*:" + ZshText(o.positional) + ":_files' \\\n";
      continue;
    }
    for (const auto& w : OptionWords(o)) {
      out += "    '*" + w + "[" + what + "]" + action + "' \\\n";
    }
  }
  out += "    && return 0\n}\n";
}

std::string Zsh(const CommandInfo& root) {
  std::string out =
      "#compdef trailreplay\n"
      "# zsh completion for trailreplay; generated by 'trailreplay completion zsh'.\n";
  CommandInfo top = root;
  top.path = {};
  out += "_trailreplay() {\n  local -a commands=(\n";
  for (const CommandInfo& sub : root.commands) {
    out += "    '" + ZshText(sub.path.back()) + ":" + ZshText(Brief(sub.description)) + "'\n";
  }
  out +=
      "  )\n"
      "  if (( CURRENT == 2 )); then\n"
      "    _describe 'command' commands\n"
      "    _arguments '(- *)--version[Print the version and exit]' '(- *)'{-h,--help}'[Print "
      "the help and exit]'\n"
      "    return\n"
      "  fi\n"
      "  shift words; (( CURRENT-- ))\n"
      "  case $words[1] in\n";
  for (const CommandInfo& sub : root.commands) {
    out += "    " + sub.path.back() + ") " + ZshFunctionName(sub) + " ;;\n";
  }
  out += "  esac\n}\n";
  for (const CommandInfo& sub : root.commands) ZshFunction(sub, out);
  out += "_trailreplay \"$@\"\n";
  return out;
}

// --- fish ---

void FishCommand(const CommandInfo& command, std::string& out) {
  // The condition that this command (and not one of its subcommands) is being completed.
  std::string condition = "__fish_seen_subcommand_from " + command.path.back();
  if (command.path.size() > 1) {
    condition = "__fish_seen_subcommand_from " + command.path[0] + "; and " + condition;
  }
  std::vector<std::string> names;
  for (const CommandInfo& sub : command.commands) names.push_back(sub.path.back());
  if (!names.empty()) {
    for (const CommandInfo& sub : command.commands) {
      out += "complete -c trailreplay -n " +
             SingleQuoted(condition + "; and not __fish_seen_subcommand_from " + Join(names, " ")) +
             " -f -a " + SingleQuoted(sub.path.back()) + " -d " +
             SingleQuoted(Brief(sub.description)) + "\n";
    }
  }
  for (const OptionInfo& o : command.options) {
    if (!o.positional.empty()) continue;
    std::string line = "complete -c trailreplay -n " + SingleQuoted(condition);
    for (const auto& l : o.longs) line += " -l " + l;
    for (const auto& s : o.shorts) line += " -s " + s;
    if (o.takes_value) {
      line += o.choices.empty() ? " -r -F" : " -x -a " + SingleQuoted(Join(o.choices, " "));
    }
    out += line + " -d " + SingleQuoted(Brief(o.description)) + "\n";
  }
  for (const CommandInfo& sub : command.commands) FishCommand(sub, out);
}

std::string Fish(const CommandInfo& root) {
  std::vector<std::string> names;
  for (const CommandInfo& c : root.commands) names.push_back(c.path.back());
  std::string out =
      "# fish completion for trailreplay; generated by 'trailreplay completion fish'.\n";
  out += "complete -c trailreplay -l help -s h -d 'Print the help and exit'\n";
  out += "complete -c trailreplay -n '__fish_use_subcommand' -l version -d 'Print the version'\n";
  for (const CommandInfo& c : root.commands) {
    out += "complete -c trailreplay -n '__fish_use_subcommand' -f -a " +
           SingleQuoted(c.path.back()) + " -d " + SingleQuoted(Brief(c.description)) + "\n";
  }
  for (const CommandInfo& c : root.commands) FishCommand(c, out);
  return out;
}

// --- roff ---

std::string Roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

#include "cli/command_guides.inc"

// The guide as roff: paragraphs filled, example lines (indented by four spaces) verbatim.
void ManGuide(std::string_view guide, std::string& out) {
  bool verbatim = false;
  out += ".PP\n";
  for (std::size_t start = 0; start <= guide.size();) {
    std::size_t end = guide.find('\n', start);
    if (end == std::string_view::npos) end = guide.size();
    const std::string line(guide.substr(start, end - start));
    start = end + 1;
    const bool example = line.starts_with("    ");
    if (example && !verbatim) out += ".RS 4\n.nf\n";
    if (!example && verbatim && !line.empty()) out += ".fi\n.RE\n";
    if (example || (verbatim && line.empty())) {
      verbatim = true;
      out += line.empty() ? "\n" : Roff(line.substr(4)) + "\n";
      continue;
    }
    verbatim = false;
    out += line.empty() ? ".PP\n" : Roff(line) + "\n";
  }
  if (verbatim) out += ".fi\n.RE\n";
}

void ManCommand(const CommandInfo& command, std::string& out) {
  out += ".SS \"trailreplay " + Join(command.path, " ") + "\"\n" + Roff(command.description) + "\n";
  if (!command.commands.empty()) {
    out += ".PP\nCommands:\n";
    for (const CommandInfo& sub : command.commands) {
      out += ".TP\n.B " + Roff(Join(sub.path, " ")) + "\n" + Roff(sub.description) + "\n";
    }
  }
  for (const OptionInfo& o : command.options) {
    out += ".TP\n";
    if (!o.positional.empty()) {
      out += ".I " + Roff(o.positional) + "\n";
    } else {
      std::vector<std::string> words;
      for (const auto& w : OptionWords(o)) words.push_back("\\fB" + Roff(w) + "\\fR");
      out += Join(words, ", ");
      if (o.takes_value) {
        out += " \\fI" + Roff(o.choices.empty() ? o.type : Join(o.choices, "|")) + "\\fR";
      }
      out += "\n";
    }
    out += Roff(o.description);
    if (!o.default_value.empty()) out += " (default: " + Roff(o.default_value) + ")";
    if (o.required) out += std::string(o.description.ends_with('.') ? "" : ".") + " Required.";
    out += "\n";
  }
  if (!command.footer.empty()) {
    out += ".PP\n";
    for (std::size_t start = 0; start < command.footer.size();) {
      std::size_t end = command.footer.find('\n', start);
      if (end == std::string::npos) end = command.footer.size();
      const std::string line = command.footer.substr(start, end - start);
      out += line.empty() ? ".PP\n" : Roff(line) + "\n";
      start = end + 1;
    }
  }
  if (command.path.size() == 1) {
    const std::string_view guide = CommandGuide(command.path.front());
    if (!guide.empty()) ManGuide(guide, out);
  }
  for (const CommandInfo& sub : command.commands) ManCommand(sub, out);
}

}  // namespace

std::string_view CommandGuide(std::string_view command) {
  for (const auto& [name, guide] : kCommandGuides) {
    if (name == command) return guide;
  }
  return {};
}

std::string CompletionScript(const CLI::App& app, std::string_view shell) {
  const CommandInfo root = Describe(app, {});
  if (shell == "bash") return Bash(root);
  if (shell == "zsh") return Zsh(root);
  return Fish(root);
}

std::string ManPage(const CLI::App& app, std::string_view version) {
  const CommandInfo root = Describe(app, {});
  std::string out =
      ".\\\" trailreplay(1); generated from the command definitions by 'trailreplay manpage'.\n"
      ".TH TRAILREPLAY 1 \"\" \"trailreplay " +
      std::string(version) +
      "\" \"User Commands\"\n"
      // Ragged right: the guides hold S3 keys and ARNs no justified line can fit.
      ".ad l\n"
      ".SH NAME\ntrailreplay \\- replay CloudWatch Logs metric filters and alarms over archived "
      "CloudTrail logs, offline\n"
      ".SH SYNOPSIS\n.B trailreplay\n.I command\n[\\fIoptions\\fR] [\\fIarguments\\fR]\n"
      ".br\n.B trailreplay help\n[\\fIcommand\\fR]\n"
      ".SH DESCRIPTION\n" +
      Roff(root.description) +
      "\n.PP\nEvery command takes \\fB\\-h\\fR, \\fB\\-\\-help\\fR and \\fB\\-\\-version\\fR. A "
      "repeatable option takes one value per occurrence. Times are UTC dates and times "
      "(2024\\-03\\-01, 2024\\-03\\-01T12:00, 2024\\-03\\-01T12:00:30Z), times with an offset "
      "(2024\\-03\\-01T07:00\\-05:00) or epoch seconds.\n"
      ".SH COMMANDS\n";
  for (const CommandInfo& c : root.commands) ManCommand(c, out);
  out +=
      ".SH EXIT STATUS\n"
      ".TP\n.B 0\nSuccess.\n"
      ".TP\n.B 1\nA runtime failure: a missing, damaged or foreign database, unreadable rules, "
      "an SQL error or a refused statement, an I/O error.\n"
      ".TP\n.B 2\nThe command line could not be parsed, or a definition is invalid (a bad "
      "pattern, a bad metric transformation).\n"
      ".TP\n.B 3\n\\fBscan\\fR finished but skipped bad input; \\fBlint\\fR found warnings.\n"
      ".TP\n.B 130\n\\fBscan\\fR was interrupted; everything complete is committed, and the same "
      "command continues.\n"
      ".SH FILES\n"
      "The database given with \\fB\\-\\-db\\fR holds raw CloudTrail records; trailreplay "
      "creates it, and the HTML report, readable by their owner only.\n"
      ".TP\n.I lib/trailreplay/sqlite/trailreplay.so\n"
      "Under the installation prefix (\\fI/usr/local\\fR; \\fI/usr\\fR for the Debian "
      "package): the SQLite extension that gives "
      "\\fBsqlite3\\fR(1) the \\fBrecord_json\\fR(\\fIraw\\fR) function, which reads the "
      "stored raw records (kept compressed) and which the \\fBmatches\\fR view uses: "
      "\\fBsqlite3 -cmd '.load /usr/local/lib/trailreplay/sqlite/trailreplay' DB\\fR.\n"
      ".SH SEE ALSO\n.BR sqlite3 (1),\n.BR aws (1)\n";
  return out;
}

void RegisterManual(CLI::App& app, int& exit_code) {
  auto shell = std::make_shared<std::string>();
  CLI::App* completion = app.add_subcommand(
      "completion",
      "Print a completion script for bash, zsh or fish, generated from the command "
      "definitions.");
  completion->add_option("SHELL", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completion->footer(
      "Install it where your shell looks for completions, for example:\n"
      "  trailreplay completion bash > /etc/bash_completion.d/trailreplay\n"
      "  trailreplay completion zsh > \"${fpath[1]}/_trailreplay\"\n"
      "  trailreplay completion fish > ~/.config/fish/completions/trailreplay.fish\n"
      "'cmake --install' and the Debian package install all three.");
  completion->callback([&app, shell, &exit_code] {
    std::cout << CompletionScript(app, *shell);
    exit_code = kExitOk;
  });

  auto topic = std::make_shared<std::string>();
  CLI::App* help = app.add_subcommand("help", "Print the help of trailreplay or of a command.");
  help->add_option("COMMAND", *topic, "The command");
  help->callback([&app, topic, &exit_code] {
    if (topic->empty()) {
      std::cout << app.help();
      exit_code = kExitOk;
      return;
    }
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == *topic && !sub->get_group().empty()) {
        std::cout << sub->help(app.get_name());
        if (const std::string_view guide = CommandGuide(*topic); !guide.empty()) {
          std::cout << "\n" << guide << "\n";
        }
        exit_code = kExitOk;
        return;
      }
    }
    std::cerr << "error: no command '" << *topic << "'\nRun 'trailreplay help' for the commands.\n";
    exit_code = kExitUsage;
  });

  CLI::App* manpage = app.add_subcommand("manpage", "Print trailreplay(1) in roff.");
  manpage->group("");  // hidden: the build writes the installed manual with it
  manpage->callback([&app, &exit_code] {
    std::cout << ManPage(app, TRAILREPLAY_VERSION);
    exit_code = kExitOk;
  });
}

}  // namespace trailreplay::cli
