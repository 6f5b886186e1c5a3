"""Build the documentation site without Quarto.

1. nbdev's own processing (`proc_nbs`, what `nbdev-proc-nbs` runs) turns `nbs/` and `tutorials/`
   into processed notebooks: directives applied, `show_doc` rendered to markdown.
2. Each processed notebook becomes a markdown page (code, prose, math, stored outputs, images), with the
   `show_doc` output tidied for readers (`tidy_show_doc`: each name once, public names, readable defaults)
   and plain-text titles in the sidebar.
3. mkdocs-material renders the pages into `_docs/`, with KaTeX served from the site itself.
4. `README.md` is written from `nbs/index.ipynb`.

Usage: python tools/build_docs.py [--readme-only]
"""
from __future__ import annotations

import argparse, base64, json, os, re, shutil, subprocess, sys, tarfile
from pathlib import Path

import yaml
from markdown.extensions.toc import slugify

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "_docs_src"  # generated markdown pages (git-ignored)
SITE = ROOT / "_docs"
KATEX_VERSION = "0.16.22"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# Chapter groups by the two-digit prefix of the notebook's file name (see CONTRIBUTING.md); 01-09 are
# the pages for readers starting out (how exercises work, the reading path, the training presets), shown first.
GROUPS = [(0, "Utilities"), (1, "Start here"), (10, "Data"), (20, "Environments"), (30, "Collectors"), (40, "Modules"),
          (50, "Objectives"), (60, "Trainers"), (70, "Algorithms"), (90, "Command line")]


def process_notebooks(folder: str) -> Path:
    "Run nbdev's processing on `folder` and return a copy of the processed notebooks."
    from nbdev.serve import proc_nbs
    cache = proc_nbs(path=str(ROOT / folder), n_workers=0, force=True)
    dest = ROOT / "_proc_pages" / folder
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(cache, dest, ignore=shutil.ignore_patterns("*.yml", "*.css", ".*"))
    return dest


def _directives(source: str) -> tuple[dict, str]:
    "Split leading `#| key: value` lines from a code cell's source."
    opts, lines = {}, source.splitlines()
    while lines and lines[0].startswith("#|"):
        key, _, val = lines.pop(0)[2:].strip().partition(":")
        opts[key.strip()] = val.strip() or True
    return opts, "\n".join(lines).strip("\n")


def _text(x) -> str:
    return ANSI.sub("", "".join(x) if isinstance(x, list) else x)


def _fence(text: str, lang: str = "") -> str:
    ticks = "````" if "```" in text else "```"
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}\n"


def _outputs(cell: dict, opts: dict, page: str, img_dir: Path, counter: list) -> list[str]:
    "Markdown for a code cell's stored outputs; images are written beside the page."
    parts = []
    for out in cell.get("outputs", []):
        kind = out["output_type"]
        if kind == "stream":
            parts.append('<div class="nb-output" markdown>\n\n' + _fence(_text(out["text"]), "text") + "\n</div>\n")
        elif kind == "error":
            parts.append(_fence("\n".join(_text(t) for t in out["traceback"]), "text"))
        else:
            data = out.get("data", {})
            if opts.get("output") == "asis" and "text/markdown" in data:
                parts.append(_text(data["text/markdown"]) + "\n")
            elif "image/png" in data or "image/svg+xml" in data:
                counter[0] += 1
                ext = "png" if "image/png" in data else "svg"
                name = f"{page}_{counter[0]}.{ext}"
                img_dir.mkdir(parents=True, exist_ok=True)
                if ext == "png": (img_dir / name).write_bytes(base64.b64decode(_text(data["image/png"])))
                else: (img_dir / name).write_text(_text(data["image/svg+xml"]))
                parts.append(f"![output of a cell](img/{name})\n")
            elif "text/markdown" in data:
                parts.append(_text(data["text/markdown"]) + "\n")
            elif "text/html" in data and "<script" not in _text(data["text/html"]):
                parts.append('<div class="nb-output" markdown>\n' + _text(data["text/html"]) + "\n</div>\n")
            elif "text/plain" in data:
                parts.append('<div class="nb-output" markdown>\n\n' + _fence(_text(data["text/plain"]), "text") + "\n</div>\n")
    return parts


SHOW_DOC_CALL = re.compile(r"^\s*show_doc\(\s*([\w.]+)", re.MULTILINE)
DOC_HEAD = re.compile(r"\A(\s*---\s*\n\s*\n)(#+) ([^\n]+)\n")
SOURCE_LINK = re.compile(r"\[source\]\(([^)\s]*)\)(\{[^}\n]*\})?")


def _is_private(name: str) -> bool: return any(re.fullmatch(r"_(?!_)\w*", part) for part in name.split("."))


def _lookup(name: str):
    "The library object documented as `name` (`DDPGConfig`, `TensorDict.get`), or None."
    sys.path.insert(0, str(ROOT))
    from torchrl_lit._modidx import d
    import importlib
    for mod in d["syms"]:
        if f"{mod}.{name}" in d["syms"][mod] or f"{mod}.{name.split('.')[0]}" in d["syms"][mod]:
            obj = importlib.import_module(mod)
            try:
                for part in name.split("."): obj = getattr(obj, part)
                return obj
            except AttributeError: continue
    return None


def _readable_defaults(md: str, name: str) -> str:
    "Signature defaults as a reader can read them: a dataclass field's `<factory>` becomes the value it makes."
    if "<factory>" in md:
        import dataclasses
        obj = _lookup(name)
        made = {f.name: repr(f.default_factory()) for f in dataclasses.fields(obj)
                if f.default_factory is not dataclasses.MISSING} if dataclasses.is_dataclass(obj) else {}
        md = re.sub(r"(\w+)(:[^=\n,]*)?=<factory>", lambda m: f"{m[1]}{m[2] or ''}={made.get(m[1], '(made per instance)')}", md)
    # a sentinel default (`_MISSING = object()`): the argument is optional and has no default value
    return re.sub(r"<object object at 0x[0-9a-f]+>", "<no default>", md)


def _doc_markdown(out: dict) -> str | None:
    md = out.get("data", {}).get("text/markdown")
    return None if md is None else _text(md)


def _render_show_doc(obj) -> str | None:
    "`show_doc(obj)` as markdown; an annotation only the notebook's namespace knows stays a string instead of failing."
    import fastcore.docments as docments
    from nbdev.showdoc import show_doc
    strict = docments.signature
    def lenient(f, *args, **kwargs):
        try: return strict(f, *args, **kwargs)
        except NameError: return strict(f, *args, **{**kwargs, "eval_str": False})
    docments.signature = lenient
    try: return show_doc(obj)._repr_markdown_()
    except Exception: return None  # left out, as nbdev leaves it out
    finally: docments.signature = strict


def tidy_show_doc(cell: dict, code: str, headings: set[str], documented: set[str], explicit: set[str]) -> dict:
    """nbdev's `show_doc` output as readers should see it: named as the cell names it (`EnvBase.reset`, not the private
    function behind it), each name once per page (a patched method is documented by nbdev and again by the notebook),
    no heading that repeats the section heading above it, readable defaults, no source link without a line.
    A cell shows only its last expression, so of `show_doc(A)` and `show_doc(B)` in one cell nbdev keeps B: A is rendered
    here. nbdev also documents every exported method of a private class (`_MultiCollector.shutdown`): such a page is
    dropped unless the notebook asks for it (`explicit`: the names its own `show_doc` calls give)."""
    calls = SHOW_DOC_CALL.findall(code)
    if not calls or not cell.get("outputs"): return cell
    n_docs = sum(1 for out in cell["outputs"] if (md := _doc_markdown(out)) is not None and DOC_HEAD.match(SOURCE_LINK.sub("", md)))
    outputs = []  # (output, the show_doc argument it documents)
    for expr in calls[:max(len(calls) - n_docs, 0)]:  # the calls whose output the cell did not keep
        if (obj := _lookup(expr)) is not None and (md := _render_show_doc(obj)) is not None:
            outputs.append(({"output_type": "display_data", "metadata": {}, "data": {"text/markdown": md}}, expr))
    k = max(len(calls) - n_docs, 0)
    for out in cell["outputs"]:
        md = _doc_markdown(out)
        if md is not None and DOC_HEAD.match(SOURCE_LINK.sub("", md)) and k < len(calls):
            outputs.append((out, calls[k])); k += 1
        else: outputs.append((out, None))
    outs = []
    for out, expr in outputs:
        md = _doc_markdown(out)
        if md is not None:  # a source link nbdev could not give a line (a re-exported name, no git URL): it leads nowhere
            md = SOURCE_LINK.sub(lambda l: l[0] if re.match(r"https?://.*#L\d+$", l[1]) else "", md)
            out = {**out, "data": {**out["data"], "text/markdown": md}}
        m = DOC_HEAD.match(md) if md is not None else None
        if m is None:
            outs.append(out)
            continue
        text, name = md, m[3].strip()
        expr = expr or name
        old, new = name.split(".")[-1], expr.split(".")[-1]
        if old != new or (_is_private(name) and not _is_private(expr)):
            body = re.sub(rf"^(def|class|async def) {re.escape(old)}\b", rf"\1 {new}", text[m.end():], count=1, flags=re.M)
            text, name = f"{m[1]}{m[2]} {expr}\n" + body, expr
            m = DOC_HEAD.match(text)
        if name in documented or (_is_private(name) and expr not in explicit): continue
        documented.add(name)
        if name in headings: text = m[1] + text[m.end():]  # the section heading above already names it
        text = _readable_defaults(text, name)
        outs.append({**out, "data": {**out["data"], "text/markdown": text}})
    return {**cell, "outputs": outs}


def notebook_to_markdown(nb_path: Path, out_dir: Path) -> tuple[str, str, str]:
    "Write `nb_path` as a markdown page in `out_dir`; return (page file, title, description)."
    nb = json.loads(nb_path.read_text())
    front, parts, counter = {}, [], [0]
    page = nb_path.stem
    headings, documented = set(), set()  # prose headings and show_doc names met so far on the page
    source = ROOT / nb_path.parent.name / nb_path.name  # the notebook as written, before nbdev added its own show_doc cells
    explicit = {name for c in (json.loads(source.read_text())["cells"] if source.exists() else []) if c["cell_type"] == "code"
                for name in SHOW_DOC_CALL.findall(_text(c["source"]))}
    for cell in nb["cells"]:
        src = _text(cell["source"])
        if cell["cell_type"] == "raw" and src.startswith("---"):
            front = yaml.safe_load(src.strip().strip("-")) or {}
            headings.add(str(front.get("title", "")).replace("`", "").strip())
            page = Path(front.get("output-file", nb_path.stem + ".html")).stem
        elif cell["cell_type"] == "markdown":
            if "AUTOGENERATED! DO NOT EDIT" in src: continue
            headings.update(h.replace("`", "").strip() for h in re.findall(r"^#{1,6} (.+)$", src, re.M))
            parts.append(src + "\n")
        elif cell["cell_type"] == "code":
            opts, code = _directives(src)
            cell = tidy_show_doc(cell, code, headings, documented, explicit)
            cell_parts = [_fence(code, "python")] if opts.get("echo") != "false" and code else []
            cell_parts += _outputs(cell, opts, page, out_dir / "img", counter)
            if str(opts.get("code-fold")).lower() == "true" and cell_parts:  # a folded answer or checker: one click to open
                summary = str(opts.get("code-summary", "Code")).strip('"')
                cell_parts = [f'<details class="nb-fold" markdown>\n<summary>{summary}</summary>\n\n'] + cell_parts + ["</details>\n"]
            parts.extend(cell_parts)
    title = front.get("title", page)
    desc = front.get("description", "")
    head = f"# {title}\n\n" + (f"> {desc}\n\n" if desc else "")
    (out_dir / f"{page}.md").write_text(head + "\n".join(parts))
    return f"{page}.md", title, desc


NB_LINK = re.compile(r"\]\((?:[^)\s]*/)?([\w.\-]+\.ipynb)(#[^)\s]*)?\)")

def fix_notebook_links(pages: dict[str, str]):
    "Point the markdown links to notebooks (`[x](55_objectives.ppo.ipynb)`) at their pages; exit on a link to no notebook."
    broken = []
    for md in sorted(SRC.rglob("*.md")):
        depth = len(md.relative_to(SRC).parts) - 1
        def to_page(m):
            if m[1] not in pages:
                broken.append(f"{md.relative_to(SRC)}: {m[0]}")
                return m[0]
            return f"]({'../' * depth}{pages[m[1]]}{m[2] or ''})"
        text = md.read_text()
        fixed = NB_LINK.sub(to_page, text)
        if fixed != text: md.write_text(fixed)
    if broken: sys.exit("links to notebooks that do not exist:\n  " + "\n  ".join(broken))


def _plain(title: str) -> str:
    "A title for the sidebar and the browser tab, where markdown is not rendered: no backticks."
    return title.replace("`", "")


def _group(stem: str) -> str:
    m = re.match(r"(\d+)", stem)
    if not m: return "Chapters"
    return [name for start, name in GROUPS if int(m.group(1)) >= start][-1]


def _heading_slugs(page: str) -> set[str]:
    "The anchors of the headings of a generated page (`docs_dir`-relative), as mkdocs' toc makes them."
    md = SRC / page
    if not md.exists(): return set()
    text = re.sub(r"^(`{3,}).*?^\1", "", md.read_text(), flags=re.M | re.S)  # not the comments inside code blocks
    return {slugify(re.sub(r"[`*]", "", h).strip(), "-") for h in re.findall(r"^#{1,6} (.+?)\s*$", text, re.M)}


def api_reference(pages: dict[str, str]) -> str:
    "A page listing every public name by module, in reading order, each linked to its chapter."
    sys.path.insert(0, str(ROOT))
    from torchrl_lit._modidx import d
    order = list(pages)
    sections = []
    for mod, syms in d["syms"].items():
        page = next(iter(syms.values()))[0].split("#")[0].replace(".html", ".md") if syms else ""
        names = getattr(__import__(mod, fromlist=["__all__"]), "__all__", [])
        if not names: continue
        rows = [f"## `{mod}`\n", f"Chapter: [{pages.get(page, page)}]({page})\n", "| name | documented at |", "|---|---|"]
        for name in names:
            where = syms.get(f"{mod}.{name}", (f"{page.replace('.md', '.html')}",))[0].split("#")[0]
            target = where.replace(".html", ".md")
            anchor = slugify(name, "-")  # the name's own heading, where it has one (an alias or a constant has none)
            link = f"{target}#{anchor}" if anchor in _heading_slugs(target) else target
            rows.append(f"| `{name}` | [{pages.get(target, target)}]({link}) |")
        sections.append((order.index(page) if page in order else len(order), mod, "\n".join(rows) + "\n"))
    head = "# API reference\n\n> Every public name, by module in reading order, linked to the chapter that documents it.\n\n"
    return head + "\n".join(text for _, _, text in sorted(sections))


def ensure_katex() -> Path:
    "KaTeX from the npm registry, unpacked once into .cache/ (the site serves it itself: no CDN)."
    dest = ROOT / ".cache" / f"katex-{KATEX_VERSION}"
    if not (dest / "dist" / "katex.min.js").exists():
        tgz = ROOT / ".cache" / f"katex-{KATEX_VERSION}.tgz"
        if not tgz.exists():
            tgz.parent.mkdir(exist_ok=True)
            res = subprocess.run(["npm", "pack", f"katex@{KATEX_VERSION}", "--pack-destination", str(tgz.parent)],
                                 capture_output=True, text=True)
            if res.returncode != 0:
                sys.exit(f"could not fetch KaTeX with `npm pack katex@{KATEX_VERSION}` (needs npm and the npm "
                         f"registry):\n{res.stderr}")
        with tarfile.open(tgz) as tf:
            tf.extractall(ROOT / ".cache" / "katex-unpack", filter="data")
        shutil.rmtree(dest, ignore_errors=True)
        shutil.move(ROOT / ".cache" / "katex-unpack" / "package", dest)
        shutil.rmtree(ROOT / ".cache" / "katex-unpack")
    return dest / "dist"


def write_mkdocs_config(nav: list) -> Path:
    cfg = {
        "site_name": "torchrl_lit",
        "site_description": "A literate, notebook-first reinforcement-learning library for PyTorch",
        "docs_dir": str(SRC), "site_dir": str(SITE), "use_directory_urls": False,
        "theme": {"name": "material", "font": False, "language": "en",
                  "features": ["navigation.sections", "navigation.top", "search.highlight", "toc.follow"],
                  "palette": {"primary": "deep orange"}},
        "plugins": ["search"],
        "markdown_extensions": ["tables", "admonition", "attr_list", "md_in_html", "footnotes",
                                {"toc": {"permalink": True}},
                                {"pymdownx.arithmatex": {"generic": True}},
                                "pymdownx.superfences", {"pymdownx.highlight": {"use_pygments": True}}],
        "extra_javascript": ["assets/katex/katex.min.js", "assets/katex/contrib/auto-render.min.js",
                             "assets/katex-init.js"],
        "extra_css": ["assets/katex/katex.min.css", "assets/extra.css"],
        "nav": nav,
    }
    path = ROOT / "_docs_src.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def write_readme(index_page: Path):
    "README.md is the home page's markdown (generated: edit nbs/index.ipynb)."
    text = index_page.read_text()
    note = "<!-- Generated from nbs/index.ipynb by tools/build_docs.py (make docs): edit the notebook. -->\n"
    (ROOT / "README.md").write_text(note + text)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--readme-only", action="store_true", help="only regenerate README.md")
    args = ap.parse_args()
    shutil.rmtree(SRC, ignore_errors=True)
    SRC.mkdir()
    nbs = process_notebooks("nbs")
    groups: dict[str, list] = {}
    titles = {}
    home = None
    pages = {}  # notebook file name -> its page, relative to the docs folder
    for nb in sorted(nbs.glob("*.ipynb")):
        page, title, _ = notebook_to_markdown(nb, SRC)
        titles[page], pages[nb.name] = title, page
        if nb.stem == "index": home = page
        else: groups.setdefault(_group(nb.stem), []).append({_plain(title): page})
    if home is None: sys.exit("nbs/index.ipynb is missing: it is the home page and the source of README.md")
    write_readme(SRC / home)
    if args.readme_only: return
    order = ["Start here"] + [g for _, g in GROUPS if g != "Start here"]
    nav = [{"Home": home}] + [{g: groups[g]} for g in order if g in groups]
    if any((ROOT / "tutorials").glob("*.ipynb")):
        tut_dir = SRC / "tutorials"
        tut_dir.mkdir()
        tuts = []
        for nb in sorted(process_notebooks("tutorials").glob("*.ipynb")):
            page, title, _ = notebook_to_markdown(nb, tut_dir)
            tuts.append({_plain(title): f"tutorials/{page}"})
            pages[nb.name] = f"tutorials/{page}"
        nav.append({"Tutorials": tuts})
    fix_notebook_links(pages)
    (SRC / "api.md").write_text(api_reference(titles))
    nav.append({"API reference": "api.md"})
    assets = SRC / "assets"
    katex = ensure_katex()
    shutil.copytree(katex / "fonts", assets / "katex" / "fonts")
    for f in ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js"):
        (assets / "katex" / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(katex / f, assets / "katex" / f)
    shutil.copy(ROOT / "tools" / "docs_assets" / "katex-init.js", assets)
    shutil.copy(ROOT / "tools" / "docs_assets" / "extra.css", assets)
    cfg = write_mkdocs_config(nav)
    shutil.rmtree(SITE, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(cfg)], check=True, cwd=ROOT,
                   env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})  # no banner about MkDocs 2 in every build
    print(f"site written to {SITE.relative_to(ROOT)}/ ({sum(1 for _ in SITE.rglob('*.html'))} pages)")


if __name__ == "__main__":
    main()
