"""Checks the config of the OCI image that tests/image-test.sh built with umoci.

    python3 tests/image/check_oci.py LAYOUT VERSION
"""

import json
import os
import sys


def blob(layout, digest):
    algorithm, value = digest.split(":", 1)
    with open(os.path.join(layout, "blobs", algorithm, value)) as f:
        return json.load(f)


def main():
    layout, version = sys.argv[1], sys.argv[2]
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    [descriptor] = [m for m in index["manifests"]
                    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == version]
    manifest = blob(layout, descriptor["digest"])
    config = blob(layout, manifest["config"]["digest"])["config"]
    problems = []
    expected = {
        "User": "65534:65534",
        "Entrypoint": ["/jamf_exporter"],
        "ExposedPorts": {"10052/tcp": {}},
    }
    for key, value in expected.items():
        if config.get(key) != value:
            problems.append(f"{key} is {config.get(key)!r}, expected {value!r}")
    labels = config.get("Labels", {})
    if labels.get("org.opencontainers.image.version") != version:
        problems.append(f"label version is {labels.get('org.opencontainers.image.version')!r}")
    if labels.get("org.opencontainers.image.source") != "https://github.com/jamf-exporter/jamf_exporter":
        problems.append(f"label source is {labels.get('org.opencontainers.image.source')!r}")
    if len(manifest["layers"]) != 1:
        problems.append(f"{len(manifest['layers'])} layers, expected 1")
    if problems:
        sys.exit("check_oci: " + "; ".join(problems))


if __name__ == "__main__":
    main()
