"""What every namespace gets from the controllers, as on Kubernetes: a `default` ServiceAccount and the cluster CA."""
from conftest import Server, wait_for


def test_a_new_namespace_gets_a_default_service_account_and_the_root_ca(server: Server, namespace):
    wait_for(lambda: server.kubectl("get", "serviceaccount", "default", "-n", namespace, check=False).returncode == 0,
             "the default ServiceAccount")
    row = server.kubectl("get", "serviceaccounts", "-n", namespace).stdout.splitlines()
    assert row[0].split() == ["NAME", "SECRETS", "AGE"] and row[1].split()[:2] == ["default", "0"]
    wait_for(lambda: server.kubectl("get", "configmap", "kube-root-ca.crt", "-n", namespace, check=False).returncode == 0,
             "the kube-root-ca.crt ConfigMap")
    published = server.kubectl_json("get", "configmap", "kube-root-ca.crt", "-n", namespace)["data"]["ca.crt"]
    assert published == (server.data_dir / "tls" / "ca.crt").read_text()


def test_the_default_service_account_and_root_ca_come_back_when_deleted(server: Server, namespace):
    wait_for(lambda: server.kubectl("get", "serviceaccount", "default", "-n", namespace, check=False).returncode == 0,
             "the default ServiceAccount")
    uid = server.kubectl_json("get", "serviceaccount", "default", "-n", namespace)["metadata"]["uid"]
    server.kubectl("delete", "serviceaccount", "default", "-n", namespace)
    wait_for(lambda: server.kubectl("get", "serviceaccount", "default", "-n", namespace, "-o", "jsonpath={.metadata.uid}",
                                    check=False).stdout not in ("", uid), "a new default ServiceAccount")
    server.kubectl("patch", "configmap", "kube-root-ca.crt", "-n", namespace, "--type=merge", "-p", '{"data":{"ca.crt":"tampered"}}')
    wait_for(lambda: server.kubectl_json("get", "configmap", "kube-root-ca.crt", "-n", namespace)["data"]["ca.crt"] != "tampered",
             "the CA restored")
