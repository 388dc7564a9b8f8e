"""The guard's authorization: may this principal do this, and which columns does it see masked.

Reads are decided once per (read plan, principal, action) and the decision is
kept on the plan: a plan lives as long as its registry version, so a change of
permissions or PII tags (a new version) is a new plan with no decisions yet.
Writes, definitions and apply plans are checked through the :class:`Enforcer`,
which caches its own answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from featurevault.errors import PermissionDeniedError
from featurevault._governance.guard_plans import ReadPlan, VersionState
from featurevault._governance.permissions import Enforcer, Resource, denied, project_resource
from featurevault._governance.pii import output_strategies
from featurevault._governance.principal import Principal
from featurevault._model import RepoContents
from featurevault._model.permission import AuthzedAction
from featurevault.types import String

A = AuthzedAction
_CHANGE_ACTIONS = {"add": A.CREATE, "update": A.UPDATE, "remove": A.DELETE}
#: decisions kept per plan; past it they are worked out again (bounds memory under many principals)
MAX_DECISIONS = 1024


@dataclass(frozen=True)
class ReadDecision:
    """The outcome of authorizing one read shape for one principal."""

    #: why the read is refused (the PermissionDeniedError's text), or None when it is allowed
    denial: str | None
    #: output column -> masking strategy for the PII this principal may not read clear
    strategies: dict[str, str]
    #: the masked column names, sorted (what the audit record lists)
    masked: tuple[str, ...] = ()
    #: (column, strategy, dtype after masking or None to keep it), in ``strategies`` order: what an
    #: online response's ``apply_masks`` takes, worked out once with the decision
    masks: tuple[tuple[str, str, Any], ...] = ()


ALLOWED_CLEAR = ReadDecision(None, {})


class Authorizer:
    """Decides reads, writes and definition changes for a project; default deny when ``enforce``."""

    def __init__(self, project: str, enforce: bool) -> None:
        self.project = project
        self.enforce = enforce

    def read_decision(
        self, state: VersionState, plan: ReadPlan, principal: Principal, action: AuthzedAction
    ) -> ReadDecision:
        """The (cached) decision for ``principal`` doing ``action`` on what ``plan`` reads."""
        if not self.enforce:
            return ALLOWED_CLEAR
        last = plan.last_decision
        if last is not None and last[0] is principal and last[1] is action:
            return last[2]  # type: ignore[no-any-return]
        key = (principal, action)
        decision = plan.decisions.get(key)
        if decision is None:
            decision = self._decide(state, plan, principal, action)
            if len(plan.decisions) >= MAX_DECISIONS:
                plan.decisions.clear()
            plan.decisions[key] = decision
        plan.last_decision = (principal, action, decision)
        return decision

    def _decide(self, state: VersionState, plan: ReadPlan, principal: Principal, action: AuthzedAction) -> ReadDecision:
        enforcer = state.enforcer
        try:
            enforcer.check_read(principal, action, plan.service, plan.resources)
        except PermissionDeniedError as exc:
            return ReadDecision(str(exc), {})
        service_clear = plan.service is not None and enforcer.allowed(principal, A.READ_PII, plan.service)
        clear = {r.name for r in plan.resources if service_clear or enforcer.allowed(principal, A.READ_PII, r)}
        strategies = output_strategies(state.catalog, plan.parts, clear)
        masks = tuple((name, s, None if s == "redact" else String) for name, s in strategies.items())
        return ReadDecision(None, strategies, tuple(sorted(strategies)), masks)

    def check_entity_sql(self, enforcer: Enforcer, principal: Principal, sql: str, details: dict[str, Any]) -> None:
        """An entity query is recorded by its SHA-256, and needs QUERY_SQL on the project."""
        details["entity_sql_sha256"] = hashlib.sha256(sql.encode("utf-8", "surrogatepass")).hexdigest()
        enforcer.check(principal, A.QUERY_SQL, [project_resource(self.project)])

    @staticmethod
    def check(enforcer: Enforcer, principal: Principal, action: AuthzedAction, resources: Iterable[Resource]) -> None:
        enforcer.check(principal, action, resources)

    def check_changes(
        self,
        enforcer: Enforcer,
        principal: Principal,
        current: RepoContents,
        desired: RepoContents,
        changes: list[Any],
    ) -> None:
        """Every change of an apply (add=CREATE, update=UPDATE, remove=DELETE), or PermissionDeniedError."""
        for change in changes:
            action = _CHANGE_ACTIONS[change.action]
            contents = current if change.action != "add" else desired
            resource = Resource.parse(f"{change.kind}:{change.name}", contents)
            if not enforcer.allowed(principal, action, resource):
                raise denied(principal, action, resource)
