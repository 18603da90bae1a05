"""Secrets encrypted at rest: nothing of a Secret's value reaches the database file, through writes, key rotation and
re-encryption, while kubectl reads them as always; a user's EncryptionConfiguration is honoured."""
import base64
import subprocess
import uuid

from conftest import skiff_binary


def secrets_encrypt(server, *args, check=True):
    result = subprocess.run([skiff_binary(), "secrets-encrypt", *args, "--data-dir", str(server.data_dir)],
                            capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"skiff secrets-encrypt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def database_bytes(server):
    """Everything SQLite wrote: the database, its write-ahead log and shared memory."""
    return b"".join(path.read_bytes() for path in (server.data_dir / "db").iterdir() if path.is_file())


def leaked(server, *values):
    stored = database_bytes(server)
    forms = [form for value in values for form in (value.encode(), base64.b64encode(value.encode()))]
    return [form for form in forms if form in stored]


def secret_value(server, name, key):
    return base64.b64decode(server.kubectl_json("get", "secret", name)["data"][key]).decode()


def test_no_secret_value_reaches_the_database_through_writes_rotation_and_restart(fresh_server):
    server = fresh_server()
    first, second, applied = (f"value-{uuid.uuid4().hex}" for _ in range(3))
    server.kubectl("create", "secret", "generic", "db", f"--from-literal=password={first}")
    server.kubectl("patch", "secret", "db", "-p", f'{{"stringData": {{"password": "{second}"}}}}')
    # kubectl apply also copies the whole Secret into an annotation.
    server.kubectl("apply", "-f", "-", input=f"""
apiVersion: v1
kind: Secret
metadata: {{name: applied}}
stringData: {{token: {applied}}}
""")
    assert secret_value(server, "db", "password") == second
    assert leaked(server, first, second, applied) == []

    status = secrets_encrypt(server, "status").stdout
    assert "Encryption Status: Enabled" in status
    assert "Active Key Type: AES-GCM" in status
    old_key = next(line.split()[2] for line in status.splitlines() if line.startswith(" *"))

    rotated = secrets_encrypt(server, "rotate").stdout
    assert "is active" in rotated
    status = secrets_encrypt(server, "status").stdout
    assert "0 with the active key" in status, status
    assert old_key in status

    reencrypted = secrets_encrypt(server, "reencrypt").stdout
    assert "rewritten" in reencrypted
    status = secrets_encrypt(server, "status").stdout
    assert "with older keys" in status and ", 0 with older keys, 0 in plain text" in status, status
    assert old_key not in status, "the old key is dropped once nothing uses it"
    assert secret_value(server, "db", "password") == second
    assert leaked(server, first, second, applied) == []

    assert server.stop() == 0
    server.start()
    assert secret_value(server, "db", "password") == second
    assert secret_value(server, "applied", "token") == applied
    assert (server.data_dir / "server" / "encryption-config.yaml").stat().st_mode & 0o777 == 0o600


def test_a_users_encryption_configuration_is_used_as_it_is(fresh_server, tmp_path):
    key = base64.b64encode(bytes(range(32))).decode()
    config = tmp_path / "encryption.yaml"
    config.write_text(f"""
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets, configmaps]
    providers:
      - aescbc:
          keys:
            - name: mine
              secret: {key}
      - identity: {{}}
""")
    server = fresh_server("--encryption-provider-config", str(config))
    value = f"setting-{uuid.uuid4().hex}"
    server.kubectl("create", "configmap", "settings", f"--from-literal=value={value}")
    assert server.kubectl_json("get", "configmap", "settings")["data"]["value"] == value
    assert leaked(server, value) == []
    assert "AES-CBC" in secrets_encrypt(server, "status").stdout

    refused = secrets_encrypt(server, "rotate", check=False)
    assert refused.returncode != 0
    assert "--encryption-provider-config" in refused.stderr


def test_a_bad_encryption_configuration_stops_the_server_with_the_reason(tmp_path):
    config = tmp_path / "encryption.yaml"
    config.write_text("""
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aesgcm:
          keys:
            - name: short
              secret: c2hvcnQ=
""")
    result = subprocess.run(
        [skiff_binary(), "server", "--data-dir", str(tmp_path / "data"), "--https-listen-port", "0", "--disable-agent",
         "--encryption-provider-config", str(config)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "secret is not of the expected length, got 5, expected one of [16 24 32]" in result.stderr
