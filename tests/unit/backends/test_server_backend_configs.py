"""Config sections of the Redis and PostgreSQL backends: parsed without touching a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from featurevault._backends.online.postgres import table_name
from featurevault._backends.online.redis import parse_connection_string
from featurevault._backends.registry.postgres import parse_url
from featurevault._config import parse_config
from featurevault.errors import ConfigError, RegistryError


def test_redis_connection_string_in_feasts_format() -> None:
    parsed = parse_connection_string("redis.internal:6380,password=s3cr=t,ssl=true,db=2")
    assert parsed.nodes == (("redis.internal", 6380),)
    assert parsed.password == "s3cr=t" and parsed.ssl and parsed.db == 2
    cluster = parse_connection_string("a:7000, b:7001,[::1]:7002")
    assert cluster.nodes == (("a", 7000), ("b", 7001), ("::1", 7002))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("localhost", "not host:port"),
        ("localhost:6379,colour=blue", "unknown option 'colour'"),
        ("localhost:6379,ssl=yes", "ssl='yes'"),
        ("localhost:6379,db=x", "db='x'"),
        ("password=x", "no host:port"),
    ],
)
def test_bad_redis_connection_strings_are_named(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_connection_string(text)


def test_bad_online_sections_fail_at_config_load() -> None:
    base = {"project": "p", "online_store": {"type": "redis", "connection_string": "h:1,colour=blue"}}
    with pytest.raises(ConfigError, match="online_store.connection_string"):
        parse_config(base, source="feature_store.yaml", repo_path=Path("."))
    typo = {"project": "p", "online_store": {"type": "postgres", "hots": "x"}}
    with pytest.raises(ConfigError, match="unknown key 'online_store.hots'"):
        parse_config(typo, source="feature_store.yaml", repo_path=Path("."))


def test_postgres_table_names_fit_in_63_bytes() -> None:
    assert table_name("proj", "driver_stats") == "proj__driver_stats"
    long = table_name("p" * 100, "v" * 200)
    assert len(long.encode()) <= 63
    assert long != table_name("p" * 100, "v" * 199)  # shortened names stay distinct


def test_registry_url_forms() -> None:
    uri, schema, timeout = parse_url("postgresql+psycopg://me@db:5432/features?schema=reg&sslmode=require")
    assert uri.startswith("postgresql://me@db:5432/features?") and "sslmode=require" in uri
    assert schema == "reg" and timeout == 2
    assert parse_url("postgresql://me@db/features?connect_timeout=5")[1:] == ("featurevault", 5)
    with pytest.raises(RegistryError, match="registry.path"):
        parse_url("mysql://me@db/features")
