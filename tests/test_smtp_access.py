"""Who may send through the gateway, and the limits it enforces at the door."""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import RunningGateway, Sink, make_message

AGENT = "agent@support.test"
CUSTOMER = "customer@example.test"
# A network that excludes 127.0.0.1: the test client is then untrusted.
ELSEWHERE = ["192.0.2.0/24"]


@pytest.fixture(scope="module")
def cert_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate and key for tact.test."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tact.test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("tact.test")]), critical=False)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_gateway(sink: Sink, start_gateway: Callable[..., RunningGateway],
                cert_files: tuple[str, str]) -> RunningGateway:
    """An untrusted client's view: TLS and one user, sam / s3cret."""
    cert, key = cert_files
    return start_gateway(f"smtp://127.0.0.1:{sink.port}", trusted_networks=ELSEWHERE,
                         tls_cert=cert, tls_key=key,
                         users={"sam": PasswordHasher(time_cost=1, memory_cost=8192).hash("s3cret")})


def client_tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def test_an_untrusted_client_is_refused_at_mail_and_rcpt(
        sink: Sink, start_gateway: Callable[..., RunningGateway]) -> None:
    g = start_gateway(f"smtp://127.0.0.1:{sink.port}", trusted_networks=ELSEWHERE)
    with smtplib.SMTP("127.0.0.1", g.port, timeout=10) as client:
        client.ehlo()
        code, _ = client.mail(AGENT)
        assert code == 530
        code, _ = client.rcpt(CUSTOMER)
        assert code >= 500
        with pytest.raises(smtplib.SMTPSenderRefused):
            client.sendmail(AGENT, [CUSTOMER], make_message())
    assert sink.messages == []


def test_oversize_is_refused_with_552(sink: Sink,
                                      start_gateway: Callable[..., RunningGateway]) -> None:
    g = start_gateway(f"smtp://127.0.0.1:{sink.port}", max_message_size=2000)
    big = make_message("x" * 70 + "\n" + ("y" * 70 + "\n") * 60)
    with smtplib.SMTP("127.0.0.1", g.port, timeout=10) as client:
        client.ehlo()
        # Announced with SIZE: refused at MAIL; not announced: refused after DATA.
        with pytest.raises(smtplib.SMTPSenderRefused) as at_mail:
            client.sendmail(AGENT, [CUSTOMER], big)
        assert at_mail.value.smtp_code == 552
        client.rset()
        client.esmtp_features.pop("size", None)
        with pytest.raises(smtplib.SMTPDataError) as at_data:
            client.sendmail(AGENT, [CUSTOMER], big)
        assert at_data.value.smtp_code == 552
    assert sink.messages == []


def test_auth_is_not_offered_or_accepted_without_tls(tls_gateway: RunningGateway) -> None:
    with smtplib.SMTP("127.0.0.1", tls_gateway.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")
        code, _ = client.docmd("AUTH", "PLAIN AHNhbQBzM2NyZXQ=")  # \0sam\0s3cret
        assert code == 538


def test_auth_after_starttls_lets_an_untrusted_client_send(tls_gateway: RunningGateway,
                                                           sink: Sink) -> None:
    data = make_message()
    with smtplib.SMTP("127.0.0.1", tls_gateway.port, timeout=10) as client:
        client.starttls(context=client_tls())
        client.ehlo()
        assert client.has_extn("auth")
        client.login("sam", "s3cret")
        client.sendmail(AGENT, [CUSTOMER], data)
    assert sink.wait_for(lambda m: True).data == data


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("user,password", [("sam", "wrong"), ("nobody", "s3cret")])
def test_wrong_credentials_answer_535(tls_gateway: RunningGateway, mechanism: str,
                                      user: str, password: str) -> None:
    with smtplib.SMTP("127.0.0.1", tls_gateway.port, timeout=10) as client:
        client.starttls(context=client_tls())
        client.ehlo()
        client.user, client.password = user, password
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            client.auth(mechanism, getattr(client, f"auth_{mechanism.lower()}"))
        assert info.value.smtp_code == 535
        # Still refused afterwards: the failed AUTH did not authorize anything.
        code, _ = client.mail(AGENT)
        assert code == 530


def test_an_unreadable_certificate_is_a_startup_error(
        sink: Sink, start_gateway: Callable[..., RunningGateway], tmp_path: Path) -> None:
    from gateway.server import StartupError

    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(StartupError, match="TLS certificate"):
        start_gateway(f"smtp://127.0.0.1:{sink.port}", tls_cert=str(bad), tls_key=str(bad))


def test_a_port_in_use_is_a_startup_error(
        gateway: RunningGateway, start_gateway: Callable[..., RunningGateway]) -> None:
    from gateway.server import StartupError

    with pytest.raises(StartupError, match="cannot listen"):
        start_gateway(gateway.settings.gateway.upstream, listen=gateway.settings.gateway.listen)
