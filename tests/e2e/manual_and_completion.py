#!/usr/bin/env python3
"""The manual and the completions are generated from the command definitions: check that they
cover every command and option `--help` shows, that the man page renders without groff
warnings, and that each shell's completion completes commands, options and option values.

usage: manual_and_completion.py --binary build/trailreplay
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def run(*argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    tr = os.path.abspath(args.binary)
    failures = []

    top = run(tr, "--help").stdout
    commands = re.findall(r"^  ([a-z][a-z-]+)\s", top.split("Subcommands:")[1], re.M)
    if "scan" not in commands or "manpage" in commands:
        failures.append(f"--help lists the commands {commands}")
    version = run(tr, "--version").stdout

    man = run(tr, "manpage").stdout
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(tmp, "trailreplay.1")
        with open(page, "w") as f:
            f.write(man)
        if shutil.which("man"):
            rendered = run("man", "--warnings=all", "-l", page, env={**os.environ, "MANWIDTH": "80"})
            if rendered.returncode != 0 or rendered.stderr.strip():
                failures.append(f"man -l warns: {rendered.stderr[:1000]}")

    # `help COMMAND` is `COMMAND --help` followed by the command's guide, which the manual holds
    # too (its first paragraph's first words, as roff sets them).
    guided = 0
    for command in commands:
        help_text = run(tr, command, "--help").stdout
        long_help = run(tr, "help", command).stdout
        if not long_help.startswith(help_text):
            failures.append(f"'help {command}' does not begin with '{command} --help'")
        guide = long_help[len(help_text):].strip()
        if guide:
            guided += 1
            first = " ".join(guide.split("\n\n")[0].split()[:6]).replace("-", "\\-")
            if first not in " ".join(man.split()):
                failures.append(f"the manual lacks the guide of {command}: {first!r}")
    if guided < 10:
        failures.append(f"only {guided} commands have a guide in 'help COMMAND'")
        if run(tr, command, "--version").stdout != version:
            failures.append(f"'{command} --version' does not print the version")
        if f'.SS "trailreplay {command}"' not in man:
            failures.append(f"the man page has no section for {command}")
        options = re.findall(r"^  (?:-\w,)?(--[a-z][a-z-]+)", help_text, re.M)
        if not options and command not in ("help", "completion", "manpage"):
            failures.append(f"found no options in '{command} --help'")
        for option in set(options):
            if option in ("--help", "--version"):
                continue
            if "\\fB" + option.replace("-", "\\-") + "\\fR" not in man:
                failures.append(f"the man page lacks {command} {option}")

    # bash: the completion function, driven as readline would.
    bash = run(tr, "completion", "bash").stdout
    cases = [
        (["trailreplay", "sc"], "scan"),
        (["trailreplay", "sql", "--format", ""], "csv json table"),
        (["trailreplay", "scan", "--thr"], "--threads"),
        (["trailreplay", "rules", "sh"], "show"),
        (["trailreplay", "replay", "--db", "x.db", "--ala"], "--alarm"),
    ]
    for words, expected in cases:
        script = (bash + "\nCOMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + ")\n"
                  f"COMP_CWORD={len(words) - 1}\n_trailreplay\necho \"${{COMPREPLY[*]}}\"\n")
        got = " ".join(sorted(run("bash", "-c", script).stdout.split()))
        if got != expected:
            failures.append(f"bash completes {words} to {got!r}, expected {expected!r}")

    if shutil.which("zsh"):
        zsh = run("zsh", "-n", stdin=None, input=run(tr, "completion", "zsh").stdout)
        if zsh.returncode != 0:
            failures.append(f"zsh -n: {zsh.stderr}")
    else:
        print("note: zsh absent, its script not checked")
    if shutil.which("fish"):
        fish_script = run(tr, "completion", "fish").stdout
        if run("fish", "-n", input=fish_script).returncode != 0:
            failures.append("fish -n rejects the script")
        with tempfile.NamedTemporaryFile("w", suffix=".fish", delete=False) as f:
            f.write(fish_script)
        try:
            for line, expected in [("trailreplay sql --format ", {"csv", "json", "table"}),
                                   ("trailreplay sc", {"scan"}),
                                   ("trailreplay rules s", {"show"})]:
                out = run("fish", "-c", f"source {f.name}; complete -C '{line}'").stdout
                got = {row.split("\t")[0] for row in out.splitlines()}
                if got != expected:
                    failures.append(f"fish completes {line!r} to {got}, expected {expected}")
        finally:
            os.unlink(f.name)
    else:
        print("note: fish absent, its script not checked")

    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
