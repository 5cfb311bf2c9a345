"""The documentation holds together: a short README, and every relative link leads to a file."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
README_LIMIT = 12 * 1024

FENCED_BLOCK = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def documents() -> list[Path]:
    """README.md, every page under docs/ and the benchmark results."""
    pages = [README, *sorted((REPO / "docs").glob("*.md")), REPO / "benchmarks" / "RESULTS.md"]
    return [page for page in pages if page.is_file()]


def link_targets(text: str) -> list[str]:
    """The targets of the Markdown links in `text`, leaving out code blocks and code spans."""
    prose = CODE_SPAN.sub("", FENCED_BLOCK.sub("", text))
    return INLINE_LINK.findall(prose) + REFERENCE_LINK.findall(prose)


def relative_path(target: str) -> str | None:
    """The file part of a relative link, or None for a web address, an e-mail or an anchor."""
    if SCHEME.match(target) or target.startswith(("#", "//")):
        return None
    return unquote(target.split("#", 1)[0].split("?", 1)[0]) or None


def test_readme_is_under_12_kib() -> None:
    size = README.stat().st_size
    assert size < README_LIMIT, f"README.md is {size:,} bytes; keep it under {README_LIMIT:,}"


def test_every_relative_link_leads_to_a_file_in_the_repository() -> None:
    broken = []
    for page in documents():
        for target in link_targets(page.read_text(encoding="utf-8")):
            path = relative_path(target)
            if path is None:
                continue
            resolved = (page.parent / path).resolve()
            if not resolved.is_relative_to(REPO) or not resolved.exists():
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert not broken, "links to missing files:\n" + "\n".join(broken)


def test_the_link_checker_sees_the_links() -> None:
    targets = link_targets(README.read_text(encoding="utf-8"))
    assert "docs/architecture.md" in targets
    assert link_targets("`[a](missing.md)`\n```\n[b](missing.md)\n```\n[c](here.md#part)") == ["here.md#part"]
    assert relative_path("here.md#part") == "here.md"
    assert relative_path("https://github.com/iterative/gto") is None


def test_readme_links_every_docs_page() -> None:
    targets = {relative_path(target) for target in link_targets(README.read_text(encoding="utf-8"))}
    missing = [page.name for page in sorted((REPO / "docs").glob("*.md")) if f"docs/{page.name}" not in targets]
    assert not missing, f"README.md does not link: {', '.join(missing)}"


def test_readme_does_not_mention_design_md() -> None:
    assert "design.md" not in README.read_text(encoding="utf-8").lower()
