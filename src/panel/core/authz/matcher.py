"""What the matcher says about subjects: the basis of the pre-filter and of explain.

pycasbin evaluates the matcher once per policy line, so a first decision costs time
in proportion to the number of lines. Most lines cannot match a given request
because their subject is a role the user does not hold. This module reads the
matcher (as pycasbin parses it) and finds every place `p.sub` is tested:

* `r.X == p.sub`                    -> p.sub must equal the request's field X;
* `gN(r.X, p.sub[, r.Y | 'const'])` -> p.sub must be X itself or a role X holds.

It then proves, with three-valued logic, that the matcher is false for a line
whose subject passes none of those tests, whatever else is true. When the proof
holds, the engine may skip such lines without changing any decision; when it does
not (a provider wrote `!g(r.sub, p.sub, r.dom)` or `p.sub == 'x' || ...`), the
engine evaluates every line as pycasbin does and logs why.
"""

from __future__ import annotations

import ast
import enum
from dataclasses import dataclass, field
from typing import Any

from casbin.core_enforcer import CoreEnforcer
from casbin.util import has_eval

# A call argument: an index into the request tuple, or a string constant.
Arg = int | str


def resolve(arg: Arg, request: tuple[str, ...]) -> str:
    """The value of an argument for one request."""
    return request[arg] if isinstance(arg, int) else arg


class _Tri(enum.Enum):
    FALSE = 0
    UNKNOWN = 1
    TRUE = 2


@dataclass(frozen=True)
class Gate:
    """A positive `gN(a, 'role', b)` test in the same conjunction as a subject test.

    In `g(r.sub, 'role:partner_admin', r.org) && g(r.org, p.sub, r.dom)` the first
    call is a gate of the second: explain reports its row as part of the path.
    """

    ptype: str
    args: tuple[Arg, ...]


@dataclass(frozen=True)
class SubjectTest:
    """One place the matcher tests `p.sub`.

    `ptype` None means equality with request field `name`; otherwise `gN(name,
    p.sub, domain)` with `domain` None for a two-argument call.
    """

    ptype: str | None
    name: int
    domain: Arg | None
    gates: tuple[Gate, ...] = ()
    negated: bool = False


@dataclass(frozen=True)
class ScopeTest:
    """A `gN(r.X, p.dom)` test: the line's scope is a class the account is in."""

    ptype: str
    name: int


@dataclass
class MatcherShape:
    """The result of reading a matcher."""

    subject_tests: list[SubjectTest] = field(default_factory=list)
    scope_tests: list[ScopeTest] = field(default_factory=list)
    prefilter_safe: bool = False
    why_not: str = ""


def analyse(model: Any, ptype: str = "p", mtype: str = "m") -> MatcherShape:
    """Read the model's matcher and decide whether subject pre-filtering is safe."""
    expression = model["m"][mtype].value
    shape = MatcherShape()
    if has_eval(expression):
        shape.why_not = "the matcher uses eval()"
        return shape
    r_fields = {token: i for i, token in enumerate(model["r"]["r"].tokens)}
    p_tokens = model["p"][ptype].tokens
    if f"{ptype}_sub" not in p_tokens:
        shape.why_not = f"the policy definition has no '{ptype}_sub' field"
        return shape
    reader = _Reader(r_fields, f"{ptype}_sub", f"{ptype}_dom", set(model["g"] or {}), shape)
    tree = CoreEnforcer._get_expression(expression, {}).ast_parsed_value
    if reader.value(tree, (), negated=False) is _Tri.FALSE:
        shape.prefilter_safe = True
    else:
        shape.why_not = "a line could match without its subject being one the request reaches"
    return shape


class _Reader:
    """Walks the parsed matcher, recording subject tests and computing truth."""

    def __init__(self, r_fields: dict[str, int], p_sub: str, p_dom: str, g_types: set[str], shape: MatcherShape):
        self.r_fields = r_fields
        self.p_sub = p_sub
        self.p_dom = p_dom
        self.g_types = g_types
        self.shape = shape

    def value(self, node: ast.AST, gates: tuple[Gate, ...], *, negated: bool) -> _Tri:
        """The node's truth for a line whose subject passes no subject test."""
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                found = [self._gate(v) for v in node.values]
                values = [
                    self.value(
                        v,
                        gates + tuple(g for j, g in enumerate(found) if g is not None and j != i),
                        negated=negated,
                    )
                    for i, v in enumerate(node.values)
                ]
                if _Tri.FALSE in values:
                    return _Tri.FALSE
                return _Tri.TRUE if all(v is _Tri.TRUE for v in values) else _Tri.UNKNOWN
            values = [self.value(v, gates, negated=negated) for v in node.values]
            if _Tri.TRUE in values:
                return _Tri.TRUE
            return _Tri.FALSE if all(v is _Tri.FALSE for v in values) else _Tri.UNKNOWN
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.value(node.operand, (), negated=not negated)
            return {_Tri.TRUE: _Tri.FALSE, _Tri.FALSE: _Tri.TRUE}.get(inner, _Tri.UNKNOWN)
        test = self._subject_test(node, gates, negated)
        if test is not None:
            self.shape.subject_tests.append(test)
            return _Tri.FALSE
        scope = self._scope_test(node)
        if scope is not None:
            self.shape.scope_tests.append(scope)
        return _Tri.UNKNOWN

    def _name(self, node: ast.AST) -> str | None:
        return node.id if isinstance(node, ast.Name) else None

    def _arg(self, node: ast.AST) -> Arg | None:
        name = self._name(node)
        if name is not None:
            return self.r_fields.get(name)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return None

    def _subject_test(self, node: ast.AST, gates: tuple[Gate, ...], negated: bool) -> SubjectTest | None:
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
            left, right = self._name(node.left), self._name(node.comparators[0])
            other = right if left == self.p_sub else left if right == self.p_sub else None
            if other is not None and other in self.r_fields:
                return SubjectTest(None, self.r_fields[other], None, gates, negated)
            return None
        if not (isinstance(node, ast.Call) and self._name(node.func) in self.g_types):
            return None
        args = node.args
        if len(args) not in (2, 3) or self._name(args[1]) != self.p_sub:
            return None
        name = self._arg(args[0])
        domain = self._arg(args[2]) if len(args) == 3 else None
        if not isinstance(name, int) or (len(args) == 3 and domain is None):
            return None
        return SubjectTest(self._name(node.func), name, domain, gates, negated)

    def _scope_test(self, node: ast.AST) -> ScopeTest | None:
        if isinstance(node, ast.Call) and self._name(node.func) in self.g_types and len(node.args) == 2:
            name = self._arg(node.args[0])
            if isinstance(name, int) and self._name(node.args[1]) == self.p_dom:
                return ScopeTest(str(self._name(node.func)), name)
        return None

    def _gate(self, node: ast.AST) -> Gate | None:
        if not (isinstance(node, ast.Call) and self._name(node.func) in self.g_types):
            return None
        args = tuple(self._arg(a) for a in node.args)
        if any(a is None for a in args):
            return None
        return Gate(str(self._name(node.func)), tuple(a for a in args if a is not None))
