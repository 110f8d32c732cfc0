#!/usr/bin/env python3
"""The HTML report must look right in a real browser: scan sample-data/, write the report,
render it with headless Chromium to PNG, and check the picture is not blank (it has the dark
header, the blue bars of the timelines and the red ALARM bands, not a white page or an error
page). Without Chromium it checks only the HTML and exits 77 (ctest's skip code).

Usage: render_report.py --binary build/trailreplay --source-dir .
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

SKIP = 77


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decodes an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) into rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0, "unexpected PNG format"
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytes(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = bytes(line)
    return width, channels, rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(b)), None)
    with tempfile.TemporaryDirectory(prefix="trailreplay-report-") as tmp:
        db, html, png = Path(tmp, "s.db"), Path(tmp, "report.html"), Path(tmp, "report.png")
        subprocess.run([args.binary, "scan", str(Path(args.source_dir, "sample-data", "AWSLogs")),
                        "--db", str(db), "--progress", "never"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([args.binary, "report", "--db", str(db), "-o", str(html)], check=True,
                       stdout=subprocess.DEVNULL)
        text = html.read_text(encoding="utf-8")
        for needle in ("<svg", "unauthorized_api_calls", "cloudtrail_cfg_changes", "Provenance"):
            if needle not in text:
                print(f"report lacks {needle!r}")
                return 1
        if "<script" in text or "http://" in text.replace("http://www.w3.org/2000/svg", ""):
            print("report is not self-contained (script or network reference)")
            return 1
        if browser is None:
            print("skipped rendering: no Chromium installed (scripts/test.sh installs it)")
            return SKIP
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--window-size=1280,1600",
                        f"--screenshot={png}", html.as_uri()],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120, cwd=tmp)
        width, channels, rows = png_pixels(png.read_bytes())
        pixels = [row[i:i + 3] for row in rows for i in range(0, width * channels, channels)]
        colors = set(pixels)
        dark = sum(1 for p in pixels if max(p) < 60)          # the header
        blue = sum(1 for p in pixels if p[2] > 150 and p[0] < 80)  # timeline bars
        red = sum(1 for p in pixels if p[0] > 200 and p[1] < 140)  # threshold line, bands
        print(f"{width}x{len(rows)} px, {len(colors)} colours, dark {dark}, blue {blue}, "
              f"red {red}")
        if len(colors) < 20 or dark < 10000 or blue < 50 or red < 200:
            print("the rendered report looks blank or broken")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
