#!/usr/bin/env python3
"""The report must read well in an 800-pixel window: scan a real dataset with the whole CIS
pack (sans504-s3-ransomware, else sample-data/ when ../shared/datasets is absent), write the
report, and let headless Chromium lay it out. A copy of the page gets a measuring script (the
report itself has none) that checks, in the laid-out DOM:

  - the overview is first, lists the firing alarms before the quiet ones, links every row to
    its section, and puts the alarms with no match in one line;
  - no two labels of a chart overlap (every pair of <text> boxes in each <svg>), and no label
    leaves its chart;
  - nothing scrolls sideways at 800 px (document scrollWidth <= window width);
  - every chart has its axis titles.

Exits 77 (ctest's skip) without Chromium.

Usage: report_layout.py --binary build/trailreplay --source-dir .
       [--screenshot FILE]  also write a PNG of the top of the sample report (the README's)
"""

from __future__ import annotations

import argparse
import html as html_module
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SKIP = 77
WIDTH = 800

MEASURE = r"""
<script>
window.addEventListener('load', () => {
  const out = {problems: [], charts: 0, texts: 0};
  const W = window.innerWidth;
  out.width = W;
  out.scrollWidth = document.documentElement.scrollWidth;
  if (out.scrollWidth > W) out.problems.push(`page scrolls sideways: ${out.scrollWidth} > ${W}`);
  const main = document.querySelector('main');
  const first = main && main.querySelector('section');
  out.overviewFirst = !!first && first.id === 'overview';
  const rows = first ? [...first.querySelectorAll('tr')].slice(1) : [];
  out.overviewRows = rows.map(r => ({
    href: r.querySelector('a') ? r.querySelector('a').getAttribute('href') : null,
    episodes: parseInt((r.cells[1] || {}).textContent.replace(/,/g, ''), 10)}));
  for (const row of out.overviewRows) {
    if (!row.href || !document.getElementById(row.href.slice(1)))
      out.problems.push(`overview row links nowhere: ${row.href}`);
  }
  for (let i = 1; i < out.overviewRows.length; ++i) {
    if (out.overviewRows[i].episodes > out.overviewRows[i - 1].episodes)
      out.problems.push('overview not ordered by episodes');
  }
  out.quietLine = first ? [...first.querySelectorAll('p')].some(
      p => p.textContent.startsWith('No match in the whole history')) : false;
  const overlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 &&
                            a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  for (const svg of document.querySelectorAll('svg')) {
    out.charts++;
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')];
    out.texts += texts.length;
    const boxes = texts.map(t => t.getBoundingClientRect());
    if (!texts.some(t => t.classList.contains('axis')))
      out.problems.push(`chart without axis titles: ${svg.getAttribute('aria-label')}`);
    for (let i = 0; i < boxes.length; ++i) {
      const b = boxes[i];
      if (b.left < box.left - 0.5 || b.right > box.right + 0.5 || b.top < box.top - 0.5 ||
          b.bottom > box.bottom + 0.5)
        out.problems.push(`label outside its chart: "${texts[i].textContent}" in ` +
                          svg.getAttribute('aria-label'));
      for (let j = i + 1; j < boxes.length; ++j) {
        if (overlap(b, boxes[j]))
          out.problems.push(`labels overlap: "${texts[i].textContent}" and ` +
                            `"${texts[j].textContent}" in ${svg.getAttribute('aria-label')}`);
      }
    }
  }
  const pre = document.createElement('pre');
  pre.id = 'layout-result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kwargs)


def measure(browser: str, page: Path, tmp: str) -> dict:
    measured = page.with_name(page.stem + "-measured.html")
    text = page.read_text(encoding="utf-8")
    measured.write_text(text.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                          "--hide-scrollbars", f"--window-size={WIDTH},1000",
                          "--virtual-time-budget=5000", "--dump-dom", measured.as_uri()],
                         check=True, capture_output=True, text=True, timeout=180, cwd=tmp).stdout
    found = re.search(r"<pre id=\"layout-result\">(.*?)</pre>", dom, re.S)
    if not found:
        raise SystemExit("the measuring script left no result")
    return json.loads(html_module.unescape(found.group(1)))


def check(result: dict, name: str) -> list[str]:
    problems = [f"{name}: {p}" for p in result["problems"]]
    if not result["overviewFirst"]:
        problems.append(f"{name}: the overview is not the first section")
    if result["charts"] == 0:
        problems.append(f"{name}: no chart")
    print(f"{name}: {result['charts']} charts, {result['texts']} labels, "
          f"{len(result['overviewRows'])} overview rows, page {result['scrollWidth']} px wide "
          f"in a {result['width']} px window, {len(result['problems'])} problems")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(b)), None)
    if browser is None:
        print("skipped: no Chromium installed (scripts/test.sh installs it)")
        return SKIP
    source = Path(args.source_dir).resolve()
    real = source.parent / "shared" / "datasets" / "sans504-s3-ransomware"
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="trailreplay-layout-") as tmp:
        # The measurer first proves it sees what it looks for, on a page that has all of it.
        broken = Path(tmp, "broken.html")
        broken.write_text(
            "<html><body><main><section id='x'></section></main>"
            "<svg width='300' height='100' aria-label='bad'><text x='10' y='20'>overlapping</text>"
            "<text x='14' y='22'>labels</text><text x='290' y='50'>outside</text></svg>"
            "<div style='width:1200px'>wide</div></body></html>", encoding="utf-8")
        seen = measure(browser, broken, tmp)
        expected = ("page scrolls sideways", "labels overlap", "label outside its chart",
                    "chart without axis titles")
        missed = [e for e in expected if not any(p.startswith(e) for p in seen["problems"])]
        if missed or seen["overviewFirst"]:
            print(f"the measurer misses what it checks: {missed}, {seen}")
            return 1
        cases = [("sample-data, default rules", source / "sample-data" / "AWSLogs", [])]
        if real.is_dir():
            cases.append(("sans504-s3-ransomware, --rules cis", real, ["--rules", "cis"]))
        else:
            print("../shared/datasets absent: the CIS pack over sample-data/ instead")
            cases.append(("sample-data, --rules cis", source / "sample-data" / "AWSLogs",
                          ["--rules", "cis"]))
        for i, (name, path, rules) in enumerate(cases):
            db, page = Path(tmp, f"{i}.db"), Path(tmp, f"{i}.html")
            run([args.binary, "scan", str(path), "--db", str(db), "-q", *rules])
            run([args.binary, "report", "--db", str(db), "-o", str(page)])
            result = measure(browser, page, tmp)
            problems += check(result, name)
            if rules and not result["quietLine"] and real.is_dir():
                problems.append(f"{name}: the alarms with no match are not in one line")
            if i == 0 and args.screenshot:
                run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                     f"--window-size={WIDTH},1500", f"--screenshot={Path(args.screenshot).resolve()}",
                     page.as_uri()], stderr=subprocess.DEVNULL, timeout=120, cwd=tmp)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
