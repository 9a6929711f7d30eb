"""Reading and checking policy lines from `policies/*.csv` and plugins.

A provider edits these files by hand, so a mistake must stop start-up with the file
and line number rather than silently allow or deny something. Tokenising is left to
pycasbin's own `load_policy_line`, so a line means here exactly what it means to
Casbin (commas inside `^(a|b)$` brackets do not split a field).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casbin.persist.adapter import load_policy_line

log = logging.getLogger(__name__)

# Subjects that may only deny: they describe a session or a tombstone, not a role.
DENY_ONLY_PREFIXES = ("mode:", "status:")
# Principals: a p line naming one bypasses roles and cannot be audited per account.
PRINCIPAL_PREFIXES = ("user:", "acct:")


class PolicyError(ValueError):
    """A policy line the engine refuses to load; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class PolicyLine:
    """One `p` line as Casbin sees it, with where it came from."""

    ptype: str
    values: tuple[str, ...]
    source: str

    def as_rule(self) -> tuple[str, ...]:
        """The line as a tuple starting with its type, e.g. ("p", "perm:all", ...)."""
        return (self.ptype, *self.values)


def read_lines(paths: Sequence[Path], extra: Sequence[str], model: Any) -> list[PolicyLine]:
    """Every policy line of the files, then the extra (plugin) lines, checked.

    Duplicates are dropped (the first one is kept) so a plugin repeating a core line
    is harmless.
    """
    seen: set[tuple[str, tuple[str, ...]]] = set()
    out: list[PolicyLine] = []
    sources: list[tuple[str, Iterable[str]]] = [
        (str(path), path.read_text(encoding="utf-8").splitlines()) for path in paths
    ]
    sources.append(("extra", extra))
    for name, texts in sources:
        for number, text in enumerate(texts, start=1):
            line = parse_line(text, f"{name}:{number}", model)
            if line is None:
                continue
            key = (line.ptype, line.values)
            if key in seen:
                log.info("duplicate policy line ignored at %s", line.source)
                continue
            seen.add(key)
            out.append(line)
    return out


def parse_line(text: str, source: str, model: Any) -> PolicyLine | None:
    """One CSV line as a checked `PolicyLine`, or None for blanks and comments."""
    text = text.strip()
    if not text or text.startswith("#"):
        return None
    ptype = text.split(",", 1)[0].strip()
    if ptype not in (model["p"] or {}):
        if ptype in (model["g"] or {}):
            raise PolicyError(
                f"{source}: '{ptype}' lines are grants; they belong in the database "
                "(Authorizer.add_grant), not in policy files"
            )
        raise PolicyError(f"{source}: unknown line type {ptype!r}")
    assertion = model["p"][ptype]
    scratch = assertion.policy
    assertion.policy = []
    try:
        load_policy_line(text, model)
        parsed = assertion.policy
    except Exception as exc:  # pycasbin's tokeniser fails on an unbalanced ')'
        raise PolicyError(f"{source}: cannot read {text!r}: {exc!r}") from exc
    finally:
        assertion.policy = scratch
    if len(parsed) != 1:
        raise PolicyError(f"{source}: cannot read {text!r}")
    values = tuple(parsed[0])
    tokens = [t.split("_", 1)[1] for t in assertion.tokens]
    if len(values) != len(tokens):
        raise PolicyError(
            f"{source}: expected {len(tokens)} fields ({', '.join(tokens)}) after {ptype!r}, "
            f"got {len(values)}: {text!r}"
        )
    _check_fields(dict(zip(tokens, values, strict=True)), source)
    return PolicyLine(ptype, values, source)


def _check_fields(fields: dict[str, str], source: str) -> None:
    eft = fields.get("eft")
    if eft is not None and eft not in ("allow", "deny"):
        raise PolicyError(f"{source}: the effect must be 'allow' or 'deny', not {eft!r}")
    sub = fields.get("sub", "")
    if sub.startswith(PRINCIPAL_PREFIXES):
        raise PolicyError(f"{source}: {sub!r} is a principal; policy lines name roles, grant the role instead")
    if sub.startswith(DENY_ONLY_PREFIXES) and eft != "deny":
        raise PolicyError(f"{source}: {sub!r} lines may only deny")
    act = fields.get("act")
    if act is not None:
        try:
            re.compile(act)
        except re.error as exc:
            raise PolicyError(f"{source}: the action {act!r} is not a valid regular expression: {exc}") from exc
        if act != ".*" and not (act.startswith("^") and act.endswith("$")):
            log.warning(
                "%s: action %r is not anchored (^...$); it also matches longer action names",
                source,
                act,
            )
