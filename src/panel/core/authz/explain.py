"""Why a request was allowed or denied: the deciding line and the grants behind it.

pycasbin's `enforce_ex` names the policy line that decided (the first deny that
matched, else the last allow). It cannot say how the user reached that line's
subject, so this module walks the matcher's subject tests (see `matcher.py`) in
order and reports the first one that holds, with the grant rows on the way:

* a direct grant   `g, user:4, perm:invoices, acct:7`
* the partner path `g, user:9, role:partner_admin, acct:500` then
                   `g, acct:500, role:partner_delegate, acct:7`
* platform staff   `g2, user:1, staff:admin`
* the session mode `mode:impersonation` (no grant row)
* and, for a line scoped to a class, `g3, acct:7, class:partner_managed`.
"""

from __future__ import annotations

from dataclasses import dataclass

from panel.core.authz.evaluator import Evaluator, Request
from panel.core.authz.matcher import SubjectTest, resolve


@dataclass(frozen=True)
class Decision:
    """An explained decision.

    `rule` is the deciding policy line with its type first, `grant` the row that links
    the request's subject to that line's subject (the last step when there are
    several), `path` every row on the way in order, `reason` one sentence for people.
    """

    allowed: bool
    rule: tuple[str, ...] | None
    grant: tuple[str, ...] | None
    reason: str
    path: tuple[tuple[str, ...], ...] = ()


def explain(evaluator: Evaluator, request: Request) -> Decision:
    """Decide `request` evaluating every line, and say why."""
    allowed, matched = evaluator.decide_all(request)
    fields = dict(zip(evaluator.r_fields, request, strict=False))
    if not matched:
        verdict = "allowed: no policy denies" if allowed else "denied: no policy allows"
        return Decision(allowed, None, None, f"{verdict} {_what(fields)}{_class_hint(evaluator, request)}")
    rule = ("p", *matched)
    line = dict(zip(evaluator.p_fields, matched, strict=False))
    subject_rows, how = _connect(evaluator, request, line.get("sub", ""))
    grant = subject_rows[-1] if subject_rows else None
    path = subject_rows + _scope_rows(evaluator, request, line.get("dom"))
    verdict = "allowed by" if allowed else "denied by"
    reason = f"{verdict} {_csv(rule)}"
    if path:
        reason += " via " + " and ".join(_csv(row) for row in path)
    if how:
        reason += f" {how}"
    return Decision(allowed, rule, grant, reason, tuple(path))


def _connect(evaluator: Evaluator, request: Request, subject: str) -> tuple[list[tuple[str, ...]], str]:
    """The grant rows (and wording) by which the request reaches `subject`."""
    for test in evaluator.shape.subject_tests:
        if test.negated:
            continue
        name = request[test.name]
        if test.ptype is None:
            if name == subject:
                field = evaluator.r_fields[test.name]
                return [], f"because the request's {field} is {subject}"
            continue
        row = _link_row(evaluator, test, request, subject)
        if row is None:
            continue
        gates = [_gate_row(evaluator, g.ptype, tuple(resolve(a, request) for a in g.args)) for g in test.gates]
        if any(g is None for g in gates):
            continue
        rows = [g for g in gates if g is not None and g != ()]
        if row == ():
            return rows, f"because {name} is {subject} itself"
        return [*rows, row], ""
    return [], "(through a matcher test explain does not know)"


def _link_row(evaluator: Evaluator, test: SubjectTest, request: Request, subject: str) -> tuple[str, ...] | None:
    assert test.ptype is not None
    name = request[test.name]
    rm = evaluator.role_managers[test.ptype]
    dom = "" if test.domain is None else resolve(test.domain, request)
    if name == subject:
        return ()
    if subject not in rm.roles_of(name, dom):
        return None
    return (test.ptype, name, subject, dom) if rm.domains else (test.ptype, name, subject)


def _gate_row(evaluator: Evaluator, ptype: str, args: tuple[str, ...]) -> tuple[str, ...] | None:
    rm = evaluator.role_managers[ptype]
    if len(args) < 2 or not rm.has_link(*args):
        return None
    if args[0] == args[1]:
        return ()
    return (ptype, *args) if rm.domains else (ptype, args[0], args[1])


def _scope_rows(evaluator: Evaluator, request: Request, scope: str | None) -> list[tuple[str, ...]]:
    """The class row when the deciding line is scoped to a class, e.g. class:partner_managed."""
    if not scope or scope == "*":
        return []
    for test in evaluator.shape.scope_tests:
        name = request[test.name]
        if name != scope and scope in evaluator.role_managers[test.ptype].roles_of(name):
            return [(test.ptype, name, scope)]
    return []


def _class_hint(evaluator: Evaluator, request: Request) -> str:
    """For a denial with no line: the account's classes, e.g. that it is suspended."""
    classes: list[str] = []
    for test in evaluator.shape.scope_tests:
        name = request[test.name]
        classes += [
            f"{name} is in {c} ({test.ptype}, {name}, {c})" for c in evaluator.role_managers[test.ptype].roles_of(name)
        ]
    return f"; note: {'; '.join(classes)}" if classes else ""


def _what(fields: dict[str, str]) -> str:
    who = fields.get("sub", "?")
    if fields.get("org"):
        who += f" (for {fields['org']})"
    return f"{who} to {fields.get('act', '?')} {fields.get('obj', '?')} in {fields.get('dom', '?')}"


def _csv(row: tuple[str, ...]) -> str:
    return ", ".join(row)
