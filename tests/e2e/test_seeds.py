"""Every Kubernetes YAML block in the seed documents applies as a new object and reads back as sent."""
import json
import re
import subprocess

import pytest
import yaml

from conftest import SEEDS, Server


def seed_objects():
    objects = []
    assert sorted(SEEDS.glob("*.txt")), f"no seed documents in {SEEDS}"
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for block_index, block in enumerate(re.findall(r"```(?:yaml|yml)\s*\n(.*?)```", text, re.S)):
            try:
                documents = [document for document in yaml.safe_load_all(block) if document]
            except yaml.YAMLError:
                continue
            for document in documents:
                if isinstance(document, dict) and "apiVersion" in document and "kind" in document:
                    objects.append(pytest.param(document, id=f"{path.name[:3]}-{block_index}-{document['kind']}-{document['metadata']['name']}"))
    return objects


def contains(stored, sent, path=""):
    """Every field the seed sent is in the stored object with the same value (defaulting may add more)."""
    if isinstance(sent, dict):
        assert isinstance(stored, dict), f"{path}: expected an object, got {stored!r}"
        for key, value in sent.items():
            assert key in stored, f"{path}.{key} missing from the stored object"
            contains(stored[key], value, f"{path}.{key}")
    elif isinstance(sent, list):
        assert isinstance(stored, list) and len(stored) == len(sent), f"{path}: list differs: {stored!r} vs {sent!r}"
        for index, (left, right) in enumerate(zip(stored, sent)):
            contains(left, right, f"{path}[{index}]")
    else:
        assert stored == sent or str(stored) == str(sent), f"{path}: {stored!r} != {sent!r}"


# Seed blocks that Kubernetes itself rejects, with the error it gives. Both are authoring slips in the seeds:
# three objects in one block without `---` (kubectl keeps the last value of each repeated key, leaving a
# Deployment with ConfigMap/Secret fields), and a Deployment fragment without a selector or template labels.
REJECTED = {
    "000-2-Deployment-backend-deployment":
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "data", unknown field "type"',
    "004-10-Deployment-api":
        'The Deployment "api" is invalid: \n* spec.selector: Required value\n'
        '* spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`',
}

_namespaces = iter(range(10**6))


@pytest.mark.parametrize("document", seed_objects())
def test_seed_object_applies_and_reads_back(server: Server, document, request):
    case = request.node.callspec.id
    document = json.loads(json.dumps(document))
    kind = document["kind"]
    sent = json.loads(json.dumps(document))
    cluster_scoped = kind in ("Namespace",)
    args = []
    if cluster_scoped:
        document["metadata"]["name"] = f"seed-{document['metadata']['name']}"
        sent["metadata"]["name"] = document["metadata"]["name"]
    else:
        namespace = f"seed-{next(_namespaces)}"
        server.kubectl("create", "namespace", namespace, check=False)
        document["metadata"].pop("namespace", None)
        sent["metadata"].pop("namespace", None)
        args = ["-n", namespace]
    result = server.kubectl("apply", *args, "-f", "-", input=json.dumps(document), check=False)
    if case in REJECTED:
        assert result.returncode == 1
        assert REJECTED[case] in result.stderr
        return
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(" created"), result.stdout

    resource = kind.lower()
    if document["apiVersion"].count("/"):
        resource = f"{resource}.{document['apiVersion'].split('/')[1]}.{document['apiVersion'].split('/')[0]}"
    stored = server.kubectl_json("get", resource, document["metadata"]["name"], *args)
    if kind == "Secret" and "stringData" in sent:
        import base64
        string_data = sent.pop("stringData")
        assert {key: base64.b64decode(value).decode() for key, value in stored["data"].items() if key in string_data} == {
            key: str(value) for key, value in string_data.items()}
        sent.pop("data", None)
    contains(stored, sent)
