"""The README and docs/ name only files, modules, commands, settings and sections that exist.

A doc that names `webhooks/engine/gone.py`, `manage.py gone`, `make gone`, `BENCH_GONE` or a
section "Gone" of another doc misleads its reader the day the thing is renamed; these tests fail
that day instead. What they read: text in backticks (code spans and code blocks are not told
apart: a command in a block is as much a promise), markdown links, and quoted section names that
follow a link or a doc's name.
"""

import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# A path in backticks is checked when it starts with one of the repository's own top-level
# folders; `/healthz` or `/proc/<pid>/status` are URLs or the system's, not ours.
OWN_ROOTS = (
    "bench/",
    "cotalker_webhooks/",
    "docs/",
    "events/",
    "locale/",
    "static/",
    "templates/",
    "tests/",
    "webhooks/",
    ".ci/",
)
OWN_PACKAGES = ("bench", "cotalker_webhooks", "events", "webhooks")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
# `webhooks/stats.py: DURATION_EDGES`, `tests/browser/test_panel.py::test_api_token_page`
PATH_WITH_NAME = re.compile(r"^([\w./*-]+?)(?:::?\s*(\w+))?$")
DOTTED = re.compile(r"^((?:" + "|".join(OWN_PACKAGES) + r")(?:\.\w+)+)(?:\(\))?$")
MANAGE = re.compile(r"manage\.py\s+([a-z_]+)")
MAKE = re.compile(r"(?:^|[\s;(])make\s+([a-z][a-z_-]*)")
BENCH_RUN = re.compile(r"python -m bench((?:\s+[a-z]+)+)")
BENCH_MODULE = re.compile(r"python -m bench\.([a-z_]+)")
# An environment variable: upper case with an underscore (`WEBHOOK_TIMEOUT`), or any upper-case
# name given a value (`DEBUG=false`).
ENV_NAME = re.compile(r"^([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)$")
ENV_ASSIGNMENT = re.compile(r"(?:^|\s)([A-Z][A-Z0-9_]*)=")
# Upper-case names that are neither ours nor settings: Django's `on_delete=SET_NULL`, the
# system's `CLOCK_MONOTONIC`.
NOT_OURS = {"SET_NULL", "CLOCK_MONOTONIC"}
# `events/0002`: an app's migration by its number.
MIGRATION = re.compile(r"^(\w+)/(\d{4})$")
# A file named in prose, outside backticks: "(docs/performance.md)", "see bench/fanout.py".
PROSE_FILE = re.compile(
    r"(?<![\w/.-])((?:"
    + "|".join(re.escape(r) for r in OWN_ROOTS)
    + r")[\w/.-]*\.(?:py|md|html|sh|css|js|po|png))\b"
)
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
# `[docs/delivery.md](docs/delivery.md), "Capture without a query"` or
# `(docs/delivery.md, "Telling people")`: the quoted words name a section of that doc.
SECTION_REFERENCE = re.compile(r"([\w/]+\.md)\)?,\s+\"([^\"]+)\"")


def doc_text(doc: Path) -> str:
    return doc.read_text(encoding="utf-8")


def doc_id(doc: Path) -> str:
    return str(doc.relative_to(ROOT))


def code_spans(doc: Path) -> list[str]:
    text = doc_text(doc)
    spans = CODE_SPAN.findall(text)
    # Lines of fenced code blocks (```console, ```sh) are read whole.
    in_block = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_block = not in_block
        elif in_block:
            spans.append(line)
    return spans


@cache
def python_sources(folder: str) -> str:
    """Every Python file under the folder, but this one (its examples name what is missing)."""
    files = sorted(p for p in (ROOT / folder).rglob("*.py") if p != Path(__file__).resolve())
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def names_defined_in(path: Path) -> str:
    """The text a name must appear in: the module's, or a whole package's (`webhooks.ApiToken`
    is the model label of a class in one of its modules)."""
    if path.is_dir():
        return python_sources(str(path.relative_to(ROOT)))
    return path.read_text(encoding="utf-8") if path.exists() else ""


def defines(source: str, name: str) -> bool:
    """The source defines the name (a class, a function, an assignment) or imports it."""
    forms = (
        rf"^\s*(?:(?:async\s+)?def|class)\s+{name}\b",
        rf"^{name}\s*(?::[^=\n]+)?=",
        rf"^\s*(?:from\s+\S+\s+)?import\s.*\b{name}\b",
    )
    return any(re.search(form, source, re.MULTILINE) for form in forms)


def missing_paths(doc: Path) -> list[str]:
    missing = []
    for span in code_spans(doc):
        span = span.strip()
        if not span.startswith(OWN_ROOTS):
            continue
        migration = MIGRATION.match(span)
        if migration:
            app, number = migration.groups()
            if not list(ROOT.glob(f"{app}/migrations/{number}_*.py")):
                missing.append(span)
            continue
        match = PATH_WITH_NAME.match(span)
        if not match:
            continue
        path, name = match.groups()
        found = sorted(ROOT.glob(path)) if "*" in path else [ROOT / path]
        exists = any(p.exists() for p in found)
        if not exists or (name and not defines(names_defined_in(found[0]), name)):
            missing.append(span)
    for path in PROSE_FILE.findall(doc_text(doc)):
        if not (ROOT / path).exists() and path not in missing:
            missing.append(path)
    return missing


def missing_modules(doc: Path) -> list[str]:
    """`webhooks.engine.shutdown` or `events.services.object_event_emit()`: the longest prefix that
    is a module or package, and the rest a name that module defines or imports; or a logger's
    name (`webhooks.http`), quoted as such in the code."""
    missing = []
    code = "\n".join(python_sources(p) for p in OWN_PACKAGES)
    for span in code_spans(doc):
        match = DOTTED.match(span.strip())
        if not match or f'"{match.group(1)}"' in code:
            continue
        parts = match.group(1).split(".")
        for cut in range(len(parts), 0, -1):
            base = ROOT.joinpath(*parts[:cut])
            module = base.with_suffix(".py") if not base.is_dir() else base
            if module.exists():
                rest = parts[cut:]
                if rest and not defines(names_defined_in(module), rest[0]):
                    missing.append(span)
                break
        else:
            missing.append(span)
    return missing


@cache
def management_commands() -> set[str]:
    from django.core.management import get_commands

    return set(get_commands())


def missing_commands(doc: Path) -> list[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    make_targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.MULTILINE))
    missing = []
    for span in code_spans(doc):
        for command in MANAGE.findall(span):
            if command not in management_commands():
                missing.append(f"manage.py {command}")
        for target in MAKE.findall(span):
            if target not in make_targets:
                missing.append(f"make {target}")
        for names in BENCH_RUN.findall(span):
            for name in names.split():
                if not (ROOT / "bench" / f"{name}.py").exists():
                    missing.append(f"python -m bench {name}")
        for name in BENCH_MODULE.findall(span):
            if not (ROOT / "bench" / f"{name}.py").exists():
                missing.append(f"python -m bench.{name}")
    return missing


@cache
def settings_sources() -> str:
    return (ROOT / ".env.example").read_text(encoding="utf-8") + (
        ROOT / "cotalker_webhooks" / "settings.py"
    ).read_text(encoding="utf-8")


def setting_exists(name: str) -> bool:
    """Where each kind of name is read: the project's settings from .env.example and
    settings.py; a benchmark's knobs in bench/; `make` variables in the Makefile; the test
    suite's switches in tests/ and .ci/; a constant of the code (`BEHIND_GROUP_MAX`) where a
    module defines it."""
    word = re.compile(rf"\b{name}\b")
    if name in NOT_OURS:
        return True
    definition = re.compile(rf"^{name}\s*(?::[^=]+)?=", re.MULTILINE)
    if any(definition.search(python_sources(p)) for p in OWN_PACKAGES):
        return True
    if name.startswith("BENCH_"):
        return bool(word.search(python_sources("bench")))
    if word.search(settings_sources()):
        return True
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    if re.search(rf"^{name}\s*\?=", makefile, re.MULTILINE):
        return True
    ci = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / ".ci").iterdir() if p.is_file())
    return bool(word.search(python_sources("tests")) or word.search(ci))


def missing_settings(doc: Path) -> list[str]:
    names = set()
    for span in code_spans(doc):
        span = span.strip()
        if ENV_NAME.match(span):
            names.add(span)
        names.update(ENV_ASSIGNMENT.findall(span))
    return sorted(name for name in names if not setting_exists(name))


def heading_titles(doc: Path) -> set[str]:
    """A doc's sections: its headings, and the bold words that open a list item
    (`* **Errors** are JSON`), which serve as sections in long lists."""
    titles = set()
    for line in doc_text(doc).splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            titles.add(title.lower())
            titles.add(re.sub(r"^\d+\.\s+", "", title).lower())  # "4. Health" is "Health"
            titles.add(re.sub(r"\s+\([^)]*\)$", "", title).lower())  # "Charts (benchmark 4)"
        bold = re.match(r"^\s*[-*]\s+\*\*([^*]+?)\.?\*\*", line)
        if bold:
            titles.add(bold.group(1).lower())
    return titles


def anchor(title: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def broken_links(doc: Path) -> list[str]:
    broken = []
    for target in MARKDOWN_LINK.findall(doc_text(doc)):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, fragment = target.partition("#")
        linked = (doc.parent / path).resolve() if path else doc
        is_doc = linked.suffix == ".md" and linked.exists()
        anchors = {anchor(t) for t in heading_titles(linked)} if is_doc else set()
        if not linked.exists() or (fragment and fragment not in anchors):
            broken.append(target)
    return broken


def broken_section_references(doc: Path) -> list[str]:
    broken = []
    for name, section in SECTION_REFERENCE.findall(doc_text(doc)):
        section = " ".join(section.split())  # a reference may wrap across lines
        candidates = [doc.parent / name, ROOT / name, ROOT / "docs" / Path(name).name]
        linked = next((p for p in candidates if p.exists()), None)
        if linked is None or section.lower() not in heading_titles(linked):
            broken.append(f"{name}, {section!r}")
    return broken


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_path_a_doc_names_exists(doc: Path) -> None:
    assert missing_paths(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_module_a_doc_names_exists(doc: Path) -> None:
    assert missing_modules(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_command_a_doc_names_exists(doc: Path) -> None:
    assert missing_commands(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_setting_a_doc_names_is_read_somewhere(doc: Path) -> None:
    assert missing_settings(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_link_between_docs_resolves(doc: Path) -> None:
    assert broken_links(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_quoted_section_a_doc_points_to_exists(doc: Path) -> None:
    assert broken_section_references(doc) == []


def readme_layout() -> str:
    """The code block under the README's "Layout" heading."""
    text = doc_text(ROOT / "README.md")
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    return block


@pytest.mark.parametrize("folder", ["webhooks/engine", "webhooks/api"])
def test_the_readme_layout_names_every_module_of_the_engine_and_the_api(folder: str) -> None:
    modules = sorted(p.stem for p in (ROOT / folder).glob("*.py") if p.stem != "__init__")
    layout = readme_layout()
    assert [m for m in modules if not re.search(rf"\b{m}\b", layout)] == []


def test_the_readme_links_every_page_of_docs() -> None:
    linked = set(MARKDOWN_LINK.findall(doc_text(ROOT / "README.md")))
    pages = sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))
    assert [page for page in pages if page not in linked] == []


def test_the_checks_catch_what_is_missing(tmp_path: Path) -> None:
    doc = tmp_path / "stale.md"
    doc.write_text(
        "`webhooks/engine/gone.py`, `webhooks.engine.gone`, `events.services.gone_emit()`,\n"
        "`manage.py gone`, `make gone`, `python -m bench gone`, `WEBHOOK_GONE`, `WEBHOOK_NEVER=1`,\n"
        '[a link](missing.md), [a section](#gone) and (docs/delivery.md, "Gone"), `events/9999`.\n'
        "`webhooks/engine/http.py`, `webhooks.engine.http`, `manage.py migrate`, `make test`,\n"
        "`python -m bench capture`, `WEBHOOK_TIMEOUT`, `DEBUG=false`, `events/0001`,\n"
        "as bench/gone.py says and bench/fanout.py does,\n"
        '(docs/delivery.md, "Telling\n people").\n',
        encoding="utf-8",
    )
    assert missing_paths(doc) == ["webhooks/engine/gone.py", "events/9999", "bench/gone.py"]
    assert missing_modules(doc) == ["webhooks.engine.gone", "events.services.gone_emit()"]
    assert missing_commands(doc) == ["manage.py gone", "make gone", "python -m bench gone"]
    assert missing_settings(doc) == ["WEBHOOK_GONE", "WEBHOOK_NEVER"]
    assert broken_links(doc) == ["missing.md", "#gone"]
    assert broken_section_references(doc) == ["docs/delivery.md, 'Gone'"]
