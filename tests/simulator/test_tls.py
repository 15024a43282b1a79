"""TLS: a demo CA clients verify against, a loopback certificate, both kept across restarts."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from tests.helpers import DEMO_ROOT, get
from tokenui.simulator import Simulator


def verified_by(ca_path: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_path))


def test_https_verifies_against_the_simulators_ca(tls_simulator: Simulator) -> None:
    assert tls_simulator.url.startswith("https://127.0.0.1:")
    assert tls_simulator.ca_path is not None
    response = get(
        f"{tls_simulator.url}/json-api/listaccts?api.version=1",
        auth=DEMO_ROOT,
        verify=verified_by(tls_simulator.ca_path),
    )
    assert response.json()["metadata"]["result"] == 1


def test_https_fails_without_the_ca(tls_simulator: Simulator) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        get(f"{tls_simulator.url}/json-api/myprivs?api.version=1", auth=DEMO_ROOT)


def test_https_name_localhost_verifies_too(tls_simulator: Simulator) -> None:
    assert tls_simulator.ca_path is not None
    url = tls_simulator.url.replace("127.0.0.1", "localhost")
    response = get(
        f"{url}/json-api/myprivs?api.version=1",
        auth=DEMO_ROOT,
        verify=verified_by(tls_simulator.ca_path),
    )
    assert response.status_code == 200


def test_plain_http_has_no_ca(simulator: Simulator) -> None:
    assert simulator.url.startswith("http://")
    assert simulator.ca_path is None


def test_certificates_are_a_ca_and_a_loopback_server_certificate(
    tls_simulator: Simulator,
) -> None:
    state = tls_simulator.state_dir
    ca = x509.load_pem_x509_certificate((state / "ca.pem").read_bytes())
    server = x509.load_pem_x509_certificate((state / "server.pem").read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    server.verify_directly_issued_by(ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(names.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    lifetime = server.not_valid_after_utc - server.not_valid_before_utc
    assert dt.timedelta(days=360) < lifetime < dt.timedelta(days=370)


def test_private_key_is_readable_by_its_owner_only(tls_simulator: Simulator) -> None:
    assert (tls_simulator.state_dir / "server-key.pem").stat().st_mode & 0o777 == 0o600


def test_certificates_are_reused_across_restarts(tmp_path: Path) -> None:
    Simulator(tmp_path, tls=True).close()
    first = (tmp_path / "ca.pem").read_bytes()
    Simulator(tmp_path, tls=True).close()
    assert (tmp_path / "ca.pem").read_bytes() == first


@pytest.mark.parametrize("broken", ["ca.pem", "server.pem", "server-key.pem"])
def test_unusable_certificates_are_made_anew(tmp_path: Path, broken: str) -> None:
    Simulator(tmp_path, tls=True).close()
    first = (tmp_path / "ca.pem").read_bytes()
    (tmp_path / broken).write_text("not a PEM file")
    with Simulator(tmp_path, tls=True) as simulator:
        assert (tmp_path / "ca.pem").read_bytes() != first
        assert simulator.ca_path is not None
        response = get(
            f"{simulator.url}/json-api/myprivs?api.version=1",
            auth=DEMO_ROOT,
            verify=verified_by(simulator.ca_path),
        )
        assert response.status_code == 200
