#!/usr/bin/env python3
"""Writes N realistic Kubernetes manifest files (default 1,000) into DIR for bench/k8s.sh.

Each file is what a chart renders for one application: a workload (Deployment, StatefulSet,
DaemonSet, CronJob, Job or Pod) with a Service and a ConfigMap, sometimes an Ingress, a
NetworkPolicy, RBAC and a Secret, as multi-document YAML (one in ten files is a `kind: List`
in JSON). Settings vary with a fixed seed: about half the workloads are hardened, the others
carry the usual mistakes (privileged, hostPath, root, no limits, :latest…).
"""
import json
import random
import sys

DIR, COUNT = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000
rng = random.Random(4)
IMAGES = ["nginx", "redis", "postgres", "grafana/grafana", "quay.io/prometheus/prometheus", "ghcr.io/acme/api"]
KINDS = ["Deployment"] * 5 + ["StatefulSet", "DaemonSet", "CronJob", "Job", "Pod"]


def container(name, hardened):
    image = rng.choice(IMAGES)
    tag = rng.choice([":1.27.2", ":7.2", ":latest", "", "@sha256:" + "%064x" % rng.getrandbits(256)])
    c = {"name": name, "image": image + tag, "ports": [{"containerPort": rng.choice([80, 8080, 5432, 6379, 9090])}]}
    if hardened:
        c["securityContext"] = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}
        c["resources"] = {"requests": {"cpu": "100m", "memory": "128Mi"},
                          "limits": {"cpu": "1", "memory": "512Mi", "ephemeral-storage": "1Gi"}}
        c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080}}
        c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}}
    else:
        sc = {}
        if rng.random() < 0.3:
            sc["privileged"] = True
        if rng.random() < 0.3:
            sc["capabilities"] = {"add": [rng.choice(["SYS_ADMIN", "NET_ADMIN", "NET_RAW", "CHOWN"])]}
        if rng.random() < 0.2:
            sc["runAsUser"] = 0
        if sc:
            c["securityContext"] = sc
        if rng.random() < 0.5:
            c["resources"] = {"limits": {"memory": "256Mi"}}
        if rng.random() < 0.4:
            c["env"] = [{"name": "DB_PASSWORD", "value": "changeme"}, {"name": "LOG_LEVEL", "value": "info"}]
        if rng.random() < 0.2:
            c["ports"][0]["hostPort"] = c["ports"][0]["containerPort"]
    return c


def pod_spec(app, hardened):
    spec = {"containers": [container(app, hardened)]}
    if rng.random() < 0.3:
        spec["initContainers"] = [container("init", hardened)]
    if hardened:
        spec["automountServiceAccountToken"] = False
        spec["serviceAccountName"] = app
        spec["securityContext"] = {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}}
        spec["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    else:
        if rng.random() < 0.2:
            spec["hostNetwork"] = True
        if rng.random() < 0.15:
            spec["hostPID"] = True
        if rng.random() < 0.25:
            spec["volumes"] = [{"name": "host", "hostPath": {"path": rng.choice(["/var/run/docker.sock", "/", "/var/log", "/srv/data"])}}]
    return spec


def workload(kind, app, ns, hardened):
    labels = {"app": app}
    template = {"metadata": {"labels": labels}, "spec": pod_spec(app, hardened)}
    meta = {"name": app, "namespace": ns, "labels": labels}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template["spec"]}
    if kind in ("Job", "CronJob"):
        template["spec"]["restartPolicy"] = "OnFailure"
        job = {"template": template}
        if kind == "Job":
            return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": job}
        return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
                "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": job}}}
    spec = {"selector": {"matchLabels": labels}, "template": template}
    if kind != "DaemonSet":
        spec["replicas"] = rng.randint(1, 5)
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}


def extras(app, ns, hardened):
    docs = [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns},
         "spec": {"type": rng.choice(["ClusterIP"] * 3 + ["NodePort", "LoadBalancer"]), "selector": {"app": app},
                  "ports": [{"port": 80, "targetPort": 8080}]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": app, "namespace": ns},
         "data": {"LOG_LEVEL": "info", "config.yaml": "listen: :8080\nworkers: 4\n"}},
    ]
    if rng.random() < 0.4:
        ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": app, "namespace": ns},
                   "spec": {"rules": [{"host": app + ".example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                            "backend": {"service": {"name": app, "port": {"number": 80}}}}]}}]}}
        if hardened:
            ingress["spec"]["tls"] = [{"hosts": [app + ".example.com"], "secretName": app + "-tls"}]
        docs.append(ingress)
    if hardened or rng.random() < 0.3:
        docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": app, "namespace": ns},
                     "spec": {"podSelector": {"matchLabels": {"app": app}}, "policyTypes": ["Ingress"],
                              "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "frontend"}}}]}]}})
    if rng.random() < 0.3:
        verbs = ["*"] if not hardened and rng.random() < 0.5 else ["get", "list"]
        docs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": app, "namespace": ns},
                     "rules": [{"apiGroups": [""], "resources": rng.choice([["configmaps"], ["secrets"], ["pods", "pods/exec"]]), "verbs": verbs}]})
        docs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": app, "namespace": ns},
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": app},
                     "subjects": [{"kind": "ServiceAccount", "name": rng.choice([app, "default"]), "namespace": ns}]})
    if rng.random() < 0.2:
        docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": app, "namespace": ns},
                     "type": "Opaque", "data": {"password": "Y2hhbmdlbWU="}})
    return docs


def to_yaml(value, indent=0):
    """A small block-style YAML emitter (keeps the generator free of dependencies)."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:\n{to_yaml(item, indent + 2)}")
            else:
                lines.append(f"{pad}{key}: {to_yaml(item, indent + 2)}")
        return "\n".join(lines)
    if isinstance(value, list):
        if not value:
            return "[]"
        lines = []
        for item in value:
            body = to_yaml(item, indent + 2)
            lines.append(f"{pad}- {body.lstrip()}" if isinstance(item, (dict, list)) else f"{pad}- {body}")
        return "\n".join(lines)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value) if ("\n" in value or ":" in value or value in ("", "*") or value[0] in "*&!{[") else value
    return str(value)


for index in range(COUNT):
    app = f"app{index:04d}"
    ns = rng.choice(["shop", "payments", "monitoring", "default"])
    hardened = rng.random() < 0.5
    docs = [workload(rng.choice(KINDS), app, ns, hardened)] + extras(app, ns, hardened)
    if index % 10 == 9:
        with open(f"{DIR}/{app}.json", "w") as out:
            json.dump({"apiVersion": "v1", "kind": "List", "items": docs}, out, indent=2)
    else:
        with open(f"{DIR}/{app}.yaml", "w") as out:
            out.write("\n---\n".join("# Source: %s/templates/%s.yaml\n" % (app, d["kind"].lower()) + to_yaml(d) for d in docs) + "\n")
