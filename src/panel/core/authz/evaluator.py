"""The pycasbin side of the engine: one model, its policy lines, our role managers.

Two costs of pycasbin's `enforce_ex` matter on a first (uncached) decision: it
re-parses the matcher on every call, and it evaluates the matcher once per policy
line. `_Enforcer` parses once; `Evaluator.decide` hands pycasbin only the lines whose
subject the request can reach (see `matcher.py` for why that changes no decision).
On this project's machines that took a first decision from ~1 ms to well under
0.1 ms with the default 50 lines.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from casbin.core_enforcer import CoreEnforcer
from casbin.effect import Effector, effect_to_bool
from casbin.model import Model

from panel.core.authz.lines import PolicyLine
from panel.core.authz.matcher import MatcherShape, analyse
from panel.core.authz.role_manager import FlatRoleManager

log = logging.getLogger(__name__)

Request = tuple[str, ...]
Outcome = tuple[bool, list[str]]

# Distinct sets of reachable subjects seen; each keeps a small view of the policy.
_MAX_VIEWS = 4096
_MAX_EXPRESSIONS = 32
_NO_LINES = object()


class _Enforcer(CoreEnforcer):  # type: ignore[misc]  # pycasbin ships no type hints
    """A CoreEnforcer that parses each matcher once instead of on every call.

    pycasbin builds a new SimpleEval (an `ast.parse` of the matcher) per `enforce_ex`.
    The parsed expression holds a reference to the enforcer's function map, which
    pycasbin refills with fresh `g` functions on each call, so reusing it is safe.
    """

    def __init__(self, model: Model) -> None:
        self._expressions: dict[tuple[str, int], Any] = {}
        super().__init__(model)

    def _get_expression(self, expr: str, functions: Any = None) -> Any:
        key = (expr, id(functions))
        parsed = self._expressions.get(key)
        if parsed is None:
            parsed = CoreEnforcer._get_expression(expr, functions)
            if len(self._expressions) < _MAX_EXPRESSIONS:
                self._expressions[key] = parsed
        return parsed


class Evaluator:
    """Decides requests for one loaded model, policy and set of role managers.

    Built whole on start-up and on reload, then swapped in, so a failed reload
    leaves the previous evaluator serving. Grants change in place through the role
    managers; policy lines never change after construction.
    """

    def __init__(self, model: Model, lines: Sequence[PolicyLine], role_managers: Mapping[str, FlatRoleManager]):
        if model["e"]["e"].value == "subjectPriority(p_eft) || deny":
            raise ValueError("subjectPriority effects are not supported (grants are not in the model)")
        for ptype, assertion in (model["g"] or {}).items():
            if assertion.params_tokens:
                raise ValueError(f"conditional role definitions ({ptype}) are not supported")
            if ptype not in role_managers:
                raise ValueError(f"no role manager for {ptype}")
        for ptype, assertion in model["p"].items():
            assertion.policy = [list(line.values) for line in lines if line.ptype == ptype]
        model.sort_policies_by_priority()
        self.model = model
        self.role_managers = dict(role_managers)
        self.enforcer = _Enforcer(model)
        for ptype, rm in self.role_managers.items():
            self.enforcer.set_named_role_manager(ptype, rm)
            # enforce_ex takes g() from the assertion, not from rm_map.
            model["g"][ptype].rm = rm
        self.policy: list[list[str]] = model["p"]["p"].policy
        self.p_fields: list[str] = [t.split("_", 1)[1] for t in model["p"]["p"].tokens]
        self.r_fields: list[str] = [t.split("_", 1)[1] for t in model["r"]["r"].tokens]
        self.shape: MatcherShape = analyse(model)
        if not self.shape.prefilter_safe:
            log.warning("policy pre-filter off (%s): every decision evaluates all lines", self.shape.why_not)
        sub_index = self.p_fields.index("sub") if "sub" in self.p_fields else 0
        self._by_subject: dict[str, list[int]] = {}
        for i, rule in enumerate(self.policy):
            self._by_subject.setdefault(rule[sub_index], []).append(i)
        self._views: dict[frozenset[str], Any] = {}
        self._no_match = bool(effect_to_bool(self.enforcer.eft.final_effect({Effector.INDETERMINATE})))

    def decide(self, request: Request) -> Outcome:
        """The decision and the deciding line, looking only at reachable lines."""
        if not self.shape.prefilter_safe:
            return self.decide_all(request)
        by_subject = self._by_subject
        key = frozenset(s for s in self.reachable_subjects(request) if s in by_subject)
        view = self._views.get(key)
        if view is None:
            view = self._make_view(key)
        if view is _NO_LINES:
            return self._no_match, []
        allowed, rule = view.enforce_ex(*request)
        return bool(allowed), list(rule)

    def decide_all(self, request: Request) -> Outcome:
        """The decision evaluating every line, as plain pycasbin would (explain, checks)."""
        allowed, rule = self.enforcer.enforce_ex(*request)
        return bool(allowed), list(rule)

    def reachable_subjects(self, request: Request) -> set[str]:
        """Every policy subject some subject test of the matcher could accept."""
        out: set[str] = set()
        for test in self.shape.subject_tests:
            name = request[test.name]
            out.add(name)
            if test.ptype is not None:
                domain = test.domain
                dom = "" if domain is None else request[domain] if isinstance(domain, int) else domain
                out.update(self.role_managers[test.ptype].roles_of(name, dom))
        return out

    def _make_view(self, key: frozenset[str]) -> Any:
        if len(self._views) >= _MAX_VIEWS:
            self._views.clear()
        indices = sorted(i for subject in key for i in self._by_subject[subject])
        if not indices:
            self._views[key] = _NO_LINES
            return _NO_LINES
        # A shallow copy sharing everything (functions, role managers, parsed matcher)
        # except the list of p lines.
        assertion = copy.copy(self.model["p"]["p"])
        assertion.policy = [self.policy[i] for i in indices]
        model = Model()
        model.model = dict(self.model.model)
        model.model["p"] = {**self.model.model["p"], "p": assertion}
        view = copy.copy(self.enforcer)
        view.model = model
        self._views[key] = view
        return view
