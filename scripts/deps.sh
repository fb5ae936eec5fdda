#!/usr/bin/env bash
# Install only what pktcraft's build, demo and tests need and the machine lacks.
# With the argument bench: what make bench needs instead.
# Runs as root directly, through sudo when available, and otherwise prints the
# exact command a user must run. Safe to run again: installed packages are skipped.
set -euo pipefail

pkgs=(build-essential pkg-config clang libclang-rt-14-dev libpcap-dev libnet1-dev libcriterion-dev
      zlib1g-dev tshark tcpdump python3 python3-dpkt python3-scapy valgrind cppcheck clang-tidy
      # tests/test_live.c (scripts/live-traffic): real programs in network namespaces. dnsmasq-base,
      # not dnsmasq: the latter starts a system-wide DNS service on install. ethtool turns
      # segmentation offloads off, so a capture shows wire-sized segments.
      iproute2 procps curl openssl dnsmasq-base bind9-dnsutils nftables ethtool)

# scripts/deps.sh bench: what make bench needs (scripts/bench and the tools it
# times), never part of make test's list above.
if [ "${1:-}" = bench ]; then
    pkgs=(build-essential libpcap-dev zlib1g-dev libnet1-dev tcpdump tshark python3 python3-dpkt python3-scapy)
fi

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
    sudo_cmd=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo_cmd=(sudo)
else
    echo "deps: missing packages; run as root:" >&2
    echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo_cmd[@]}" debconf-set-selections 2>/dev/null || true
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done" >&2
