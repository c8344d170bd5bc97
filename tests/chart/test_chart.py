"""The Helm chart, rendered offline with Helm's own library (helm-python-sdk, no helm binary).

    python tests/chart/test_chart.py          # make chart-test
    UPDATE_GOLDEN=1 python tests/chart/test_chart.py   # rewrites charts/jamf-exporter/ci/*.golden.yaml

Each value set charts/jamf-exporter/ci/NAME-values.yaml is rendered, compared with its golden
render NAME.golden.yaml, and its objects checked: core objects with kubernetes-validate, the
ServiceMonitor and PrometheusRule with the prometheus-operator CRD schemas in tests/chart/crds/,
and the PrometheusRule's groups with `promtool check rules` and the repository's
`promtool test rules` tests.
"""

import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import helm_python as helm
import jsonschema
import kubernetes_validate
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHART = os.path.join(REPO, "charts", "jamf-exporter")
CRDS = os.path.join(REPO, "tests", "chart", "crds")
PROMTOOL = os.environ.get("PROMTOOL", "promtool")
KUBERNETES_VERSION = "1.30.0"
RELEASE, NAMESPACE = "jamf", "monitoring"
SECRETS = "/etc/jamf_exporter/secrets"


def value_sets():
    """{name: values} for every charts/jamf-exporter/ci/NAME-values.yaml."""
    sets = {}
    for path in sorted(glob.glob(os.path.join(CHART, "ci", "*-values.yaml"))):
        with open(path) as f:
            sets[os.path.basename(path)[: -len("-values.yaml")]] = yaml.safe_load(f)
    return sets


def render_text(values, release=RELEASE):
    chart = helm.Chart.load(CHART)
    manifests = chart.render(values, name=release, namespace=NAMESPACE, is_install=True)
    parts = []
    for path in sorted(manifests):
        if manifests[path].strip():
            parts.append(f"# Source: {path}\n{manifests[path].strip()}\n")
    return "---\n".join(parts)


def render(values, release=RELEASE):
    """The rendered objects, as {(kind, name): object}."""
    objects = {}
    for document in yaml.safe_load_all(render_text(values, release)):
        if document:
            objects[(document["kind"], document["metadata"]["name"])] = document
    return objects


def of_kind(objects, kind):
    return [o for (k, _), o in sorted(objects.items()) if k == kind]


def crd_schema(file_name, version_name="v1"):
    """The openAPIV3Schema of one version of a CRD stored as the prometheus-operator-crds chart's template."""
    with open(os.path.join(CRDS, file_name)) as f:
        # The chart's own template lines ({{ ... }}) wrap the CRD; the CRD itself has none.
        text = "\n".join(l for l in f.read().splitlines() if not re.match(r"^\s*\{\{.*\}\}\s*$", l))
    crd = yaml.safe_load(text)
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == version_name]
    return go_patterns_to_python(version["schema"]["openAPIV3Schema"])


def go_patterns_to_python(schema):
    """Go's regexp takes a flag group anywhere (`^(?i)x`); Python's re only at the start."""
    if isinstance(schema, dict):
        return {k: (("(?i)" + v.replace("(?i)", "")) if k == "pattern" and isinstance(v, str) and "(?i)" in v
                    else go_patterns_to_python(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [go_patterns_to_python(v) for v in schema]
    return schema


def source_rules(job):
    with open(os.path.join(REPO, "alerts", "jamf.rules.yml")) as f:
        return yaml.safe_load(f.read().replace('job="jamf"', f'job="{job}"'))


class ChartFiles(unittest.TestCase):
    def test_chart_copies_equal_the_repository_rules_and_dashboards(self):
        pairs = [("alerts/jamf.rules.yml", "files/jamf.rules.yml")]
        dashboards = sorted(os.path.basename(p) for p in glob.glob(os.path.join(REPO, "dashboards", "*.json")))
        copies = sorted(os.path.basename(p) for p in glob.glob(os.path.join(CHART, "files", "dashboards", "*.json")))
        self.assertEqual(dashboards, copies, "run `make chart-files`")
        pairs += [(f"dashboards/{d}", f"files/dashboards/{d}") for d in dashboards]
        for source, copy_ in pairs:
            with open(os.path.join(REPO, source), "rb") as a, open(os.path.join(CHART, copy_), "rb") as b:
                self.assertEqual(a.read(), b.read(), f"charts/jamf-exporter/{copy_} differs from {source}: run `make chart-files`")

    def test_chart_versions_equal_the_crate_version(self):
        with open(os.path.join(REPO, "Cargo.toml")) as f:
            crate = re.search(r'^version = "(.+)"$', f.read(), re.M).group(1)
        metadata = helm.Chart.load(CHART).metadata
        self.assertEqual(metadata["version"], crate)
        self.assertEqual(metadata["appVersion"], crate)


def masked(text):
    """The render with the copied rules and dashboards replaced by one line each.

    Their content is compared with alerts/ and dashboards/ by the tests below, so a changed
    alert or panel does not also change every golden file.
    """
    lines, masking = [], False
    for line in text.splitlines():
        if masking and (line.startswith("    ") or not line.strip()):
            continue
        masking = False
        lines.append(line)
        if line == "  groups:":
            lines.append("    # alerts/jamf.rules.yml (tests: the PrometheusRule holds exactly the shipped rules)")
            masking = True
        elif re.fullmatch(r"  [-\w.]+\.json: \|-", line):
            lines.append("    # dashboards/" + line.strip().split(":")[0] + " (tests: the dashboards are config maps)")
            masking = True
    return "\n".join(lines) + "\n"


class Golden(unittest.TestCase):
    def test_renders_equal_the_golden_files(self):
        sets = value_sets()
        self.assertEqual(sorted(sets), ["api-client", "local-account", "multi-target", "sharded"])
        for name, values in sets.items():
            path = os.path.join(CHART, "ci", f"{name}.golden.yaml")
            text = masked(render_text(values))
            if os.environ.get("UPDATE_GOLDEN"):
                with open(path, "w") as f:
                    f.write(text)
            with open(path) as f:
                self.assertEqual(f.read(), text, f"{path} is stale: UPDATE_GOLDEN=1 make chart-test")


class Lint(unittest.TestCase):
    def test_helm_lint_strict_finds_nothing(self):
        for name, values in value_sets().items():
            report = helm.lint(CHART, values, strict=True, namespace=NAMESPACE)
            findings = [m for m in report["messages"] if m["severity"] >= 2]
            self.assertEqual(findings, [], name)
            self.assertEqual(report["errors"], [], name)


class Values(unittest.TestCase):
    def refused(self, values):
        with self.assertRaises(helm.HelmError):
            helm.Chart.load(CHART).render(values, name=RELEASE, namespace=NAMESPACE)

    def test_unknown_values_are_refused(self):
        base = value_sets()["api-client"]
        for extra in ({"bogus": 1}, {"jamf": {"clientSecret": "s3cret"}}, {"serviceMonitor": {"enable": True}},
                      {"image": {"digest": "sha256:0"}}):
            values = copy.deepcopy(base)
            for key, value in extra.items():
                values[key] = {**values.get(key, {}), **value} if isinstance(value, dict) else value
            self.refused(values)

    def test_a_secret_value_in_the_multi_target_file_is_refused(self):
        values = copy.deepcopy(value_sets()["multi-target"])
        values["config"]["targets"][0]["client_secret"] = "s3cret"
        self.refused(values)

    def test_shards_need_config_and_a_count_of_at_least_one(self):
        self.refused({**value_sets()["api-client"], "shards": 2})
        self.refused({**value_sets()["sharded"], "shards": 0})
        self.refused({**value_sets()["sharded"], "shards": "3"})

    def test_bad_target_labels_and_thresholds_are_refused(self):
        for extra in ({"labels": {"__scheme__": "http"}}, {"labels": {"instance": "x"}},
                      {"labels": {"customer-name": "x"}}, {"labels": {"tier": 3}},
                      {"thresholds": {"warning": "soon"}}, {"thresholds": {"imminent": "3d"}}):
            values = copy.deepcopy(value_sets()["sharded"])
            values["config"]["targets"][0].update(extra)
            self.refused(values)

    def test_incomplete_or_conflicting_logins_are_refused(self):
        login = {"url": "https://school.jamfcloud.com", "clientId": "id", "existingSecret": "s"}
        self.refused({})
        self.refused({"jamf": {**login, "existingSecret": ""}})
        self.refused({"jamf": {**login, "username": "svc"}})
        self.refused({"jamf": {**login, "clientId": ""}})
        multi = value_sets()["multi-target"]
        self.refused({**multi, "jamf": {**multi["jamf"], "url": "https://school.jamfcloud.com"}})
        self.refused({**multi, "jamf": {}})


class Objects(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rendered = {name: render(values) for name, values in value_sets().items()}

    def container(self, name):
        """The one workload (a Deployment, or the StatefulSet of `shards`) and its container."""
        [workload] = of_kind(self.rendered[name], "Deployment") + of_kind(self.rendered[name], "StatefulSet")
        [container] = workload["spec"]["template"]["spec"]["containers"]
        return workload, container

    def test_core_objects_validate_against_kubernetes_schemas(self):
        for name, objects in self.rendered.items():
            for obj in objects.values():
                if obj["apiVersion"].startswith("monitoring.coreos.com/"):
                    continue
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)

    def test_operator_objects_validate_against_the_crd_schemas(self):
        schemas = {"ServiceMonitor": crd_schema("crd-servicemonitors.yaml"),
                   "PrometheusRule": crd_schema("crd-prometheusrules.yaml"),
                   "ScrapeConfig": crd_schema("crd-scrapeconfigs.yaml", "v1alpha1")}
        seen = set()
        for objects in self.rendered.values():
            for kind, schema in schemas.items():
                for obj in of_kind(objects, kind):
                    jsonschema.Draft7Validator(schema).validate(obj)
                    seen.add(kind)
        self.assertEqual(seen, set(schemas))

    def test_pod_runs_as_65534_read_only_without_capabilities(self):
        for name in self.rendered:
            deployment, container = self.container(name)
            pod = deployment["spec"]["template"]["spec"]
            self.assertEqual((pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]), (65534, 65534))
            self.assertTrue(pod["securityContext"]["runAsNonRoot"])
            context = container["securityContext"]
            self.assertTrue(context["readOnlyRootFilesystem"])
            self.assertFalse(context["allowPrivilegeEscalation"])
            self.assertEqual(context["capabilities"], {"drop": ["ALL"]})
            self.assertEqual(container["ports"], [{"name": "http", "containerPort": 10052, "protocol": "TCP"}])
            self.assertEqual(container["livenessProbe"]["httpGet"], {"path": "/-/healthy", "port": "http"})
            self.assertEqual(container["readinessProbe"]["httpGet"], {"path": "/-/ready", "port": "http"})

    def test_secret_is_a_mounted_file_never_an_environment_value(self):
        expected = {"api-client": ["client-secret"], "local-account": ["password"],
                    "multi-target": ["hillside", "hillside-ca.pem", "lakeview"]}
        flags = {"api-client": f"--jamf.client-secret-file={SECRETS}/client-secret",
                 "local-account": f"--jamf.password-file={SECRETS}/password",
                 "multi-target": "--config.file=/etc/jamf_exporter/config.yml"}
        for name, keys in expected.items():
            deployment, container = self.container(name)
            self.assertNotIn("env", container)
            self.assertNotIn("envFrom", container)
            [volume] = [v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == "secrets"]
            self.assertEqual(volume["secret"]["secretName"], "jamf-exporter")
            self.assertEqual([i["key"] for i in volume["secret"]["items"]], keys)
            self.assertIn({"name": "secrets", "mountPath": SECRETS, "readOnly": True}, container["volumeMounts"])
            self.assertIn(flags[name], container["args"])
            self.assertEqual(of_kind(self.rendered[name], "Secret"), [])

    def test_multi_target_file_points_each_secret_key_at_its_mounted_file(self):
        config_maps = [c for c in of_kind(self.rendered["multi-target"], "ConfigMap") if "config.yml" in c["data"]]
        [config_map] = config_maps
        config = yaml.safe_load(config_map["data"]["config.yml"])
        lakeview, hillside = config["targets"]
        self.assertEqual(lakeview["client_secret_file"], f"{SECRETS}/lakeview")
        self.assertEqual(hillside["password_file"], f"{SECRETS}/hillside")
        self.assertEqual(hillside["ca_file"], f"{SECRETS}/hillside-ca.pem")
        self.assertEqual(config["defaults"], {"refresh_interval": "5m"})
        self.assertEqual(hillside["collectors"], ["vpp", "vpp_content", "ade", "notifications"])

    def test_a_platform_target_keeps_its_api_and_environment(self):
        values = copy.deepcopy(value_sets()["multi-target"])
        values["config"]["targets"].append({
            "name": "acme-eu", "api": "platform", "url": "https://eu.api.jamfcloud.com",
            "environment_id": "6c1f0a2e-7f3b-4a55-9d0e-2b8c4e1a9f70",
            "client_id": "9d2e4c1b", "client_secret_file": "acme",
        })
        config_maps = [c for c in of_kind(render(values), "ConfigMap") if "config.yml" in c["data"]]
        [config_map] = config_maps
        acme = yaml.safe_load(config_map["data"]["config.yml"])["targets"][-1]
        self.assertEqual(acme["api"], "platform")
        self.assertEqual(acme["environment_id"], "6c1f0a2e-7f3b-4a55-9d0e-2b8c4e1a9f70")
        self.assertEqual(acme["client_secret_file"], f"{SECRETS}/acme")

    def test_single_server_service_monitor_scrapes_metrics(self):
        [monitor] = of_kind(self.rendered["api-client"], "ServiceMonitor")
        self.assertEqual(monitor["metadata"]["labels"]["release"], "kube-prometheus-stack")
        [endpoint] = monitor["spec"]["endpoints"]
        self.assertEqual((endpoint["port"], endpoint["path"]), ("http", "/metrics"))
        [service] = of_kind(self.rendered["api-client"], "Service")
        self.assertEqual(monitor["spec"]["selector"]["matchLabels"].items() - service["metadata"]["labels"].items(), set())

    def test_several_servers_are_discovered_through_sd_with_no_service_monitor(self):
        [scrape] = of_kind(self.rendered["multi-target"], "ScrapeConfig")
        [service] = of_kind(self.rendered["multi-target"], "Service")
        name = service["metadata"]["name"]
        self.assertEqual(of_kind(self.rendered["multi-target"], "ServiceMonitor"), [])
        self.assertEqual(scrape["spec"]["jobName"], name)
        self.assertEqual([c["url"] for c in scrape["spec"]["httpSDConfigs"]],
                         [f"http://{name}.{NAMESPACE}.svc:10052/sd"])
        self.assertNotIn("relabelings", scrape["spec"])
        _, container = self.container("multi-target")
        self.assertIn(f"--web.sd-address={name}.{NAMESPACE}.svc:10052", container["args"])
        self.assertFalse(any(a.startswith("--shard.") for a in container["args"]))

    def test_three_shards_are_a_stateful_set_each_listed_at_its_own_name(self):
        objects = self.rendered["sharded"]
        self.assertEqual(of_kind(objects, "Deployment"), [])
        self.assertEqual(of_kind(objects, "ServiceMonitor"), [])
        [service] = of_kind(objects, "Service")
        [stateful_set] = of_kind(objects, "StatefulSet")
        [scrape] = of_kind(objects, "ScrapeConfig")
        name = service["metadata"]["name"]
        self.assertEqual(service["spec"]["clusterIP"], "None")
        self.assertTrue(service["spec"]["publishNotReadyAddresses"])
        self.assertEqual((stateful_set["spec"]["replicas"], stateful_set["spec"]["serviceName"]), (3, name))
        # Each pod's stable DNS name, <statefulset>-<ordinal>.<service>.<namespace>.svc.
        pods = [f"{stateful_set['metadata']['name']}-{i}.{name}.{NAMESPACE}.svc:10052" for i in range(3)]
        self.assertEqual([c["url"] for c in scrape["spec"]["httpSDConfigs"]], [f"http://{p}/sd" for p in pods])
        self.assertEqual(scrape["spec"]["jobName"], name)
        self.assertEqual(scrape["metadata"]["labels"]["release"], "kube-prometheus-stack")
        _, container = self.container("sharded")
        args = container["args"]
        self.assertIn("--shard.total=3", args)
        self.assertIn("--shard.index=$(SHARD_INDEX)", args)
        self.assertIn(f"--web.sd-address=$(POD_NAME).{name}.{NAMESPACE}.svc:10052", args)
        env = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in container["env"]}
        self.assertEqual(env, {"SHARD_INDEX": "metadata.labels['apps.kubernetes.io/pod-index']",
                               "POD_NAME": "metadata.name"})
        # What Kubernetes gives pod 2, expanded as the kubelet does: the address its /sd names.
        expanded = [a.replace("$(POD_NAME)", f"{stateful_set['metadata']['name']}-2").replace("$(SHARD_INDEX)", "2")
                    for a in args]
        self.assertIn(f"--web.sd-address={pods[2]}", expanded)
        self.assertIn("--shard.index=2", expanded)

    def test_shards_keep_labels_and_thresholds_in_the_file(self):
        [config_map] = [c for c in of_kind(self.rendered["sharded"], "ConfigMap") if "config.yml" in c["data"]]
        config = yaml.safe_load(config_map["data"]["config.yml"])
        hillside = config["targets"][1]
        self.assertEqual(hillside["labels"], {"customer": "hillside", "tier": "gold"})
        self.assertEqual(hillside["thresholds"], {"warning": "45d", "critical": "10d"})

    def test_prometheus_rule_holds_exactly_the_shipped_rules_with_the_service_monitors_job(self):
        for name in ("api-client", "multi-target", "sharded"):
            [service] = of_kind(self.rendered[name], "Service")
            [rule] = of_kind(self.rendered[name], "PrometheusRule")
            job = service["metadata"]["name"]
            for monitor in of_kind(self.rendered[name], "ServiceMonitor"):
                # Without spec.jobLabel the operator names the job after the Service.
                self.assertNotIn("jobLabel", monitor["spec"])
            for scrape in of_kind(self.rendered[name], "ScrapeConfig"):
                self.assertEqual(scrape["spec"]["jobName"], job)
            self.assertEqual(rule["spec"]["groups"], source_rules(job)["groups"])
            text = json.dumps(rule["spec"]["groups"])
            self.assertEqual(set(re.findall(r'job=\\"([^\\"]*)\\"', text)), {job})
            self.assertIn("{{ $labels.location }}", text)

    def test_dashboards_are_config_maps_for_grafanas_sidecar(self):
        dashboards = sorted(glob.glob(os.path.join(REPO, "dashboards", "*.json")))
        for name, labels in (("api-client", {"grafana_dashboard": "1"}),
                             ("multi-target", {"grafana_dashboard": "1", "team": "it"})):
            maps = [c for c in of_kind(self.rendered[name], "ConfigMap") if "config.yml" not in c["data"]]
            self.assertEqual(len(maps), len(dashboards))
            for config_map in maps:
                self.assertEqual(config_map["metadata"]["labels"].items() & labels.items(), labels.items())
                [(file_name, content)] = config_map["data"].items()
                with open(os.path.join(REPO, "dashboards", file_name)) as f:
                    self.assertEqual(json.loads(content), json.load(f))
        self.assertEqual(of_kind(self.rendered["local-account"], "ConfigMap"), [])
        self.assertEqual(of_kind(self.rendered["local-account"], "ServiceMonitor"), [])
        self.assertEqual(of_kind(self.rendered["local-account"], "PrometheusRule"), [])


class Promtool(unittest.TestCase):
    def test_rendered_rules_pass_promtool_check_and_the_rule_tests(self):
        # With the job named "jamf", the repository's rule tests apply unchanged.
        values = {**value_sets()["api-client"], "fullnameOverride": "jamf"}
        [rule] = of_kind(render(values), "PrometheusRule")
        with tempfile.TemporaryDirectory() as work:
            rules = os.path.join(work, "rendered.rules.yml")
            with open(rules, "w") as f:
                yaml.safe_dump({"groups": rule["spec"]["groups"]}, f)
            subprocess.run([PROMTOOL, "check", "rules", rules], check=True, stdout=subprocess.DEVNULL)
            tests = []
            for path in sorted(glob.glob(os.path.join(REPO, "alerts", "tests", "*.yml"))):
                with open(path) as f:
                    test = yaml.safe_load(f)
                self.assertEqual(test["rule_files"], ["../jamf.rules.yml"], path)
                test["rule_files"] = [rules]
                tests.append(os.path.join(work, os.path.basename(path)))
                with open(tests[-1], "w") as f:
                    yaml.safe_dump(test, f)
            subprocess.run([PROMTOOL, "test", "rules", *tests], check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    unittest.main(verbosity=2)
