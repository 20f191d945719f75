"""The Kafka security settings become FastStream's `security=` and aiokafka's keyword arguments
(vigie.platform.kafka); combinations that cannot work are refused, naming the variable."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import certifi
import pytest
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import ValidationError

from vigie.platform.kafka import broker_security, client_security
from vigie.platform.settings import VigieSettings

SECURITY_VARIABLES = (
    "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD", "KAFKA_SSL_CAFILE", "KAFKA_SSL_CERTFILE", "KAFKA_SSL_KEYFILE",
)  # fmt: skip
SASL = {"KAFKA_SASL_USERNAME": "vigie", "KAFKA_SASL_PASSWORD": "s3cret"}


@pytest.fixture(autouse=True)
def no_kafka_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: not the developer's own Kafka variables."""
    for name in SECURITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> VigieSettings:
    """Settings read from exactly these variables, as a process would."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return VigieSettings()


def comparable(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments with the TLS context replaced by whether there is one."""
    return {k: (v is not None if k == "ssl_context" else v) for k, v in kwargs.items()}


def test_plaintext_keeps_every_client_default(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = settings(monkeypatch)
    assert plain.kafka_security_protocol == "PLAINTEXT"
    assert broker_security(plain) is None
    assert client_security(plain) == {}


def test_ssl_uses_the_system_cas_unless_a_ca_file_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tls = settings(monkeypatch, KAFKA_SECURITY_PROTOCOL="SSL")
    security = broker_security(tls)
    assert type(security) is BaseSecurity
    assert security.use_ssl
    assert isinstance(security.ssl_context, ssl.SSLContext)
    assert security.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert security.ssl_context.check_hostname
    kwargs = client_security(tls)
    assert comparable(kwargs) == {"security_protocol": "SSL", "ssl_context": True}
    with_ca = settings(monkeypatch, KAFKA_SSL_CAFILE=certifi.where())
    assert with_ca.kafka_ssl_cafile == Path(certifi.where())
    assert client_security(with_ca)["ssl_context"].cert_store_stats()["x509_ca"] > 0


@pytest.mark.parametrize(
    ("protocol", "mechanism", "expected_class", "expected_mechanism"),
    [
        ("SASL_PLAINTEXT", None, SASLPlaintext, "PLAIN"),
        ("SASL_PLAINTEXT", "SCRAM-SHA-256", SASLScram256, "SCRAM-SHA-256"),
        ("SASL_SSL", "PLAIN", SASLPlaintext, "PLAIN"),
        ("SASL_SSL", "SCRAM-SHA-256", SASLScram256, "SCRAM-SHA-256"),
        ("SASL_SSL", "SCRAM-SHA-512", SASLScram512, "SCRAM-SHA-512"),
    ],
)
def test_sasl_gives_the_mechanism_class_and_the_credentials(
    monkeypatch: pytest.MonkeyPatch,
    protocol: str,
    mechanism: str | None,
    expected_class: type[BaseSecurity],
    expected_mechanism: str,
) -> None:
    env = {"KAFKA_SECURITY_PROTOCOL": protocol, **SASL}
    if mechanism:
        env["KAFKA_SASL_MECHANISM"] = mechanism
    secured = settings(monkeypatch, **env)
    security = broker_security(secured)
    assert type(security) is expected_class
    assert isinstance(security, SASLPlaintext | SASLScram256 | SASLScram512)
    assert (security.username, security.password) == ("vigie", "s3cret")
    assert security.use_ssl is (protocol == "SASL_SSL")
    assert comparable(client_security(secured)) == {
        "security_protocol": protocol,
        "ssl_context": protocol == "SASL_SSL",
        "sasl_mechanism": expected_mechanism,
        "sasl_plain_username": "vigie",
        "sasl_plain_password": "s3cret",
    }


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"KAFKA_SECURITY_PROTOCOL": "SSL"},
        {"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", **SASL},
        {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", **SASL},
    ],
)
def test_bare_clients_and_faststream_brokers_connect_alike(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    secured = settings(monkeypatch, **env)
    assert comparable(client_security(secured)) == comparable(
        parse_security(broker_security(secured))
    )


@pytest.fixture(scope="module")
def client_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed client certificate and its key (openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not found")
    folder = tmp_path_factory.mktemp("mtls")
    cert, key = folder / "client.crt", folder / "client.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=vigie", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_mtls_loads_the_client_certificate(
    monkeypatch: pytest.MonkeyPatch, client_certificate: tuple[Path, Path]
) -> None:
    cert, key = client_certificate
    secured = settings(
        monkeypatch,
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SSL_CERTFILE=str(cert),
        KAFKA_SSL_KEYFILE=str(key),
        **SASL,
    )
    assert isinstance(client_security(secured)["ssl_context"], ssl.SSLContext)
    security = broker_security(secured)
    assert security is not None
    assert security.ssl_context is not None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "KAFKA_SASL_USERNAME"),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "v"},
         "KAFKA_SASL_PASSWORD"),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_PASSWORD": "p"},
         "KAFKA_SASL_USERNAME"),
        (SASL, "KAFKA_SASL_USERNAME"),  # credentials without a SASL protocol
        ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SASL_MECHANISM": "PLAIN"},
         "KAFKA_SASL_MECHANISM"),
        ({"KAFKA_SSL_CAFILE": certifi.where()}, "KAFKA_SSL_CAFILE"),  # TLS file, plain protocol
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SSL_CAFILE": certifi.where(), **SASL},
         "KAFKA_SSL_CAFILE"),
        ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_KEYFILE": certifi.where()},
         "KAFKA_SSL_CERTFILE"),
        ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CAFILE": "/nonexistent/ca.crt"},
         "KAFKA_SSL_CAFILE"),
        ({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL"),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "GSSAPI", **SASL},
         "KAFKA_SASL_MECHANISM"),
    ],
)  # fmt: skip
def test_bad_combinations_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        settings(monkeypatch, **env)
    assert named in str(caught.value)
    assert "s3cret" not in str(caught.value)  # the password is never echoed
