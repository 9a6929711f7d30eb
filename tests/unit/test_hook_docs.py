"""The plugin docs cannot drift from the code.

`docs/plugin-hooks.md` must document every hook spec of `panel.hooks`, in the same
order and under the same banners, with the exact signature; every spec must have a
docstring naming each parameter. The worked example in `docs/writing-a-plugin.md`
quotes the dummy plugin, and every quote must still be in the file it names.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from panel import hooks
from panel.plugin import PROJECT

ROOT = Path(__file__).resolve().parents[2]
HOOKS_DOC = ROOT / "docs" / "plugin-hooks.md"
GUIDE_DOC = ROOT / "docs" / "writing-a-plugin.md"
FIRSTRESULT_NOTE = "Stops at the first non-None result."


# -- the code side ---------------------------------------------------------------------


def specs() -> list[Callable[..., Any]]:
    """Every hook spec in `panel.hooks`, in source order."""
    found = [f for f in vars(hooks).values() if inspect.isfunction(f) and hasattr(f, f"{PROJECT}_spec")]
    return sorted(found, key=lambda f: f.__code__.co_firstlineno)


def spec_opts(spec: Callable[..., Any]) -> dict[str, Any]:
    opts: dict[str, Any] = getattr(spec, f"{PROJECT}_spec")
    return opts


def banners() -> list[tuple[int, str]]:
    """(line number, title) of each `# ----- / # Title / # -----` banner in hooks.py."""
    lines = inspect.getsource(hooks).splitlines()
    out = []
    for i in range(1, len(lines) - 1):
        rule = re.compile(r"#\s*-{10,}\s*$")
        if rule.match(lines[i - 1]) and rule.match(lines[i + 1]) and lines[i].startswith("# "):
            out.append((i + 1, lines[i][2:].strip()))
    return out


def banner_of(spec: Callable[..., Any]) -> str:
    line = spec.__code__.co_firstlineno
    titles = [title for at, title in banners() if at < line]
    return titles[-1] if titles else ""


def _annotation(value: Any) -> str:
    return value if isinstance(value, str) else inspect.formatannotation(value)


def spec_signature(spec: Callable[..., Any]) -> str:
    """The spec's signature as source text, from `inspect.signature`."""
    sig = inspect.signature(spec)
    params = []
    for p in sig.parameters.values():
        text = p.name
        if p.annotation is not inspect.Parameter.empty:
            text += f": {_annotation(p.annotation)}"
        if p.default is not inspect.Parameter.empty:
            text += f" = {p.default!r}"
        if p.kind is inspect.Parameter.KEYWORD_ONLY and "*" not in params:
            params.append("*")
        params.append(text)
    ret = "" if sig.return_annotation is inspect.Signature.empty else f" -> {_annotation(sig.return_annotation)}"
    return f"def {spec.__name__}({', '.join(params)}){ret}: ..."


def normalise(source: str) -> str:
    """One text form of a `def`: parsed and unparsed, so spacing and quotes do not matter."""
    tree = ast.parse(source)
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    assert len(funcs) == 1, f"expected one def in:\n{source}"
    fn = funcs[0]
    returns = f" -> {ast.unparse(fn.returns)}" if fn.returns is not None else ""
    return f"{fn.name}({ast.unparse(fn.args)}){returns}"


# -- the docs side ---------------------------------------------------------------------


@dataclass
class DocHook:
    name: str
    banner: str
    signature: str | None
    text: str


def documented() -> list[DocHook]:
    """Each `### panel_...` section of plugin-hooks.md with its banner and signature block."""
    out: list[DocHook] = []
    banner = ""
    current: DocHook | None = None
    fence: str | None = None  # the language of the open code block, "" for none given
    block: list[str] = []
    for line in HOOKS_DOC.read_text(encoding="utf-8").splitlines():
        if fence is not None:
            if line.startswith("```"):
                if current is not None and current.signature is None and fence == "python":
                    current.signature = "\n".join(block)
                fence = None
            else:
                block.append(line)
        elif line.startswith("```"):
            fence, block = line[3:].strip(), []
        elif line.startswith("## "):
            banner = line[3:].strip()
            current = None
            continue
        elif line.startswith("### "):
            current = DocHook(line[4:].strip(), banner, None, "")
            out.append(current)
            continue
        if current is not None:
            current.text += line + "\n"
    return out


def documented_by_name() -> dict[str, DocHook]:
    return {d.name: d for d in documented()}


# -- the checks ------------------------------------------------------------------------


def test_there_are_specs_to_check() -> None:
    assert len(specs()) >= 10
    assert all(banner_of(s) for s in specs()), "every spec sits under a banner"


@pytest.mark.parametrize("spec", specs(), ids=lambda s: s.__name__)
def test_spec_has_docstring_naming_each_parameter(spec: Callable[..., Any]) -> None:
    doc = inspect.getdoc(spec)
    assert doc, f"{spec.__name__} has no docstring"
    params = list(inspect.signature(spec).parameters)
    if params:
        assert "Args:" in doc, f"{spec.__name__}: the docstring has no Args: section"
        args = doc.split("Args:", 1)[1]
        for name in params:
            assert re.search(rf"^\s+{name}:", args, re.M), f"{spec.__name__}: Args: does not describe {name!r}"
    if spec_opts(spec).get("firstresult"):
        assert FIRSTRESULT_NOTE in doc, f"{spec.__name__} is firstresult: say {FIRSTRESULT_NOTE!r}"


@pytest.mark.parametrize("spec", specs(), ids=lambda s: s.__name__)
def test_spec_is_documented_with_its_exact_signature(spec: Callable[..., Any]) -> None:
    doc = documented_by_name().get(spec.__name__)
    assert doc is not None, f"docs/plugin-hooks.md has no '### {spec.__name__}' section"
    assert doc.signature is not None, f"'### {spec.__name__}' has no ```python signature block"
    assert normalise(doc.signature) == normalise(spec_signature(spec)), (
        f"docs/plugin-hooks.md shows a different signature for {spec.__name__}; the spec is:\n{spec_signature(spec)}"
    )
    assert "**When:**" in doc.text, f"'### {spec.__name__}' does not say when it fires (**When:**)"
    if spec_opts(spec).get("firstresult"):
        assert FIRSTRESULT_NOTE in doc.text


def test_every_documented_hook_exists() -> None:
    names = {s.__name__ for s in specs()}
    stale = [d.name for d in documented() if d.name not in names]

    assert not stale, f"docs/plugin-hooks.md documents hooks that no longer exist: {stale}"


def test_hooks_are_documented_once_in_source_order_under_the_same_banners() -> None:
    in_code = [(banner_of(s), s.__name__) for s in specs()]
    in_docs = [(d.banner, d.name) for d in documented()]

    assert in_docs == in_code


# -- the worked example ----------------------------------------------------------------

# A fenced block whose first line is `# tests/dummy_plugin/...` (or `{# ... #}` in a
# template) quotes that file: the rest of the block must appear in it as it is.
QUOTE = re.compile(r"```[\w+-]*\n(?:# |\{# )(tests/dummy_plugin/[^\s#]+)(?: #\})?\n(.*?)```", re.S)


def test_guide_quotes_the_dummy_plugin_verbatim() -> None:
    text = GUIDE_DOC.read_text(encoding="utf-8")
    quotes = QUOTE.findall(text)

    assert quotes, "docs/writing-a-plugin.md quotes no file of tests/dummy_plugin"
    for path, quoted in quotes:
        source = (ROOT / path).read_text(encoding="utf-8")
        assert quoted.strip("\n") in source, f"docs/writing-a-plugin.md quotes {path}, which no longer says that"


def test_guide_names_only_files_that_exist() -> None:
    text = GUIDE_DOC.read_text(encoding="utf-8")
    paths = set(re.findall(r"(tests/dummy_plugin/[\w./-]*\w)", text))

    assert paths
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"docs/writing-a-plugin.md names missing files: {missing}"
