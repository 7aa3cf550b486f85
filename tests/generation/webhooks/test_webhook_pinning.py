"""DNS rebinding: a delivery resolves the host once and connects to that address, checks it
again on every attempt, and TLS still verifies the hostname (SNI, Host) on the pinned IP."""

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core import outbound
from generation.models import WebhookDelivery
from generation.webhooks import delivery as webhooks
from tests.factories import api_client_for
from tests.generation.webhooks.webhook_servers import FakeDNS, Server, reply

pytestmark = pytest.mark.django_db

NAME = "hooks.rebind.test"


def test_rebinding_name_is_pinned_within_an_attempt_and_rechecked_on_the_next(
    tenant, settings, monkeypatch
):
    # 127.0.0.1 stands for the attacker's public address (the operator allowlist lets the test
    # reach it); 127.0.0.2 for the internal service the name later points at.
    settings.AVATARSAAS_WEBHOOK_ALLOWED_CIDRS = ["127.0.0.1/32"]
    settings.DEBUG = True  # the default configuration
    public = Server(reply(500))  # fails, so there is a next attempt
    internal = Server(reply(200), host="127.0.0.2", port=public.port)  # same URL, other IP
    dns = FakeDNS(monkeypatch)
    try:
        dns.answers[NAME] = ["127.0.0.1"]
        client = api_client_for(tenant)
        url = f"http://{NAME}:{public.port}/hook"
        created = client.post("/api/v1/webhooks/", {"url": url}, format="json")
        assert created.status_code == 201, created.content
        (delivery,) = webhooks.emit_event(tenant=tenant, event_type="job.failed", data={})

        # Attempt 1: the first answer is allowed, every later one is internal. A check that
        # resolved, then let the HTTP client resolve again, would connect to the second.
        dns.calls.clear()
        dns.answers[NAME] = lambda n: ["127.0.0.1"] if n == 1 else ["127.0.0.2"]
        assert webhooks.deliver(delivery.pk) == "failed"
        assert dns.calls[NAME] == 1
        assert public.hits == 1 and internal.hits == 0
        first_error = WebhookDelivery.objects.get(pk=delivery.pk).error

        # Attempt 2 (a redelivery): the name now answers with the internal address.
        redeliver = client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")
        assert redeliver.status_code == 202
        result = webhooks.deliver(delivery.pk)
        assert internal.hits == 0 and public.hits == 1
        assert result == "failed"
        delivery.refresh_from_db()
        assert first_error == "HTTP 500"
        assert delivery.error == "blocked address" and delivery.response_code is None
    finally:
        public.close()
        internal.close()


def _cert(name: str, issuer_key, issuer_name, key, *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tls_receiver(tmp_path):
    """An https receiver on 127.0.0.1 with a certificate for hooks.pinned.test only, signed
    by a throwaway CA; it records the SNI name and Host header it was sent."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = _cert("test CA", ca_key, ca_name, ca_key, ca=True)
    leaf = _cert("hooks.pinned.test", ca_key, ca_name, key, ca=False)
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    seen = {"sni": [], "host": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            seen["host"].append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "key.pem")
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    client_context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    yield server.server_address[1], client_context, seen
    server.shutdown()
    server.server_close()


def test_tls_on_the_pinned_ip_verifies_the_hostname(tls_receiver, monkeypatch):
    port, client_context, seen = tls_receiver
    dns = FakeDNS(monkeypatch)
    dns.answers.update({"hooks.pinned.test": ["127.0.0.1"], "other.pinned.test": ["127.0.0.1"]})
    policy = outbound.OutboundPolicy(
        allowed_networks=outbound.parse_networks(["127.0.0.1/32"]), tls_context=client_context
    )

    good = outbound.post(
        f"https://hooks.pinned.test:{port}/hook", body=b"{}", headers={}, policy=policy
    )
    assert good == outbound.Outcome(204, "")
    assert seen["sni"] == ["hooks.pinned.test"]
    assert seen["host"] == [f"hooks.pinned.test:{port}"]
    assert dns.calls == {"hooks.pinned.test": 1}

    # Same IP, another name: the certificate does not cover it, so the pinned connection fails.
    wrong = outbound.post(
        f"https://other.pinned.test:{port}/hook", body=b"{}", headers={}, policy=policy
    )
    assert wrong == outbound.Outcome(None, "TLS error")
