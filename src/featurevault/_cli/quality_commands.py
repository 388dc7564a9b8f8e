"""Quality commands: ``lint`` (naming and design rules) and ``readiness`` (the production checklist)."""

from __future__ import annotations

import json
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from featurevault._cli.common import console, fail, new_table, state, styled

if TYPE_CHECKING:
    from featurevault._config import RepoConfig
    from featurevault._model import RepoContents
    from featurevault._quality.lint import LintReport
    from featurevault._quality.readiness import ReadinessReport


class LintFormat(str, Enum):
    table = "table"
    json = "json"
    sarif = "sarif"
    github = "github"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"


class ReadinessFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


SEVERITY_STYLE = {"error": "red", "warning": "yellow"}
STATUS_STYLE = {"pass": "green", "fail": "red", "not checked": "dim"}


def register(app: typer.Typer) -> None:
    app.command("lint")(lint)
    app.command("readiness")(readiness)


def _codes(values: list[str] | None) -> list[str]:
    """``--select FV1,FV3 --select FV401`` -> ['FV1', 'FV3', 'FV401']."""
    return [c.strip() for v in values or [] for c in v.split(",") if c.strip()]


def _load() -> tuple[RepoConfig, RepoContents]:
    from featurevault._config import load_repo_config
    from featurevault._ops.repo import load_repo

    config = load_repo_config(state.repo_path, state.config_file, env=state.env)
    return config, load_repo(config.repo_path or state.repo_path)


def lint(
    output: Annotated[LintFormat, typer.Option("--format", help="Output format.")] = LintFormat.table,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Exit 1 on findings at or above.")] = FailOn.warning,
    select: Annotated[list[str] | None, typer.Option("--select", help="Only these rules (FV101, or FV1).")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Skip these rules.")] = None,
) -> None:
    """Check every definition against the naming and design rules (no registry, no data)."""
    from featurevault import __version__
    from featurevault._quality.lint import formats, run_lint

    config, contents = _load()
    report = run_lint(contents, config, select=_codes(select) or None, ignore=_codes(ignore))
    if output is LintFormat.json:
        typer.echo(json.dumps(formats.to_json(report), indent=2))
    elif output is LintFormat.sarif:
        typer.echo(json.dumps(formats.to_sarif(report, tool_version=__version__), indent=2))
    elif output is LintFormat.github:
        for line in formats.to_github(report):
            typer.echo(line)
    else:
        print_lint_report(report)
    if report.at_or_above(fail_on.value):
        raise typer.Exit(1)


def print_lint_report(report: LintReport, *, quiet_when_clean: bool = False, compact: bool = False) -> None:
    """Findings as a table (or one line each when ``compact``, as plan and apply show them) and a summary."""
    from featurevault._quality.lint import formats

    if report.findings and compact:
        for severity, rule, obj, location, message, _ in formats.table_rows(report):
            console.print(
                styled((severity, SEVERITY_STYLE[severity]), f" {rule} {location} {message}"), highlight=False
            )
    elif report.findings:
        table = new_table(title="Lint findings", show_lines=False)
        for column in formats.TABLE_COLUMNS:
            table.add_column(column, overflow="fold")
        for row in formats.table_rows(report):
            table.add_row(styled((row[0], SEVERITY_STYLE[row[0]])), *row[1:])
        console.print(table)
    if report.findings or not quiet_when_clean:
        console.print(f"lint: {report.summary()}", highlight=False)


def readiness(
    output: Annotated[ReadinessFormat, typer.Option("--format", help="Output format.")] = ReadinessFormat.table,
    fail_under: Annotated[
        float | None, typer.Option("--fail-under", min=0, max=100, help="Exit 1 when the score is below PERCENT.")
    ] = None,
) -> None:
    """Evaluate the production-readiness checklist against the repo and its configuration."""
    config, contents = _load()
    report = _readiness_report(config, contents)
    if output is ReadinessFormat.json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    elif output is ReadinessFormat.markdown:
        typer.echo(report.to_markdown(), nl=False)
    else:
        _print_readiness(report)
    if fail_under is not None and round(report.score, 1) < fail_under:  # the score as printed
        if output is ReadinessFormat.table:
            fail(f"readiness score {report.score:.0f}% is under --fail-under {fail_under:g}%")
        raise typer.Exit(1)


def _readiness_report(config: RepoConfig, contents: RepoContents) -> ReadinessReport:
    """The repo's definitions judged with the registry's recorded state (store.readiness, guarded and audited).

    Before anything was applied to a file registry, or when the registry cannot be reached, the
    items that need the registry are not checked (a note on stderr says why).
    """
    from featurevault._cli.common import err_console, open_store
    from featurevault.errors import FeatureVaultError, PermissionDeniedError
    from featurevault._quality.readiness import evaluate_readiness

    if config.registry.registry_type in ("file", "sqlite") and not config.resolve(config.registry.path).exists():
        return evaluate_readiness(contents, config)  # never applied: do not create an empty registry just to read it
    try:
        return open_store().readiness(contents)
    except PermissionDeniedError:
        raise
    except FeatureVaultError as exc:
        err_console.print(
            f"readiness: the registry cannot be read ({exc}); items that need it are not checked", highlight=False
        )
        return evaluate_readiness(contents, config)


def _print_readiness(report: ReadinessReport) -> None:
    table = new_table(title="Production readiness")
    for column in ("section", "item", "status", "evidence", "next step"):
        table.add_column(column, overflow="fold")
    for item in report.items:
        status = styled((item.status, STATUS_STYLE[item.status]))
        table.add_row(item.section, item.title, status, item.evidence, item.next_step)
    console.print(table)
    counts = ", ".join(f"{n} {status}" for status, n in report.counts().items())
    console.print(f"score: {report.score:.0f}% ({counts})", highlight=False)
