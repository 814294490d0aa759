#!/usr/bin/env bash
# Installs the Debian packages tdock and its tests need. Idempotent: quick when all are present.
set -euo pipefail
PKGS=(
  busybox-static   # the kit's busybox image
  docker-registry  # the real registry (distribution 2.8) tests pull from, on loopback
  skopeo           # pushes the kit's OCI layouts into that registry
  debootstrap      # the kit's debian image
  apache2-utils    # htpasswd -B for the registry's basic-auth variant
  openssl          # the registry's TLS variant: a CA and a server certificate
  iproute2         # ip, tc: container networking
  nftables         # NAT and published ports
  runc crun        # reference runtimes for benchmarks
  docker.io        # reference daemon for benchmarks and interop tests (run on its own socket)
  curl             # reference client in the registry benchmark
  docker-compose   # docker-compose 1.29 (docker-py 5), a real client in interop tests
  python3-seccomp  # libseccomp, the reference for the seccomp compiler's differential test
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep package scripts from starting services (docker.io would start a system dockerd otherwise).
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; trap 'rm -f /usr/sbin/policy-rc.d' EXIT; fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
