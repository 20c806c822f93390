#!/usr/bin/env python3
"""Checks of a rendered certgate Kubernetes overlay that kubernetes-validate cannot make.

    kubernetes_check.py OVERLAY RENDERED.yaml [HELP_KEYS_FILE]

OVERLAY is sidecar or standalone; RENDERED.yaml is `kubectl kustomize` output. certgate's YAML keys
come from the settings table of docs/configuration.md (generated from the source), and also from
HELP_KEYS_FILE when given (the flags of `certgate run --help`, one a line, without dashes). Checks:
  - the CRD kinds kubernetes-validate has no schema for (cert-manager Certificate, Prometheus Operator
    ServiceMonitor and PrometheusRule), against small schemas of their required fields and types;
  - what the kit promises: the securityContext, probes on the admin port, the grace period above
    shutdown-delay + drain-timeout, anti-affinity, the PDB, HPA and NetworkPolicy selecting the pods,
    the Secrets mounted as directories with mode 0400 where certgate.yaml expects them (the TLS pair,
    the admin token, the ticket keys of Secret certgate-ticket-keys at /etc/certgate/tickets), the
    ServiceMonitor finding the Service's admin port with the token's Secret, the PrometheusRule equal
    to config/prometheus/alerts.yaml, every certgate.yaml key a real certgate key;
  - per overlay: the sidecar forwards to 127.0.0.1, standalone runs at least 2 replicas behind a Service.
Prints "ok: ..." per check; on the first failure prints "FAIL: ..." and exits 1. Writes the pod's
certgate.yaml and CERTGATE_* variables next to RENDERED.yaml (RENDERED.yaml.config, .env) for
`certgate check`.
"""

import copy
import pathlib
import re
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def ok(message):
    print(f"ok: {message}")


def expect(condition, message):
    if not condition:
        fail(message)


STRING = {"type": "string", "minLength": 1}
LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
SELECTOR = {
    "type": "object",
    "properties": {"matchLabels": LABELS, "matchExpressions": {"type": "array"}},
    "additionalProperties": False,
}


def resource(api_version, kind, spec):
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": {"type": "object", "required": ["name"], "properties": {"name": STRING, "labels": LABELS}},
            "spec": spec,
        },
        "additionalProperties": False,
    }


# The required fields and the types of the fields the kit uses, from the CRDs of cert-manager v1 and of
# Prometheus Operator's monitoring.coreos.com/v1 (additionalProperties false: a misspelt field fails).
CRD_SCHEMAS = {
    "Certificate": resource(
        "cert-manager.io/v1",
        "Certificate",
        {
            "type": "object",
            "required": ["secretName", "issuerRef"],
            "properties": {
                "secretName": STRING,
                "commonName": STRING,
                "dnsNames": {"type": "array", "minItems": 1, "items": STRING},
                "issuerRef": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": STRING, "kind": STRING, "group": STRING},
                    "additionalProperties": False,
                },
                "duration": {"type": "string", "pattern": "^[0-9]+(h|m|s)$"},
                "renewBefore": {"type": "string", "pattern": "^[0-9]+(h|m|s)$"},
                "privateKey": {
                    "type": "object",
                    "properties": {
                        "algorithm": {"enum": ["RSA", "ECDSA", "Ed25519"]},
                        "size": {"type": "integer"},
                        "rotationPolicy": {"enum": ["Never", "Always"]},
                        "encoding": {"enum": ["PKCS1", "PKCS8"]},
                    },
                    "additionalProperties": False,
                },
                "usages": {
                    "type": "array",
                    "items": {"enum": ["server auth", "client auth", "digital signature", "key encipherment"]},
                },
            },
            "additionalProperties": False,
        },
    ),
    "ServiceMonitor": resource(
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        {
            "type": "object",
            "required": ["selector", "endpoints"],
            "properties": {
                "selector": SELECTOR,
                "namespaceSelector": {"type": "object"},
                "jobLabel": STRING,
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "properties": {
                            "port": STRING,
                            "path": STRING,
                            "scheme": {"enum": ["http", "https"]},
                            "interval": {"type": "string", "pattern": "^(0|([0-9]+(ms|s|m|h))+)$"},
                            "authorization": {
                                "type": "object",
                                "required": ["credentials"],
                                "properties": {
                                    "type": STRING,
                                    "credentials": {
                                        "type": "object",
                                        "required": ["name", "key"],
                                        "properties": {"name": STRING, "key": STRING, "optional": {"type": "boolean"}},
                                        "additionalProperties": False,
                                    },
                                },
                                "additionalProperties": False,
                            },
                        },
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        },
    ),
    "PrometheusRule": resource(
        "monitoring.coreos.com/v1",
        "PrometheusRule",
        {
            "type": "object",
            "required": ["groups"],
            "properties": {
                "groups": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["name", "rules"],
                        "properties": {
                            "name": STRING,
                            "interval": STRING,
                            "rules": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["expr"],
                                    "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                                    "properties": {
                                        "alert": STRING,
                                        "record": STRING,
                                        "expr": STRING,
                                        "for": {"type": "string", "pattern": "^(0|([0-9]+(ms|s|m|h|d|w|y))+)$"},
                                        "labels": LABELS,
                                        "annotations": LABELS,
                                    },
                                    "additionalProperties": False,
                                },
                            },
                        },
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        },
    ),
}

# A broken copy of each kind that its schema must refuse: proof that the schemas can fail.
BREAKAGES = {
    "Certificate": lambda d: d["spec"].pop("issuerRef"),
    "ServiceMonitor": lambda d: d["spec"]["endpoints"][0].update(prot="admin"),
    "PrometheusRule": lambda d: d["spec"]["groups"][0]["rules"][0].pop("expr"),
}


def check_crds(documents):
    for kind, schema in CRD_SCHEMAS.items():
        found = [d for d in documents if d["kind"] == kind]
        expect(len(found) == 1, f"expected one {kind}, found {len(found)}")
        try:
            jsonschema.validate(found[0], schema)
        except jsonschema.ValidationError as error:
            fail(f"{kind}/{found[0]['metadata']['name']}: {error.message} at {list(error.absolute_path)}")
        broken = copy.deepcopy(found[0])
        BREAKAGES[kind](broken)
        expect(not jsonschema.Draft7Validator(schema).is_valid(broken), f"the {kind} schema accepts a broken {kind}")
        ok(f"{kind}/{found[0]['metadata']['name']} has the required fields (and a broken copy is refused)")


def seconds(value):
    match = re.fullmatch(r"([0-9]+)(ms|s|m|h|d)", str(value))
    expect(match, f"'{value}' is not a certgate duration")
    factor = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return int(match.group(1)) * factor


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector["matchLabels"].items())


def check_kit(overlay, documents, keys, rendered_path):
    by_kind = {}
    for d in documents:
        by_kind.setdefault(d["kind"], []).append(d)
    for kind in ["Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy"]:
        expect(len(by_kind.get(kind, [])) == 1, f"expected one {kind}, found {len(by_kind.get(kind, []))}")
    deployment = by_kind["Deployment"][0]
    pod = deployment["spec"]["template"]["spec"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    containers = {c["name"]: c for c in pod["containers"]}
    expect("certgate" in containers, "no container named certgate")
    certgate = containers["certgate"]

    # securityContext
    pod_security = pod["securityContext"]
    security = certgate["securityContext"]
    for where, ctx in [("pod", pod_security), ("container", security)]:
        expect(ctx.get("runAsNonRoot") is True, f"{where} securityContext: runAsNonRoot is not true")
        expect(ctx.get("runAsUser") == 10001 and ctx.get("runAsGroup") == 10001, f"{where}: not uid/gid 10001")
        expect(ctx.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccomp is not RuntimeDefault")
    expect(pod_security.get("fsGroup") == 10001, "pod securityContext: fsGroup is not 10001 (the 0400 secrets would be unreadable)")
    expect(security.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem is not true")
    expect(security.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation is not false")
    expect(security.get("capabilities", {}).get("drop") == ["ALL"], "capabilities do not drop ALL")
    ok("securityContext: non-root 10001:10001, fsGroup, read-only root, no capability, RuntimeDefault seccomp")

    # resources
    for part in ["requests", "limits"]:
        for resource_name in ["cpu", "memory"]:
            expect(resource_name in certgate.get("resources", {}).get(part, {}), f"no {part}.{resource_name}")
    ok(f"requests {certgate['resources']['requests']}, limits {certgate['resources']['limits']}")

    # the configuration as the pod sees it
    configmap = by_kind["ConfigMap"][0]
    config_volume = next(v for v in pod["volumes"] if "configMap" in v)
    expect(config_volume["configMap"]["name"] == configmap["metadata"]["name"], "the config volume names another ConfigMap")
    config_mount = next(m for m in certgate["volumeMounts"] if m["name"] == config_volume["name"])
    args = certgate["args"]
    expect(args[:2] == ["run", "--config"], f"args {args} do not start with run --config")
    config_path = pathlib.PurePosixPath(args[2])
    expect(str(config_path.parent) == config_mount["mountPath"], f"--config {config_path} is not in the ConfigMap's mount")
    config_text = configmap["data"][config_path.name]
    config = yaml.safe_load(config_text)
    unknown = sorted(set(config) - keys)
    expect(not unknown, f"certgate.yaml keys that certgate does not have: {unknown}")
    env = {e["name"]: e["value"] for e in certgate.get("env", [])}
    unknown_env = sorted(n for n in env if n.startswith("CERTGATE_") and n[9:].lower().replace("_", "-") not in keys)
    expect(not unknown_env, f"CERTGATE_* variables that are no setting: {unknown_env}")
    ok(f"certgate.yaml keys are certgate's: {', '.join(config)}; variables: {', '.join(env)}")
    pathlib.Path(f"{rendered_path}.config").write_text(config_text)
    pathlib.Path(f"{rendered_path}.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))

    # shutdown
    grace = pod["terminationGracePeriodSeconds"]
    needed = seconds(config["shutdown-delay"]) + seconds(config["drain-timeout"])
    expect(grace > needed, f"terminationGracePeriodSeconds {grace} is not above shutdown-delay + drain-timeout ({needed} s)")
    ok(f"terminationGracePeriodSeconds {grace} > shutdown-delay {config['shutdown-delay']} + drain-timeout {config['drain-timeout']}")

    # probes on the admin port
    admin_port = int(str(config["admin"]).rsplit(":", 1)[1])
    ports = {p["name"]: p["containerPort"] for p in certgate["ports"]}
    expect(ports.get("admin") == admin_port, f"container port 'admin' is {ports.get('admin')}, certgate.yaml's admin is {admin_port}")
    expect(ports.get("https") == int(str(config["listen"]).rsplit(":", 1)[1]), "container port 'https' is not certgate.yaml's listen port")
    for probe, path in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")]:
        get = certgate[probe]["httpGet"]
        expect(get["path"] == path and get["port"] in ("admin", admin_port), f"{probe} is not GET {path} on the admin port")
    ok(f"liveness /healthz and readiness /readyz on the admin port {admin_port}")

    # secrets mounted as directories, 0400, where certgate.yaml reads them
    mounts = {m["name"]: m for m in certgate["volumeMounts"]}
    secrets = {v["secret"]["secretName"]: v for v in pod["volumes"] if "secret" in v}
    certificate = by_kind["Certificate"][0]
    tls_volume = secrets.get(certificate["spec"]["secretName"])
    expect(tls_volume is not None, f"the Certificate's Secret {certificate['spec']['secretName']} is not mounted")
    cert_dirs = config["cert-dir"] if isinstance(config["cert-dir"], list) else [config["cert-dir"]]
    tls_mount = mounts[tls_volume["name"]]
    expect(str(pathlib.PurePosixPath(tls_mount["mountPath"]).parent) in cert_dirs, f"{tls_mount['mountPath']} is not a directory in a cert-dir {cert_dirs}")
    token_path = pathlib.PurePosixPath(config["admin-token-file"])
    token_volume = next((v for v in pod["volumes"] if v["name"] in mounts and mounts[v["name"]]["mountPath"] == str(token_path.parent)), None)
    expect(token_volume is not None and "secret" in token_volume, f"admin-token-file {token_path} is not in a mounted Secret")
    # the session ticket keys: one Secret, the same file in every replica (made by rotate-secret.sh)
    expect("ticket-keys" in config, "certgate.yaml has no ticket-keys: each replica would resume only its own tickets")
    ticket_path = pathlib.PurePosixPath(config["ticket-keys"])
    expect(str(ticket_path.parent) == "/etc/certgate/tickets", f"ticket-keys {ticket_path} is not in /etc/certgate/tickets")
    ticket_volume = next((v for v in pod["volumes"] if v["name"] in mounts and mounts[v["name"]]["mountPath"] == str(ticket_path.parent)), None)
    expect(ticket_volume is not None and "secret" in ticket_volume, f"ticket-keys {ticket_path} is not in a mounted Secret")
    expect(ticket_volume["secret"]["secretName"] == "certgate-ticket-keys", f"ticket-keys come from Secret {ticket_volume['secret']['secretName']}, not certgate-ticket-keys")
    expect(ticket_path.name == "ticket.keys" and "items" not in ticket_volume["secret"], f"ticket-keys {ticket_path} is not the Secret's key ticket.keys (rotate-secret.sh writes that key)")
    for volume in [tls_volume, token_volume, ticket_volume]:
        expect(volume["secret"].get("defaultMode") == 0o400, f"Secret volume {volume['name']} has defaultMode {volume['secret'].get('defaultMode')}, not 0400")
        expect("subPath" not in mounts[volume["name"]], f"Secret volume {volume['name']} is mounted with subPath (never updated)")
        expect(mounts[volume["name"]].get("readOnly") is True, f"Secret volume {volume['name']} is not mounted read-only")
    ok(f"Secret {certificate['spec']['secretName']} at {tls_mount['mountPath']}, token Secret {token_volume['secret']['secretName']} at {token_path}, "
       f"ticket-key Secret {ticket_volume['secret']['secretName']} at {ticket_path} (ticket-lifetime {config.get('ticket-lifetime', '2h (default)')}), all 0400, read-only, no subPath")

    # spreading, disruption, scaling, network
    terms = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    expect(any(t["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname" and matches(t["podAffinityTerm"]["labelSelector"], pod_labels) for t in terms), "no anti-affinity by hostname on the pod's labels")
    pdb = by_kind["PodDisruptionBudget"][0]
    expect(matches(pdb["spec"]["selector"], pod_labels), "the PodDisruptionBudget selects other pods")
    hpa = by_kind["HorizontalPodAutoscaler"][0]
    expect(hpa["apiVersion"] == "autoscaling/v2", "the HPA is not autoscaling/v2")
    expect(hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"], "the HPA scales another Deployment")
    expect(any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"]), "the HPA does not scale on CPU")
    expect(hpa["spec"]["minReplicas"] >= 2, "the HPA's minReplicas is below 2")
    policy = by_kind["NetworkPolicy"][0]
    expect(matches(policy["spec"]["podSelector"], pod_labels), "the NetworkPolicy selects other pods")
    allowed = [p["port"] for rule in policy["spec"]["ingress"] for p in rule.get("ports", [])]
    expect("https" in allowed and "admin" in allowed, f"the NetworkPolicy admits ports {allowed}")
    ok("anti-affinity, PDB, HPA (autoscaling/v2, cpu, min 2) and NetworkPolicy all select certgate's pods")

    # monitoring
    service = by_kind["Service"][0]
    expect(matches({"matchLabels": service["spec"]["selector"]}, pod_labels), "the Service selects other pods")
    monitor = by_kind["ServiceMonitor"][0]
    expect(matches(monitor["spec"]["selector"], service["metadata"]["labels"]), "the ServiceMonitor does not select the Service")
    endpoint = monitor["spec"]["endpoints"][0]
    service_ports = {p["name"]: p for p in service["spec"]["ports"]}
    expect(endpoint["port"] in service_ports and service_ports[endpoint["port"]]["targetPort"] == "admin", "the ServiceMonitor's port is not the Service's admin port")
    expect(endpoint["authorization"]["credentials"]["name"] == token_volume["secret"]["secretName"], "the ServiceMonitor sends another Secret's token")
    rule = by_kind["PrometheusRule"][0]
    alerts = yaml.safe_load((ROOT / "config/prometheus/alerts.yaml").read_text())
    expect(rule["spec"]["groups"] == alerts["groups"], "the PrometheusRule's groups differ from config/prometheus/alerts.yaml")
    count = sum(len(g["rules"]) for g in alerts["groups"])
    ok(f"ServiceMonitor scrapes the Service's admin port with the token Secret; PrometheusRule = alerts.yaml ({count} rules)")

    # the overlay's own promises
    upstream = env.get("CERTGATE_UPSTREAM", config.get("upstream"))
    expect(upstream is not None, "no upstream (CERTGATE_UPSTREAM or upstream:)")
    if overlay == "sidecar":
        expect(upstream.startswith("127.0.0.1:"), f"the sidecar's upstream is {upstream}, not 127.0.0.1")
        expect(len(containers) >= 2, "the sidecar pod has no application container")
        ok(f"sidecar: upstream {upstream}, containers {sorted(containers)}")
    else:
        expect(deployment["spec"]["replicas"] >= 2, f"standalone runs {deployment['spec']['replicas']} replica(s)")
        expect(service_ports.get("https", {}).get("targetPort") == "https", "standalone: the Service does not forward to https")
        expect("Egress" in policy["spec"]["policyTypes"], "standalone: the NetworkPolicy does not limit egress")
        ok(f"standalone: {deployment['spec']['replicas']} replicas behind Service {service['metadata']['name']}:443, upstream {upstream}")


def documented_keys():
    text = (ROOT / "docs/configuration.md").read_text()
    table = text.split("<!-- settings table")[1].split("<!-- end of settings table")[0]
    # | `--flag ...` | `key` | `CERTGATE_KEY` or — | ...
    keys = set(re.findall(r"^\|[^\n]*?\|\s*`([a-z][a-z0-9-]*)`\s*\|\s*(?:`CERTGATE_[A-Z_]+`|—)\s*\|", table, re.M))
    expect(len(keys) > 30, f"only {len(keys)} keys found in the settings table of docs/configuration.md")
    return keys


def main():
    overlay, rendered_path = sys.argv[1:3]
    documents = [d for d in yaml.safe_load_all(pathlib.Path(rendered_path).read_text()) if d]
    keys = documented_keys()
    if len(sys.argv) > 3:
        # `certgate run --help` lists flags; `certs` and `per-certificate` exist in the file only.
        keys &= set(pathlib.Path(sys.argv[3]).read_text().split()) | {"certs", "per-certificate"}
    check_crds(documents)
    check_kit(overlay, documents, keys, rendered_path)


if __name__ == "__main__":
    main()
