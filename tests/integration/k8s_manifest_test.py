#!/usr/bin/env python3
"""The Kubernetes manifests under scripts/k8s: structure of the Indexed Job (completion index ->
--shard i/n with one shared seed, hostNetwork, NET_RAW/NET_ADMIN, results on a volume) and the
merge Job; the shard arithmetic is checked by running the pod's own shell command with every
completion index and asserting the shards are 1..n exactly once."""
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        failures.append(message)


def main():
    with open(os.path.join(ROOT, "scripts/k8s/synscan-shards.yaml")) as f:
        documents = [d for d in yaml.safe_load_all(f) if d]
    kinds = {d["kind"]: d for d in documents}
    check(set(kinds) == {"PersistentVolumeClaim", "ConfigMap", "Job"}, f"documents: {sorted(kinds)}")
    job, config = kinds["Job"], kinds["ConfigMap"]["data"]
    spec = job["spec"]
    shards = int(config["SHARDS"])
    check(job["apiVersion"] == "batch/v1", "Job is batch/v1")
    check(spec.get("completionMode") == "Indexed", "completionMode Indexed")
    check(spec.get("completions") == shards, f"completions == SHARDS ({shards})")
    pod = spec["template"]["spec"]
    check(pod.get("hostNetwork") is True, "hostNetwork: true")
    check(pod.get("restartPolicy") in ("Never", "OnFailure"), "restartPolicy valid for a Job")
    container = pod["containers"][0]
    added = set(container["securityContext"]["capabilities"]["add"])
    check({"NET_RAW", "NET_ADMIN"} <= added, f"capabilities add NET_RAW and NET_ADMIN ({sorted(added)})")
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    check(mounts.get("results") == "/results" and "persistentVolumeClaim" in volumes.get("results", {}),
          "results go to a persistent volume")
    check(volumes["results"]["persistentVolumeClaim"]["claimName"] == kinds["PersistentVolumeClaim"]["metadata"]["name"],
          "the volume is the manifest's claim")
    command = container["args"][0]
    check("--seed" in command and "${SEED}" in command, "every shard uses the shared seed")

    # Run the pod's command line with `synscan` replaced by echo, for each completion index.
    env = dict(os.environ, **config)
    seen = []
    for index in range(shards):
        env["JOB_COMPLETION_INDEX"] = str(index)
        line = command.replace("exec synscan", "echo")
        out = subprocess.run(["/bin/sh", "-c", line], env=env, capture_output=True, text=True, check=True).stdout
        match = re.search(r"--shard (\d+)/(\d+)", out)
        check(match is not None and int(match.group(2)) == shards, f"index {index}: {out.strip()[:90]}")
        if match:
            seen.append(int(match.group(1)))
        check(f"--seed {config['SEED']}" in out, f"index {index} passes the seed")
        check(f"shard-{index + 1}-of-{shards}" in out, f"index {index} writes its own files")
    check(sorted(seen) == list(range(1, shards + 1)), f"shards 1..{shards} exactly once: {seen}")

    with open(os.path.join(ROOT, "scripts/k8s/synscan-merge.yaml")) as f:
        merge = yaml.safe_load(f)
    merge_args = merge["spec"]["template"]["spec"]["containers"][0]["args"][0]
    check(merge["kind"] == "Job" and "synscan merge" in merge_args and "/results/shard-" in merge_args,
          "merge Job runs synscan merge over the shard files")

    # The image is the one scripts/build-image makes (localhost/synscan:<project version>), which
    # no registry has: never pulled.
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        version = re.search(r"project\(synscan VERSION ([0-9.]+)", f.read()).group(1)
    with open(os.path.join(ROOT, "scripts/build-image")) as f:
        build_image = f.read()
    check('-t "localhost/synscan:$version"' in build_image, "scripts/build-image tags localhost/synscan:VERSION")
    for name, pod_container in (("synscan-shards.yaml", container),
                                ("synscan-merge.yaml", merge["spec"]["template"]["spec"]["containers"][0])):
        check(pod_container["image"] == f"localhost/synscan:{version}",
              f"{name}: image localhost/synscan:{version} ({pod_container['image']})")
        check(pod_container.get("imagePullPolicy") == "Never", f"{name}: imagePullPolicy Never")
    print("RESULT:", "FAIL" if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
