"""The server as a process: registry refresh, SIGTERM draining, backend outage, TLS, workers."""

from __future__ import annotations

import datetime as dt
import signal
import ssl
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.server.harness import cli_command, make_repo, serve

pytestmark = pytest.mark.integration

NEW_VIEW = """

driver_trips_only = FeatureView(
    name="driver_trips_only",
    entities=[driver],
    ttl=timedelta(days=1),
    schema=[Field(name="avg_daily_trips", dtype=Int64)],
    source=driver_stats_source,
)
"""


def test_apply_in_another_process_is_seen_within_the_cache_ttl(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with serve(repo) as server:
        assert httpx.get(server.url + "/feature-views/driver_trips_only").status_code == 404
        with (repo / "features.py").open("a") as f:
            f.write(NEW_VIEW)
        applied = subprocess.run(cli_command(repo, "apply"), capture_output=True, text=True)
        assert applied.returncode == 0, applied.stderr
        deadline = time.monotonic() + 10  # cache_ttl_seconds is 1 in the test repo
        status = 404
        while status == 404 and time.monotonic() < deadline:
            time.sleep(0.2)
            status = httpx.get(server.url + "/feature-views/driver_trips_only").status_code
        assert status == 200
        r = httpx.post(
            server.url + "/get-online-features",
            json={"features": ["driver_trips_only:avg_daily_trips"], "entities": {"driver_id": [1001]}},
        )
        assert r.status_code == 200 and r.json()["results"][1]["statuses"] == ["NOT_FOUND"]


def test_sigterm_drains_the_in_flight_request_then_exits_0(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with serve(repo) as server:
        answers: list[httpx.Response] = []
        body = {"feature_service": "slow_v1", "entities": {"driver_id": [1001], "delay_ms": [1500]}}

        def slow_request() -> None:
            answers.append(httpx.post(server.url + "/get-online-features", json=body, timeout=30))

        worker = threading.Thread(target=slow_request)
        started = time.monotonic()
        worker.start()
        time.sleep(0.5)  # the request is inside the slow on-demand view now
        server.process.send_signal(signal.SIGTERM)
        worker.join(timeout=30)
        assert server.process.wait(timeout=30) == 0
        assert answers and answers[0].status_code == 200, answers
        assert answers[0].json()["results"][1]["values"][0] is not None
        assert time.monotonic() - started >= 1.5
        with pytest.raises(httpx.TransportError):
            httpx.get(server.url + "/health", timeout=1)


def test_online_store_down_is_503_and_not_ready(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    broken = repo / "broken.yaml"
    (repo / "not_a_file.db").mkdir()
    broken.write_text((repo / "feature_store.yaml").read_text().replace("data/online_store.db", "not_a_file.db"))
    with serve(repo, yaml_file=broken) as server:
        r = httpx.post(
            server.url + "/get-online-features",
            json={"features": ["driver_hourly_stats:conv_rate"], "entities": {"driver_id": [1001]}},
        )
        assert r.status_code == 503, r.text
        assert r.json()["error"]["type"] in ("BackendUnavailableError", "BackendError")
        ready = httpx.get(server.url + "/ready")
        assert ready.status_code == 503
        assert ready.json()["error"]["detail"]["registry"] == "ok"
        assert ready.json()["error"]["detail"]["online_store"] != "ok"
        assert httpx.get(server.url + "/health").status_code == 200


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_tls_and_two_workers(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    cert, key = _self_signed(tmp_path)
    args = ("--tls-cert", str(cert), "--tls-key", str(key), "--workers", "2")
    with serve(repo, *args, scheme="https") as server:
        context = ssl.create_default_context(cafile=str(cert))
        for _ in range(6):  # a new connection each time, so both workers answer some
            with httpx.Client(verify=context, timeout=10) as client:
                r = client.post(
                    server.url + "/get-online-features",
                    json={"features": ["driver_hourly_stats:conv_rate"], "entities": {"driver_id": [1001]}},
                )
                assert r.status_code == 200 and r.json()["results"][1]["statuses"] == ["PRESENT"]
        for _ in range(4):  # whichever worker a scrape reaches, it counts every worker's requests
            with httpx.Client(verify=context, timeout=10) as client:
                text = client.get(server.url + "/metrics").text
            counted = sum(
                s.value
                for f in text_string_to_metric_families(text)
                for s in f.samples
                if s.name == "featurevault_requests_total" and s.labels["route"] == "/get-online-features"
            )
            assert counted == 6
            assert "featurevault_registry_age_seconds" in text
        with pytest.raises(httpx.TransportError):
            httpx.get(server.url.replace("https", "http") + "/health", timeout=2)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0


def test_serve_refuses_half_a_tls_pair(tmp_path: Path) -> None:
    out = subprocess.run(cli_command(tmp_path, "serve", "--tls-cert", str(tmp_path)), capture_output=True, text=True)
    assert out.returncode == 1 and "Error:" in out.stderr and "Traceback" not in out.stderr
