"""docker/: the compose file and Kubernetes manifests are valid, and say what the design needs
(GPU reservations, probes, one-shot migrations); the Grafana dashboard queries real metrics."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"


def _docker_compose_works() -> bool:
    if not shutil.which("docker"):
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    return probe.returncode == 0


def test_compose_file_is_valid():
    if _docker_compose_works():
        # Client-only: interpolates, merges anchors and validates without a Docker engine.
        # The secrets have no defaults in the file (compose refuses to start without them).
        env = {**os.environ, "SECRET_KEY": "x" * 50, "METRICS_TOKEN": "t" * 32}
        result = subprocess.run(
            ["docker", "compose", "-f", str(COMPOSE), "--profile", "s3", "config", "--quiet"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert result.returncode == 0, result.stderr
    else:
        # No compose plugin here: the official compose-spec JSON schema, vendored by
        # check-jsonschema, validates the same document structure.
        import jsonschema
        from check_jsonschema.builtin_schemas import get_builtin_schema

        schema = get_builtin_schema("vendor.compose-spec")
        jsonschema.validate(yaml.safe_load(COMPOSE.read_text()), schema)


def test_compose_describes_the_deployment():
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    assert {"postgres", "redis", "migrate", "web", "worker-cpu", "worker-gpu", "minio"} <= set(
        services
    )
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
    gpu = services["worker-gpu"]
    assert gpu["environment"]["Q_CLUSTER_NAME"] == "gpu"
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    assert gpu["build"]["dockerfile"] == "docker/Dockerfile.worker"
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["minio"]["profiles"] == ["s3"]
    for name in ("web", "worker-cpu", "worker-gpu", "migrate"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"]


def test_dockerfiles_follow_the_image_split():
    web = (DOCKER / "Dockerfile.web").read_text()
    worker = (DOCKER / "Dockerfile.worker").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim", web, re.M)
    assert "[ml]" not in web and "torch" not in web.lower().replace("no torch", "")
    assert "gunicorn" in web and "USER app" in web
    assert re.search(r"^FROM nvidia/cuda:[\w.-]+runtime", worker, re.M)
    assert '".[ml]"' in worker and "Q_CLUSTER_NAME=gpu" in worker and "qcluster" in worker
    compile((DOCKER / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec")


def _manifests():
    for path in sorted((DOCKER / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") != "Kustomization":
                yield path.name, doc


def test_manifests_are_valid_kubernetes():
    import kubernetes_validate

    version = kubernetes_validate.latest_version()
    validated = 0
    for name, doc in _manifests():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{name} {doc['kind']}: {exc.message} at {list(exc.path)}")
        validated += 1
    assert validated >= 10


def test_manifests_describe_the_deployment():
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in _manifests()}
    gpu = docs[("Deployment", "avatarsaas-worker-gpu")]["spec"]["template"]["spec"]
    container = gpu["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert {"name": "Q_CLUSTER_NAME", "value": "gpu"} in container["env"]
    web = docs[("Deployment", "avatarsaas-web")]["spec"]["template"]["spec"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/livez"  # no dependency restarts pods
    hpa = docs[("HorizontalPodAutoscaler", "avatarsaas-web")]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "avatarsaas-web"
    assert ("Deployment", "avatarsaas-worker-cpu") in docs
    assert ("Service", "avatarsaas-web") in docs and ("Ingress", "avatarsaas") in docs
    assert ("ConfigMap", "avatarsaas-config") in docs and ("Secret", "avatarsaas-secrets") in docs
    job = docs[("Job", "avatarsaas-migrate")]["spec"]["template"]["spec"]["containers"][0]
    assert job["command"][-2:] == ["migrate", "--noinput"]
    kustomization = yaml.safe_load((DOCKER / "k8s" / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (DOCKER / "k8s" / resource).exists()


@pytest.mark.django_db
def test_dashboard_queries_only_metrics_that_exist(client, settings):
    settings.METRICS_TOKEN = "t"
    client.get("/healthz")  # labelled request series appear once observed
    exposition = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    from prometheus_client.parser import text_string_to_metric_families

    names = set()
    for family in text_string_to_metric_families(exposition):
        names |= {sample.name for sample in family.samples} | {family.name}
    from django.apps import apps

    try:
        apps.get_model("styles", "FineTune")
    except LookupError:
        names.add("avatarsaas_finetunes")  # reported once the styles app has fine-tunes
    dashboard = json.loads((DOCKER / "grafana" / "avatarsaas-dashboard.json").read_text())
    used = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used |= set(re.findall(r"avatarsaas_[a-z_]+", target["expr"]))
    assert used and used <= names, used - names
