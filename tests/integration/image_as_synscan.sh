#!/bin/sh
# Runs synscan from the container image (scripts/build-image) in place of a binary, for the lab
# drivers: they call "<synscan> ARGS" inside `ip netns exec <scanner namespace>`.
#   run_lab_test.py --synscan tests/integration/image_as_synscan.sh --targets 198.18.3.0/24 ...
# ip netns exec gives this process a mount namespace with a fresh /sys (no cgroup mounts), so
# podman runs in the parent's mount namespace, with the container in this process's network
# namespace (the lab's scanner side). The lab's outputs are under /tmp: mounted at the same path.
# IMAGE (default localhost/synscan:latest) and PODMAN_RUN_OPTIONS (e.g. "--runtime runc --ulimit
# nofile=1024:1024 --ulimit nproc=1000:1000" where crun cannot set up the container) as for
# scripts/build-image.
set -eu
namespace=$(ip netns identify $$)
[ -n "$namespace" ] || { echo "image_as_synscan: not inside a named network namespace" >&2; exit 1; }
conf=$(mktemp /tmp/synscan-containers-conf.XXXXXX)
trap 'rm -f "$conf"' EXIT
# podman's default ping_group_range sysctl is refused in a namespace it did not create.
printf '[containers]\ndefault_sysctls = []\n' > "$conf"
# shellcheck disable=SC2086  # PODMAN_RUN_OPTIONS is a list of options
CONTAINERS_CONF=$conf nsenter --mount=/proc/$PPID/ns/mnt -- podman run --rm ${PODMAN_RUN_OPTIONS:-} \
  --network "ns:/run/netns/$namespace" --cap-add NET_RAW,NET_ADMIN -v /tmp:/tmp \
  "${IMAGE:-localhost/synscan:latest}" "$@"
