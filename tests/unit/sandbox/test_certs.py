"""The sandbox CA: made once per state directory, serving certificate for 127.0.0.1 and localhost."""

from __future__ import annotations

import base64
import ipaddress
import stat
from pathlib import Path

from cryptography import x509

from eksaccess.sandbox.certs import ca_data, ensure_certificates, foreign_ca_data


def test_ca_is_made_once(tmp_path: Path) -> None:
    first = ensure_certificates(tmp_path)
    ca = first.ca_cert.read_bytes()
    server = first.server_cert.read_bytes()
    second = ensure_certificates(tmp_path)
    assert second.ca_cert.read_bytes() == ca and second.server_cert.read_bytes() == server
    assert stat.S_IMODE(first.ca_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.server_key.stat().st_mode) == 0o600


def test_server_certificate_names_loopback(tmp_path: Path) -> None:
    paths = ensure_certificates(tmp_path)
    cert = x509.load_pem_x509_certificate(paths.server_cert.read_bytes())
    ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in san.get_values_for_type(x509.IPAddress)
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)


def test_ca_data_is_base64_pem_and_foreign_ca_differs(tmp_path: Path) -> None:
    paths = ensure_certificates(tmp_path)
    assert base64.b64decode(ca_data(paths)).startswith(b"-----BEGIN CERTIFICATE-----")
    foreign = foreign_ca_data()
    assert foreign != ca_data(paths)
    assert base64.b64decode(foreign).startswith(b"-----BEGIN CERTIFICATE-----")
