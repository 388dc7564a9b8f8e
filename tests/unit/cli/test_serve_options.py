"""``serve --cert/--key``: Feast's spelling of ``--tls-cert/--tls-key``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from featurevault._cli.main import app


def test_cert_and_key_are_feasts_names_for_tls_options(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--chdir", str(tmp_path), "serve", "--cert", "nope.pem", "--key", "nope.key"])
    assert result.exit_code == 1
    assert "nope.pem: no such file" in result.output
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    result = runner.invoke(app, ["--chdir", str(tmp_path), "serve", "--cert", str(cert)])
    assert result.exit_code == 1 and "go together" in result.output


def test_serve_defaults_are_the_documented_timeouts_and_limits() -> None:
    """docs/server.md, "Limits, timeouts and outages": 1 s online timeout; 5 s, 10 s, 30 s, 64 KiB for slow clients."""
    import inspect

    from featurevault._cli.serve_commands import serve
    from featurevault._server import app as server_app
    from featurevault._server.connections import ConnectionLimits

    options = {name: p.default for name, p in inspect.signature(serve).parameters.items()}
    assert options["online_timeout"] == 1.0
    assert (options["keep_alive_timeout"], options["header_timeout"], options["body_timeout"]) == (5, 10.0, 30.0)
    assert options["max_header_bytes"] == 64 * 1024
    assert server_app.ServerSettings().online_timeout_seconds == 1.0
    assert inspect.signature(server_app.serve).parameters["online_timeout"].default == 1.0
    assert inspect.signature(server_app.serve).parameters["keep_alive_timeout"].default == 5
    limits = ConnectionLimits()
    assert (limits.header_timeout, limits.body_timeout, limits.max_header_bytes) == (10.0, 30.0, 64 * 1024)
