#!/usr/bin/env python3
"""From a build to an installed package: `cmake --install` puts the binary, trailreplay(1), the
three completion scripts, the license and the SQLite extension (which the sqlite3 shell loads
to read stored raw records) where a Debian system looks for them; `cpack -G DEB`
makes a package whose dependencies are the binary's shared libraries, which installs into a
scratch root with `dpkg --root` and whose dependencies apt can satisfy from Debian 12.

usage: install_package.py --build-dir build
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

EXPECTED = [
    "bin/trailreplay",
    "share/man/man1/trailreplay.1",
    "share/bash-completion/completions/trailreplay",
    "share/zsh/vendor-completions/_trailreplay",
    "share/fish/vendor_completions.d/trailreplay.fish",
    "share/doc/trailreplay/copyright",
    "lib/trailreplay/sqlite/trailreplay.so",
]


def run(*argv, **kwargs):
    p = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    args = parser.parse_args()
    build = os.path.abspath(args.build_dir)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "prefix")
        run("cmake", "--install", build, "--prefix", prefix)
        for path in EXPECTED:
            if not os.path.isfile(os.path.join(prefix, path)):
                failures.append(f"cmake --install did not install {path}")
        version = run(os.path.join(prefix, "bin/trailreplay"), "--version")
        if shutil.which("sqlite3"):
            # The shell loads the installed extension by the name the README gives.
            loaded = run("sqlite3", "-cmd", ".load " + os.path.join(prefix, "lib/trailreplay/sqlite/trailreplay"),
                         ":memory:", "SELECT record_json('{\"a\":1}'), record_json(NULL) IS NULL")
            if loaded.strip() != '{"a":1}|1':
                failures.append(f"the installed extension's record_json() gave {loaded!r}")

        if not shutil.which("dpkg-deb") or not shutil.which("cpack"):
            print("note: no dpkg-deb or cpack: the package is not checked")
        else:
            run("cpack", "-G", "DEB", "-B", os.path.join(tmp, "package"),
                "--config", os.path.join(build, "CPackConfig.cmake"))
            debs = [f for f in os.listdir(os.path.join(tmp, "package")) if f.endswith(".deb")]
            if len(debs) != 1:
                failures.append(f"cpack made {debs}")
                debs = debs[:1]
            deb = os.path.join(tmp, "package", debs[0])
            contents = run("dpkg-deb", "-c", deb)
            for path in EXPECTED:
                if "./usr/" + path not in contents:
                    failures.append(f"the package lacks /usr/{path}")
            depends = run("dpkg-deb", "-f", deb, "Depends")
            for library in ("libsqlite3-0", "libarchive13", "libsimdjson14", "libdeflate0",
                            "libzstd1", "libstdc++6"):
                if library not in depends:
                    failures.append(f"the package does not depend on {library}: {depends}")
            # Install into a scratch root: files land where they should, the binary runs.
            root = os.path.join(tmp, "root")
            os.makedirs(os.path.join(root, "var/lib/dpkg/info"))
            os.makedirs(os.path.join(root, "var/lib/dpkg/updates"))
            open(os.path.join(root, "var/lib/dpkg/status"), "w").close()
            run("dpkg", f"--root={root}", "--force-not-root", "--force-depends",
                "--log=/dev/null", "-i", deb)
            installed = os.path.join(root, "usr/bin/trailreplay")
            if run(installed, "--version") != version:
                failures.append("the packaged binary's --version differs from the build's")
            if shutil.which("man"):
                page = run("man", "-l", os.path.join(root, "usr/share/man/man1/trailreplay.1"),
                           env={**os.environ, "MANWIDTH": "80"})
                if "trailreplay scan" not in page:
                    failures.append("the installed man page has no scan section")
            # The dependencies exist in Debian 12 (apt resolves them; nothing is installed).
            if shutil.which("apt-get"):
                plan = run("apt-get", "install", "--simulate", "--no-install-recommends", deb)
                if "Inst trailreplay" not in plan:
                    failures.append(f"apt cannot install the package:\n{plan}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
