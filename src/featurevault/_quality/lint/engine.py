"""Run the rules over a repo's definitions, with the repo's ``lint`` configuration.

Severity of a rule, in order: always-error rules are errors; else a level in
``lint.severity``; else error when ``lint.enforce`` is on; else the rule's
default (warning). ``select``/``ignore`` and an object's ``lint.ignore`` tag
switch configurable rules off; always-error rules cannot be switched off.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from featurevault._config import LintConfig, RepoConfig
from featurevault.errors import ConfigError, LintError
from featurevault._model import RepoContents
from featurevault._quality.lint.rules import RULES, Rule, object_ignores
from featurevault._quality.lint.subjects import LintContext, Subject, Vocabulary, iter_subjects

logger = logging.getLogger(__name__)

LEVELS = ("error", "warning")
_RANK = {"warning": 1, "error": 2}


@dataclass(frozen=True)
class Finding:
    """One problem: which rule, how bad, which object, where it is defined, what is wrong, how to fix it."""

    rule: str
    severity: str
    kind: str
    object: str
    file: str | None
    line: int | None
    message: str
    fix: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def location(self) -> str:
        if self.file is None:
            return "<unknown>"
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class LintReport:
    """The findings of one run, and the rules that ran with their effective levels."""

    findings: list[Finding] = field(default_factory=list)
    levels: dict[str, str] = field(default_factory=dict)
    objects_checked: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def rules(self) -> list[Rule]:
        return [RULES[rule_id] for rule_id in self.levels]

    def at_or_above(self, level: str) -> list[Finding]:
        """Findings at ``level`` or worse (``warning`` includes errors)."""
        if level not in _RANK:
            raise ValueError(f"level {level!r} is not one of {LEVELS}")
        return [f for f in self.findings if _RANK[f.severity] >= _RANK[level]]

    def counts(self) -> dict[str, int]:
        return dict(Counter(f.rule for f in self.findings))

    def summary(self) -> str:
        return f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) in {self.objects_checked} object(s)"


def run_lint(
    contents: RepoContents,
    config: RepoConfig | LintConfig | None = None,
    *,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    base_path: str | Path | None = None,
) -> LintReport:
    """Lint every definition in ``contents``.

    ``select`` replaces the configured selection and ``ignore`` adds to the
    configured one (the CLI's options). File paths are shown relative to
    ``base_path`` (default: the config's repo path).
    """
    lint_config, repo_path = _lint_config(config)
    levels = rule_levels(lint_config, select=select, ignore=ignore)
    base = Path(base_path) if base_path is not None else repo_path
    context = LintContext(contents, Vocabulary(lint_config.vocabularies), repo_path)
    report = LintReport(levels=levels)
    for subject in iter_subjects(contents):
        report.objects_checked += subject.kind != "feature"
        report.findings.extend(_check_subject(subject, context, levels, base))
    report.findings.sort(key=lambda f: (f.file or "", f.line or 0, f.rule, f.object))
    logger.debug("lint: %s", report.summary())
    return report


def rule_levels(
    config: LintConfig, *, select: list[str] | None = None, ignore: list[str] | None = None
) -> dict[str, str]:
    """The effective level of every rule that runs (rules switched off are absent)."""
    selected = list(select) if select else list(config.select)
    ignored = list(config.ignore) + list(ignore or [])
    _check_codes("lint.select", selected)
    _check_codes("lint.ignore", ignored)
    _check_severities(config.severity)
    levels: dict[str, str] = {}
    for rule in RULES.values():
        level = _level(rule, config)
        if rule.always_error:
            levels[rule.id] = level
        elif level != "off" and (not selected or _matches(rule.id, selected)) and not _matches(rule.id, ignored):
            levels[rule.id] = level
    return levels


def lint_blocks_apply(findings: list[Finding]) -> bool:
    """True when any finding is an error: apply refuses to go on unless lint is skipped."""
    return any(f.severity == "error" for f in findings)


def check_apply(report: LintReport, *, skip_lint: bool = False) -> dict[str, Any]:
    """The gate apply calls before writing: raise on errors unless skipped.

    Returns the metadata to record in the registry version (empty when nothing
    was overridden), so that a skipped lint shows in the history.
    """
    errors = report.errors
    if not errors:
        return {}
    if skip_lint:
        logger.warning("apply: %d lint error(s) overridden with --skip-lint", len(errors))
        return {"skip_lint": True, "lint_errors": len(errors)}
    first = errors[0]
    raise LintError(
        f"{len(errors)} lint error(s) block apply; first: {first.rule} {first.message} at {first.location} "
        f"(fix: {first.fix}); run 'featurevault lint' for all, or apply --skip-lint to override",
        report,
    )


def _lint_config(config: RepoConfig | LintConfig | None) -> tuple[LintConfig, Path | None]:
    if config is None:
        return LintConfig(), None
    if isinstance(config, RepoConfig):
        return config.lint, config.repo_path
    return config, None


def _level(rule: Rule, config: LintConfig) -> str:
    if rule.always_error:
        return "error"
    if rule.id in config.severity:
        return config.severity[rule.id]
    return "error" if config.enforce else rule.default_severity


def _matches(rule_id: str, codes: list[str]) -> bool:
    """A code selects a rule exactly or as a prefix (FV1 selects FV101..FV107); ALL selects every rule."""
    return any(code.upper() == "ALL" or rule_id.startswith(code.upper()) for code in codes)


def _check_codes(key: str, codes: list[str]) -> None:
    for code in codes:
        if not any(_matches(rule_id, [code]) for rule_id in RULES):
            raise ConfigError(f"{key}: {code!r} matches no lint rule (rules: {', '.join(RULES)})")


def _check_severities(severity: Mapping[str, str]) -> None:
    for rule_id, level in severity.items():
        if rule_id not in RULES:
            raise ConfigError(f"lint.severity: {rule_id!r} is not a lint rule (rules: {', '.join(RULES)})")
        if RULES[rule_id].always_error and level != "error":
            raise ConfigError(f"lint.severity: {rule_id} is always an error (a definition that cannot work)")


def _check_subject(subject: Subject, context: LintContext, levels: dict[str, str], base: Path | None) -> list[Finding]:
    ignored = object_ignores(subject)
    findings: list[Finding] = []
    for rule_id, level in levels.items():
        rule = RULES[rule_id]
        if subject.kind not in rule.kinds or (not rule.always_error and _matches(rule_id, ignored)):
            continue
        for message in rule.check(subject, context):
            findings.append(_finding(rule, level, subject, message, base))
    return findings


def _finding(rule: Rule, level: str, subject: Subject, message: str, base: Path | None) -> Finding:
    site = subject.site
    return Finding(
        rule=rule.id,
        severity=level,
        kind=subject.kind,
        object=subject.label,
        file=_display_path(site.file, base) if site else None,
        line=site.line if site else None,
        message=message,
        fix=rule.fix,
    )


def _display_path(file: str, base: Path | None) -> str:
    """Relative to the repo when the file is inside it, so that findings read the same on every machine."""
    if base is None:
        return file
    try:
        return Path(file).resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return file
