"""``serve --cert/--key``: Feast's spelling of ``--tls-cert/--tls-key``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from featurevault.cli.main import app


def test_cert_and_key_are_feasts_names_for_tls_options(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--chdir", str(tmp_path), "serve", "--cert", "nope.pem", "--key", "nope.key"])
    assert result.exit_code == 1
    assert "nope.pem: no such file" in result.output
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    result = runner.invoke(app, ["--chdir", str(tmp_path), "serve", "--cert", str(cert)])
    assert result.exit_code == 1 and "go together" in result.output
