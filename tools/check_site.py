r"""Check the built documentation site: every page statically, and in headless Chromium.

Every built page is scanned for what a reader should never see (each problem names the page and the
offending text):
- a formula KaTeX cannot typeset (all formulas of all pages are typeset in one Chromium run, with the
  KaTeX copy the site serves) or one broken by a Python escape (`\\rho` in a non-raw Python string:
  it holds a carriage return and "ho");
- words about how the book was made (an issue number, "seed-era", "DESIGN.md", "a `#| slow` cell");
- a private name (`_make_env`, `Foo._reset_impl`) as a heading, i.e. documented with `show_doc`;
- a heading that repeats on a page (a patched method rendered twice);
- a default shown as `<object object at 0x...>` or `<factory>` in a signature;
- backticks in a page or sidebar title, and source links without a line number (`#LNone`).
Then it loads the home page and a chapter with Chromium (no network, no sandbox as root) and checks
what a reader needs: the navigation sidebar, formulas typeset by KaTeX (served by the site itself),
an image that the browser really fetched, and the search index. Screenshots go to `_docs/_check/`
for a person to look at.

Usage: python tools/check_site.py [--chapter presets.html]
"""
from __future__ import annotations

import argparse, functools, html, json, re, shutil, subprocess, sys, tempfile, threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).resolve().parents[1] / "_docs"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--hide-scrollbars", "--virtual-time-budget=15000"]
served: list[tuple[str, int]] = []


class Handler(SimpleHTTPRequestHandler):
    "Serves the site and records every request with its status."
    def log_message(self, *args): pass  # the check prints its own findings

    def log_request(self, code="-", size="-"):
        served.append((self.path.split("?")[0], int(code) if str(code).isdigit() else 0))


def chromium(*args: str) -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None: sys.exit("chromium not found: `make chromium` (apt-get install chromium) installs it")
    with tempfile.TemporaryDirectory() as profile:
        res = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                             capture_output=True, text=True, timeout=120)
    return res.stdout


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Words about how the book was made: readers should meet RL and the library, not our process.
DEV_WORDS = [(r"\bissues?\s*#?\d+", "an issue number"), (r"\bseed[- ]era\b", 'say "the early TorchRL API"'),
             (r"\b(?:DESIGN|STYLE|REFERENCES)\.md\b", "an internal design file"),
             (r"#\|\s*slow\b", 'the `#| slow` directive: say "long cells"')]
# What is left of `\rho`, `\rceil`, `\rangle`, `\right`, ... after Python turned `\r` into a line break.
BROKEN_R = re.compile(r"[\r\n](?:ho|ceil|angle|ight|floor|brace|brack|[vV]ert)(?![a-z])")


class PageScan(HTMLParser):
    "One pass over a built page: its headings, sidebar titles, links, math and reader-visible text."
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[int, str]] = []   # (level, text) of h1-h6 in the article
        self.nav_titles: list[str] = []             # link texts of the navigation sidebars
        self.hrefs: list[str] = []
        self.math: list[str] = []                   # text of each `arithmatex` element (TeX with its delimiters)
        self.text: list[str] = []                   # visible text of the article (prose, code, outputs)
        self.title = ""
        self._stack: list[tuple[str, set]] = []     # open elements: (tag, classes)
        self._heading: list[str] | None = None
        self._nav: list[str] | None = None
        self._math: list[str] | None = None
        self._in_title = False

    def _inside(self, cls: str) -> bool: return any(cls in c for _, c in self._stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        if tag in VOID: 
            if tag == "link" and a.get("href"): self.hrefs.append(a["href"])
            return
        self._stack.append((tag, classes))
        if tag == "a" and a.get("href"): self.hrefs.append(a["href"])
        if tag == "title": self._in_title = True
        if re.fullmatch(r"h[1-6]", tag) and self._inside("md-content"): self._heading = []
        if "md-nav__link" in classes and self._inside("md-sidebar--primary") and self._nav is None: self._nav = []
        if "arithmatex" in classes: self._math = []
        if "headerlink" in classes and self._heading is not None: self._heading.append("\0")  # the ¶ permalink: not text

    def handle_endtag(self, tag):
        if tag in VOID: return
        while self._stack:
            t, classes = self._stack.pop()
            if "md-nav__link" in classes and self._nav is not None:
                if (txt := " ".join("".join(self._nav).split())): self.nav_titles.append(txt)
                self._nav = None
            if "arithmatex" in classes and self._math is not None:
                self.math.append("".join(self._math)); self._math = None
            if t == tag: break
        if tag == "title": self._in_title = False
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((int(tag[1]), " ".join("".join(self._heading).split("\0")[0].split())))
            self._heading = None

    def handle_data(self, data):
        if self._in_title: self.title += data
        if self._heading is not None: self._heading.append(data)
        if self._nav is not None: self._nav.append(data)
        if self._math is not None: self._math.append(data)
        if self._inside("md-content") and not any(t in ("script", "style") for t, _ in self._stack):
            self.text.append(data)


def _private(heading: str) -> bool:
    "A heading that names a private function, method or attribute (`_make_env`, `Foo._from_preset`), not a dunder."
    name = heading.strip("`").split("(")[0].strip()
    return bool(re.fullmatch(r"[\w.]+", name)) and any(re.fullmatch(r"_(?!_)\w*", part) for part in name.split("."))


def scan_site() -> tuple[list[str], list[tuple[str, str, bool]]]:
    "Scan every built page; return its problems and every formula as (page, TeX, display)."
    problems, formulas = [], []
    anchors = {path.resolve(): set(re.findall(r'\sid="([^"]+)"', path.read_text())) for path in SITE.rglob("*.html")}
    for path in sorted(SITE.rglob("*.html")):
        page = str(path.relative_to(SITE))
        if page == "404.html" or page.startswith("_check"): continue
        scan = PageScan()
        scan.feed(path.read_text())
        text = "".join(scan.text)
        for pattern, why in DEV_WORDS:
            for m in re.finditer(pattern, text, re.IGNORECASE):
                problems.append(f"{page}: {why}: ...{_context(text, m)}...")
        seen = {}
        for level, heading in scan.headings:
            if _private(heading): problems.append(f"{page}: a private name is documented (heading {heading!r})")
            if heading in seen: problems.append(f"{page}: the heading {heading!r} appears twice (h{seen[heading]} and h{level})")
            seen.setdefault(heading, level)
        for bad in ("<object object at", "<factory>"):
            for m in re.finditer(re.escape(bad), text):
                problems.append(f"{page}: a default shown as {bad!r}: ...{_context(text, m)}...")
        if "`" in scan.title: problems.append(f"{page}: backticks in the page title: {scan.title.strip()!r}")
        problems += [f"sidebar: backticks in a title: {t!r}" for t in scan.nav_titles if "`" in t]  # same on every page
        for href in scan.hrefs:
            if "#LNone" in href: problems.append(f"{page}: a source link without a line number: {href}")
            m = re.fullmatch(r"([^:#?]*\.html)#(.+)", href)  # a link into a page of the site: its heading must exist
            target = m and ((SITE / m[1].lstrip("/")) if m[1].startswith("/") else (path.parent / m[1])).resolve()
            if m and target in anchors and html.unescape(m[2]) not in anchors[target]:
                problems.append(f"{page}: a link to a heading that does not exist: {href}")
        for tex in scan.math:
            tex = tex.strip()
            if re.search(r"[\r\x07\x08\x0b\x0c\t]", tex) or BROKEN_R.search(tex):
                problems.append(f"{page}: a formula broken by a Python escape (write a raw string r\"...\"): {tex[:80]!r}")
            m = re.fullmatch(r"\\\((.*)\\\)|\\\[(.*)\\\]", tex, re.DOTALL)
            if m: formulas.append((page, m[1] if m[1] is not None else m[2], m[2] is not None))
            else: formulas.append((page, tex.strip("$"), tex.startswith("$$")))
    return sorted(set(problems), key=problems.index), formulas


def _context(text: str, m: re.Match, width: int = 40) -> str:
    return " ".join(text[max(0, m.start() - width):m.end() + width].split())


def katex_errors(base: str, formulas: list[tuple[str, str, bool]], shots: Path) -> list[str]:
    "Typeset every formula of the site with its own KaTeX in one Chromium run; return the ones that fail."
    items = json.dumps(formulas).replace("</", "<\\/")
    (shots / "math.html").write_text(f"""<!doctype html><meta charset="utf-8">
<script src="../assets/katex/katex.min.js"></script>
<script type="application/json" id="items">{items}</script>
<pre id="result">not run</pre>
<script>
const items = JSON.parse(document.getElementById("items").textContent), errors = [];
for (const [page, tex, display] of items) {{
  try {{ katex.renderToString(tex, {{displayMode: display, throwOnError: true}}); }}
  catch (e) {{ errors.push([page, tex, String(e.message)]); }}
}}
document.getElementById("result").textContent = JSON.stringify({{n: items.length, errors: errors}});
</script>""")
    dom = chromium("--dump-dom", f"{base}/_check/math.html")
    m = re.search(r'<pre id="result">(.*?)</pre>', dom, re.DOTALL)
    try: result = json.loads(html.unescape(m[1])) if m else None
    except json.JSONDecodeError: result = None
    if result is None or result.get("n") != len(formulas):
        return [f"_check/math.html: KaTeX did not typeset the site's {len(formulas)} formulas in Chromium"]
    return [f"{page}: KaTeX cannot typeset {tex[:80]!r}: {msg[:120]}" for page, tex, msg in result["errors"]]


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
    for err in re.findall(r'class="katex-error"[^>]*title="([^"]*)"', dom):
        problems.append(f"{page}: a formula KaTeX could not typeset: {html.unescape(err)[:120]}")
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
    problems, formulas = scan_site()
    try:
        problems += katex_errors(base, formulas, shots)
        problems += check_page(base, "index.html", need_math=True, need_image=False, shots=shots)
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
    print(f"site ok: {len(formulas)} formulas typeset by KaTeX, no process words, private names, repeated headings, "
          f"odd defaults or broken source links in any page; index.html and {chapter} render with navigation, KaTeX math and images; "
          f"screenshots in {shots.relative_to(SITE.parent)}/")


if __name__ == "__main__":
    main()
