#!/usr/bin/python3
"""Renders tinyc's --report-html page with headless Chromium and checks the picture.

    render_report_html.py --tinyc build/tinyc --model models/ds_cnn_fashion/model.onnx --work DIR

The page must open without network access and show something: the PNG of the plan must be
clearly larger than the PNG of a blank page and hold many distinct colours (one rectangle per
buffer). Exit 77 (skipped) when chromium is not installed (Debian package `chromium`).
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import zlib

SKIP = 77


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def screenshot(browser, html, png, work):
    if os.path.exists(png):
        os.remove(png)
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--hide-scrollbars", f"--user-data-dir={os.path.join(work, 'profile')}",
           "--window-size=1100,700", f"--screenshot={png}", "file://" + os.path.abspath(html)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    if not os.path.exists(png):
        print(f"FAILED: chromium wrote no screenshot (exit {p.returncode}):\n{p.stderr[-2000:]}")
        sys.exit(1)


def png_pixels(path):
    """Raw (still filtered) scanline bytes of a PNG, and its width and height."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    return zlib.decompress(idat), w, h


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    browser = chromium()
    if not browser:
        print("SKIPPED: chromium is not installed (apt-get install chromium)")
        return SKIP
    os.makedirs(a.work, exist_ok=True)
    html = os.path.join(a.work, "plan.html")
    p = subprocess.run([a.tinyc, a.model, "-o", os.path.join(a.work, "model.cpp"), "-q",
                        "--report-html", html], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAILED: tinyc: {p.stderr}")
        return 1
    page = open(html).read()
    for needle in ("<svg", "<rect", "<title>", "lower bound"):
        if needle not in page:
            print(f"FAILED: the page lacks {needle!r}")
            return 1
    if "http://" in page.replace("http://www.w3.org/2000/svg", "") or "https://" in page:
        print("FAILED: the page refers to the network")
        return 1
    blank = os.path.join(a.work, "blank.html")
    open(blank, "w").write("<!DOCTYPE html><html><body></body></html>\n")
    png, blank_png = os.path.join(a.work, "plan.png"), os.path.join(a.work, "blank.png")
    screenshot(browser, html, png, a.work)
    screenshot(browser, blank, blank_png, a.work)
    size, blank_size = os.path.getsize(png), os.path.getsize(blank_png)
    raw, w, h = png_pixels(png)
    distinct = len(set(raw))
    print(f"plan.png {w}x{h}, {size} bytes (blank page {blank_size} bytes), "
          f"{distinct} distinct byte values")
    if size < 4 * blank_size or size < 8000 or distinct < 32:
        print("FAILED: the rendered plan looks blank")
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
