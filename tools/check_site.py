"""Check the built documentation site in headless Chromium.

Serves `_docs/` on 127.0.0.1, loads the home page and a chapter with Chromium (no network, no
sandbox as root), and checks what a reader needs: the navigation sidebar, formulas typeset by KaTeX
(served by the site itself), an image that the browser really fetched, and the search index.
Screenshots go to `_docs/_check/` for a person to look at.

Usage: python tools/check_site.py [--chapter presets.html]
"""
from __future__ import annotations

import argparse, functools, re, shutil, subprocess, sys, tempfile, threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).resolve().parents[1] / "_docs"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--hide-scrollbars", "--virtual-time-budget=15000"]
served: list[tuple[str, int]] = []


class Handler(SimpleHTTPRequestHandler):
    "Serves the site and records every request with its status."
    def log_request(self, code="-", size="-"):
        served.append((self.path.split("?")[0], int(code) if str(code).isdigit() else 0))


def chromium(*args: str) -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None: sys.exit("chromium not found: `make chromium` (apt-get install chromium) installs it")
    with tempfile.TemporaryDirectory() as profile:
        res = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                             capture_output=True, text=True, timeout=120)
    return res.stdout


def check_page(base: str, page: str, need_math: bool, need_image: bool, shots: Path) -> list[str]:
    "Load `page`, return a list of problems (empty when it is fine)."
    served.clear()
    dom = chromium("--dump-dom", f"{base}/{page}")
    chromium(f"--screenshot={shots / (Path(page).stem + '.png')}", "--window-size=1280,1600", f"{base}/{page}")
    problems = []
    if 'class="md-nav' not in dom or "md-sidebar" not in dom:
        problems.append(f"{page}: no navigation sidebar in the rendered page")
    if need_math and 'class="katex' not in dom:
        problems.append(f"{page}: no formula typeset by KaTeX (class=katex missing)")
    if need_math and not any(p.endswith("katex.min.js") and c == 200 for p, c in served):
        problems.append(f"{page}: KaTeX was not loaded from the site")
    if need_image:
        imgs = re.findall(r'<img[^>]+src="([^"]+\.(?:png|svg))"', dom)
        fetched = [p for p, c in served if c == 200 and p.endswith((".png", ".svg"))]
        if not imgs: problems.append(f"{page}: no <img> in the page")
        elif not fetched: problems.append(f"{page}: the browser fetched none of its images {imgs}")
    failed = [(p, c) for p, c in served if c >= 400 and not p.endswith("favicon.ico")]
    if failed: problems.append(f"{page}: requests that failed: {failed}")
    return problems


def external_references() -> list[str]:
    "Scripts, styles and fonts loaded from outside the site (the site must work offline)."
    bad = set()
    for html in SITE.rglob("*.html"):
        for url in re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"', html.read_text()):
            bad.add(f"{html.relative_to(SITE)}: {url}")
    return sorted(bad)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chapter", default=None, help="chapter page to check (default: the first with math and a plot)")
    args = ap.parse_args()
    if not (SITE / "index.html").exists(): sys.exit("_docs/index.html missing: run `make docs` first")
    chapter = args.chapter or next((p.name for p in sorted(SITE.glob("*.html"))
                                    if "arithmatex" in p.read_text() and "<img" in p.read_text()), None)
    if chapter is None: sys.exit("no chapter page has both a formula and an image")
    shots = SITE / "_check"
    shots.mkdir(exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        problems = check_page(base, "index.html", need_math=True, need_image=False, shots=shots)
        problems += check_page(base, chapter, need_math=True, need_image=True, shots=shots)
    finally:
        server.shutdown()
    problems += [f"external reference: {x}" for x in external_references()]
    index = SITE / "search" / "search_index.json"
    if not index.exists() or "load_preset" not in index.read_text():
        problems.append("search index missing or without the API names")
    if problems:
        print("site check failed:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print(f"site ok: index.html and {chapter} render with navigation, KaTeX math and images; "
          f"screenshots in {shots.relative_to(SITE.parent)}/")


if __name__ == "__main__":
    main()
