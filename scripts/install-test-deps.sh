#!/usr/bin/env bash
# Installs the Debian packages that some of charla's tests use, when they are missing:
#   openssl    makes the throw-away TLS certificate of the TLS tests
#   iproute2   `ss` (keep-alive check) and `ip netns` (kernel mode of `charla compare`)
#   nftables   packet loss inside the lab's own network namespaces
#   chromium   renders the `charla compare --report` page, and drives the browser page (test/browser/)
#   tmux       drives the interactive client (and irssi) in a real terminal
#   irssi      an IRC client against the IRC port (test/integration/irssi.test.ts)
#   tcpdump    the packet capture of `charla compare --capture`
#   redis-server  the Redis of the cluster tests (test/integration/cluster.test.ts)
#   gcc        builds bench/wsgen/wsgen.c, the C WebSocket load generator (test/integration/wsgen.test.ts)
# Run as root (sudo bash scripts/install-test-deps.sh). Tests skip with a message without them.
set -euo pipefail
want=(openssl:openssl ss:iproute2 ip:iproute2 nft:nftables chromium:chromium tmux:tmux tcpdump:tcpdump python3:python3 irssi:irssi redis-server:redis-server cc:gcc)
missing=()
for pair in "${want[@]}"; do
  cmd=${pair%%:*} pkg=${pair##*:}
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: everything is already installed"
  exit 0
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
