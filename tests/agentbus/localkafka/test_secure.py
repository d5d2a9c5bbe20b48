"""The secure mode's parts without a broker: rendering, SCRAM, options, TLS files, formatting."""

from __future__ import annotations

import base64
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agentbus.localkafka import LocalKafka, LocalKafkaError, SecurityOptions, SecuritySetupError
from agentbus.localkafka.config import (
    CONTROLLER_USER,
    BrokerSecurity,
    Listener,
    render_server_properties,
)
from agentbus.localkafka.scram import ScramClient, ScramCredential
from agentbus.localkafka.security import prepare_security
from agentbus.localkafka.storage import DataDir, format_storage
from agentbus.localkafka.tls import TlsFiles, ensure_tls, find_keytool
from agentbus.localkafka.toolchain import find_java


def parse(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if not line.startswith("#"))
    return dict(pairs)


def secure_properties(*, authorizer: bool = True, super_password: str = "s3cret") -> str:  # noqa: S107 - a fake secret to render
    return render_server_properties(
        log_dir=Path("/data/storage"),
        broker=[Listener("SASL_SSL", 9092, protocol="SASL_SSL")],
        controller=Listener("CONTROLLER", 9093, protocol="SASL_PLAINTEXT"),
        security=BrokerSecurity(
            keystore=Path("/data/tls/broker.p12"),
            keystore_password="store-pw",  # noqa: S106 - a fake secret to render
            truststore=Path("/data/tls/ca.pem"),
            super_user="admin",
            super_password=super_password,
            controller_password="ctl-pw",  # noqa: S106 - a fake secret to render
            authorizer=authorizer,
        ),
    )


@pytest.fixture(scope="module")
def keytool() -> str:
    return find_keytool(find_java())


@pytest.fixture(scope="module")
def tls_template(tmp_path_factory: pytest.TempPathFactory, keytool: str) -> TlsFiles:
    """TLS files made once per module; tests copy them to skip keytool's JVM starts."""
    return ensure_tls(keytool, tmp_path_factory.mktemp("tls-template") / "tls", "127.0.0.1")


def test_a_secure_broker_serves_scram_over_tls_and_enforces_acls() -> None:
    """Clients get SASL_SSL with SCRAM-SHA-512, the controller PLAIN, and ACLs deny by default."""
    settings = parse(secure_properties())

    assert settings["listeners"] == "SASL_SSL://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert settings["listener.security.protocol.map"] == (
        "SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT"
    )
    assert settings["inter.broker.listener.name"] == "SASL_SSL"
    assert settings["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert settings["sasl.mechanism.controller.protocol"] == "PLAIN"
    assert settings["ssl.keystore.location"] == "/data/tls/broker.p12"
    assert settings["ssl.truststore.type"] == "PEM"
    assert settings["authorizer.class.name"] == (
        "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    )
    assert settings["allow.everyone.if.no.acl.found"] == "false"
    assert settings["super.users"] == f"User:admin;User:{CONTROLLER_USER}"


def test_without_the_authorizer_no_acl_settings_are_written() -> None:
    """acls=False leaves out the authorizer, so authenticated users may do anything."""
    settings = parse(secure_properties(authorizer=False))

    assert "authorizer.class.name" not in settings
    assert "super.users" not in settings
    assert settings["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"


def test_jaas_values_are_quoted_so_any_printable_password_survives() -> None:
    """Quotes and backslashes in the super user's password are escaped for Kafka's JAAS parser."""
    text = secure_properties(super_password='a"b\\c d')  # noqa: S106 - a fake secret

    jaas = next(line for line in text.splitlines() if "scram-sha-512.sasl.jaas.config" in line)

    # Properties escaping doubles the JAAS escapes' backslashes: a\"b\\c d on Java's side.
    assert jaas.endswith('password="a\\\\"b\\\\\\\\c d";')


def test_broker_security_hides_its_secrets_from_repr() -> None:
    """Printing the security facts (e.g. in a traceback) shows no password."""
    security = BrokerSecurity(Path("k"), "store-pw", Path("t"), "admin", "super-pw", "ctl-pw")

    assert not any(secret in repr(security) for secret in ("store-pw", "super-pw", "ctl-pw"))


def test_scram_client_matches_the_rfc_7677_example() -> None:
    """The SCRAM client computes the proof and checks the signature of RFC 7677's exchange."""
    client = ScramClient("user", "pencil", hash_name="sha256", nonce="rOprNGfwEbeRWgbNEkqO")
    server_first = (
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    )

    first = client.first_message()
    final = client.final_message(server_first)
    client.verify_server_final(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")

    assert first == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    assert final == (
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )


def test_the_storage_tool_gets_a_salted_password_never_the_password() -> None:
    """The --add-scram value carries salt and salted password; the password is not in it."""
    credential = ScramCredential.derive("hunter2-password", salt=b"0123456789abcdef")

    argument = credential.storage_argument("data")

    assert argument.startswith("SCRAM-SHA-512=[name=data,salt=MDEyMzQ1Njc4OWFiY2RlZg==,")
    assert argument.endswith(",iterations=4096]")
    assert "hunter2" not in argument
    assert "hunter2" not in repr(credential)


@pytest.mark.parametrize(
    ("users", "super_user", "message"),
    [
        ({"admin": "x", "bad,name": "y"}, "admin", "not usable"),
        ({"admin": ""}, "admin", "empty or unprintable"),
        ({"admin": "line\nbreak"}, "admin", "empty or unprintable"),
        ({"data": "x"}, "admin", "super_user='admin' is not among the users"),
    ],
)
def test_unusable_security_options_are_refused(
    users: dict[str, str], super_user: str, message: str
) -> None:
    """Names Kafka's parser would split, empty passwords and a missing super user are refused."""
    with pytest.raises(ValueError, match=message):
        SecurityOptions(users, super_user)


def test_random_passwords_give_every_user_and_the_super_user_a_distinct_secret() -> None:
    """random_passwords adds the super user and hides the passwords from repr."""
    options = SecurityOptions.random_passwords("data", "cs")

    assert sorted(options.users) == ["admin", "cs", "data"]
    assert len(set(options.users.values())) == 3
    assert not any(password in repr(options) for password in options.users.values())


def test_a_plaintext_broker_has_no_ca_file_and_no_users(tmp_path: Path) -> None:
    """Asking a plaintext broker for client security is an error saying how to get it."""
    kafka = LocalKafka(tmp_path)

    with pytest.raises(LocalKafkaError, match="plaintext; pass security="):
        kafka.client_security("admin")
    assert kafka.users == {}


def test_tls_files_are_made_once_and_secrets_are_private(
    tls_template: TlsFiles, keytool: str
) -> None:
    """The CA certificate loads as a trust anchor; keys and password are mode 600, made once."""
    before = tls_template.keystore.stat().st_mtime_ns

    again = ensure_tls(keytool, tls_template.directory, "127.0.0.1")
    context = ssl.create_default_context(cafile=str(again.ca_certificate))

    assert again.keystore.stat().st_mtime_ns == before
    assert len(context.get_ca_certs()) == 1
    assert tls_template.directory.stat().st_mode & 0o777 == 0o700
    for secret in (again.keystore, again.password_file, again.directory / "ca.p12"):
        assert secret.stat().st_mode & 0o777 == 0o600


def test_the_broker_certificate_names_loopback_and_the_broker_host(
    tls_template: TlsFiles,
) -> None:
    """Clients keep hostname checks on for localhost, 127.0.0.1 and ::1."""
    listing = subprocess.run(
        [
            find_keytool(find_java()),
            "-list",
            "-v",
            "-alias",
            "broker",
            "-keystore",
            str(tls_template.keystore),
            "-storepass:file",
            str(tls_template.password_file),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert "DNSName: localhost" in listing
    assert "IPAddress: 127.0.0.1" in listing
    assert "CN=agentbus local CA" in listing


def test_a_restart_with_other_scram_users_is_refused(
    tmp_path: Path, tls_template: TlsFiles
) -> None:
    """Users exist only from formatting on; other users or passwords later fail, naming them."""
    data = DataDir(tmp_path)
    shutil.copytree(tls_template.directory, tmp_path / "tls")
    first = SecurityOptions({"admin": "a", "data": "d"})
    prepare_security(first, data, java=find_java(), host="127.0.0.1")
    data.storage.mkdir()
    (data.storage / "meta.properties").write_text("formatted\n")

    prepare_security(first, data, java=find_java(), host="127.0.0.1")
    with pytest.raises(SecuritySetupError) as caught:
        prepare_security(
            SecurityOptions({"admin": "n3w-secret", "cs": "c"}),
            data,
            java=find_java(),
            host="127.0.0.1",
        )

    message = str(caught.value)
    assert "not created: cs" in message
    assert "no longer given: data" in message
    assert "with another password: admin" in message
    assert "n3w-secret" not in message


def test_scram_users_reach_the_storage_tool_through_a_private_argument_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JVM command line names only @file; the file is mode 600 and gone afterwards."""
    data = DataDir(tmp_path)
    data.server_properties.write_text("node.id=1\n")
    seen: dict[str, Any] = {}

    def fake_run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        argfile = Path(command[-1].removeprefix("@"))
        seen.update(command=command, text=argfile.read_text(), mode=argfile.stat().st_mode)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    secret = ScramCredential.derive("pw", salt=b"salt").storage_argument("data")

    format_storage("java", tmp_path, data, scram=[secret])

    assert not any("SCRAM" in part for part in seen["command"])
    assert seen["command"][-1].startswith("@")
    assert f'"--add-scram"\n"{secret}"' in seen["text"]
    assert '"kafka.tools.StorageTool"' in seen["text"]
    assert seen["mode"] & 0o777 == 0o600
    assert not (tmp_path / "format.args").exists()
    assert base64.b64decode(secret.split("salt=")[1].split(",")[0]) == b"salt"
