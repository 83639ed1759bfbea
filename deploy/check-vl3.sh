#!/usr/bin/env bash
# Checks the vL3 end to end: every helloworld pod (deploy/examples/helloworld) reaches every other
# one over its nsm-1 address in the vL3 pool. Exits 0 only if every check passed; 1 on any failure.
#
#   deploy/check-vl3.sh [--namespace vl3-demo] [--nse-namespace vl3-nse] [--pool 172.16.0.0/16] [--timeout 300s]
#
# Needs kubectl with access to the cluster; the helloworld pods' toolbox container brings ip and wget.
set -uo pipefail

NAMESPACE=vl3-demo
NSE_NAMESPACE=vl3-nse
POOL=172.16.0.0/16
TIMEOUT=300s
SELECTOR=app=helloworld
IFNAME=nsm-1
PORT=5000
KUBECTL=${KUBECTL:-kubectl}

while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) NAMESPACE=$2; shift 2 ;;
    --nse-namespace) NSE_NAMESPACE=$2; shift 2 ;;
    --pool) POOL=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

ip2int() {
  local IFS=. a b c d
  read -r a b c d <<<"$1"
  echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

# in_pool ADDRESS: whether the IPv4 address is inside POOL.
in_pool() {
  local net=${POOL%/*} len=${POOL#*/}
  local mask=$(((0xffffffff << (32 - len)) & 0xffffffff))
  [ $(($(ip2int "$1") & mask)) -eq $(($(ip2int "$net") & mask)) ]
}

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

echo "waiting for the vl3-nse pods in $NSE_NAMESPACE and the helloworld pods in $NAMESPACE"
$KUBECTL -n "$NSE_NAMESPACE" wait --for=condition=Ready pod -l app.kubernetes.io/name=vl3-nse --timeout="$TIMEOUT" >/dev/null ||
  fail "vl3-nse pods are not ready"
$KUBECTL -n "$NAMESPACE" wait --for=condition=Ready pod -l "$SELECTOR" --timeout="$TIMEOUT" >/dev/null ||
  fail "helloworld pods are not ready"

read -r -a pods <<<"$($KUBECTL -n "$NAMESPACE" get pods -l "$SELECTOR" -o jsonpath='{.items[*].metadata.name}')"
if [ "${#pods[@]}" -lt 2 ]; then
  fail "need at least 2 helloworld pods in $NAMESPACE, found ${#pods[@]}"
  exit 1
fi

declare -A addr
for pod in "${pods[@]}"; do
  found=""
  out=$($KUBECTL -n "$NAMESPACE" exec "$pod" -c toolbox -- ip -o -f inet addr show dev "$IFNAME" 2>&1) ||
    { fail "$pod: no $IFNAME interface ($out)"; continue; }
  for a in $(grep -oE 'inet [0-9.]+' <<<"$out" | cut -d' ' -f2); do
    if in_pool "$a"; then found=$a; break; fi
  done
  if [ -z "$found" ]; then fail "$pod: no address of $POOL on $IFNAME"; continue; fi
  addr[$pod]=$found
  echo "$pod: $IFNAME $found"
done

passed=0
for src in "${pods[@]}"; do
  for dst in "${pods[@]}"; do
    [ "$src" = "$dst" ] && continue
    target=${addr[$dst]:-}
    [ -z "$target" ] && continue # already counted as a failure above
    reply=$($KUBECTL -n "$NAMESPACE" exec "$src" -c toolbox -- wget -q -T 5 -O - "http://$target:$PORT/hello" 2>&1)
    if grep -q "Hello version" <<<"$reply"; then
      echo "ok: $src -> $dst ($target)"
      passed=$((passed + 1))
    else
      fail "$src -> $dst ($target): ${reply:-no answer}"
    fi
  done
done

if [ "$failures" -eq 0 ]; then
  echo "vL3 check: all $passed pairs reachable"
else
  echo "vL3 check: $failures failures, $passed pairs reachable"
  exit 1
fi
