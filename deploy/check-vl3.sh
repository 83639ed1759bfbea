#!/usr/bin/env bash
# Checks the vL3 end to end: every client pod (deploy/examples/helloworld by default) reaches every other
# one over its nsm-1 address in the vL3 pool (HTTP), pings every endpoint's own vL3 address, and at least
# one pair of clients on different nodes got through when they span nodes. IPv4 or IPv6 pools.
# Exits 0 only if every check passed; 1 on any failure.
#
#   deploy/check-vl3.sh [--namespace vl3-demo] [--selector app=helloworld] [--nse-namespace vl3-nse]
#                       [--pool 172.16.0.0/16 | fd00:10::/64] [--timeout 300s]
#
# Needs kubectl with access to the cluster; the client pods' toolbox container brings ip, ping and wget,
# and the vl3-nse pods ip (the image has iproute2).
set -uo pipefail

NAMESPACE=vl3-demo
NSE_NAMESPACE=vl3-nse
POOL=172.16.0.0/16
TIMEOUT=300s
SELECTOR=app=helloworld
NSE_SELECTOR=app.kubernetes.io/name=vl3-nse
IFNAME=nsm-1
PORT=5000
KUBECTL=${KUBECTL:-kubectl}

while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) NAMESPACE=$2; shift 2 ;;
    --selector) SELECTOR=$2; shift 2 ;;
    --nse-namespace) NSE_NAMESPACE=$2; shift 2 ;;
    --pool) POOL=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

# expand6 ADDRESS: the 8 groups of an IPv6 address, 4 hex digits each, separated by spaces.
expand6() {
  local a=${1%%/*} head tail groups=() out=() i
  if [[ $a == *::* ]]; then
    head=${a%%::*} tail=${a#*::}
    IFS=: read -r -a h <<<"$head"
    IFS=: read -r -a t <<<"$tail"
    groups=("${h[@]}")
    for ((i = 0; i < 8 - ${#h[@]} - ${#t[@]}; i++)); do groups+=(0); done
    groups+=("${t[@]}")
  else
    IFS=: read -r -a groups <<<"$a"
  fi
  for g in "${groups[@]}"; do out+=("$(printf '%04x' "0x${g:-0}")"); done
  echo "${out[*]}"
}

ip2int() {
  local IFS=. a b c d
  read -r a b c d <<<"$1"
  echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

# in_pool ADDRESS: whether the address (either family) is inside POOL.
in_pool() {
  local net=${POOL%/*} len=${POOL#*/}
  if [[ $net == *:* ]]; then
    [[ $1 == *:* ]] || return 1
    local -a x y
    read -r -a x <<<"$(expand6 "$1")"
    read -r -a y <<<"$(expand6 "$net")"
    local i bits mask
    for ((i = 0; i < 8 && len > 0; i++)); do
      bits=$((len >= 16 ? 16 : len))
      mask=$(((0xffff << (16 - bits)) & 0xffff))
      [ $((0x${x[i]} & mask)) -eq $((0x${y[i]} & mask)) ] || return 1
      len=$((len - bits))
    done
    return 0
  fi
  [[ $1 == *:* ]] && return 1
  local mask=$(((0xffffffff << (32 - len)) & 0xffffffff))
  [ $(($(ip2int "$1") & mask)) -eq $(($(ip2int "$net") & mask)) ]
}

# pool_addresses TEXT: the addresses of POOL in `ip -o addr` output.
pool_addresses() {
  for a in $(grep -oE 'inet6? [0-9a-fA-F.:]+' <<<"$1" | cut -d' ' -f2); do
    in_pool "$a" && echo "$a"
  done
}

url_host() { [[ $1 == *:* ]] && echo "[$1]" || echo "$1"; }

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

echo "waiting for the vl3-nse pods in $NSE_NAMESPACE and the client pods ($SELECTOR) in $NAMESPACE"
$KUBECTL -n "$NSE_NAMESPACE" wait --for=condition=Ready pod -l "$NSE_SELECTOR" --timeout="$TIMEOUT" >/dev/null ||
  fail "vl3-nse pods are not ready"
$KUBECTL -n "$NAMESPACE" wait --for=condition=Ready pod -l "$SELECTOR" --timeout="$TIMEOUT" >/dev/null ||
  fail "client pods are not ready"

declare -A node
pods=()
while read -r pod n; do
  [ -z "$pod" ] && continue
  pods+=("$pod")
  node[$pod]=${n:-?}
done < <($KUBECTL -n "$NAMESPACE" get pods -l "$SELECTOR" -o jsonpath='{range .items[*]}{.metadata.name} {.spec.nodeName}{"\n"}{end}')
if [ "${#pods[@]}" -lt 2 ]; then
  fail "need at least 2 client pods ($SELECTOR) in $NAMESPACE, found ${#pods[@]}"
  exit 1
fi

declare -A addr
for pod in "${pods[@]}"; do
  out=$($KUBECTL -n "$NAMESPACE" exec "$pod" -c toolbox -- ip -o addr show dev "$IFNAME" 2>&1) ||
    { fail "$pod: no $IFNAME interface ($out)"; continue; }
  found=$(pool_addresses "$out" | head -n 1)
  if [ -z "$found" ]; then fail "$pod: no address of $POOL on $IFNAME"; continue; fi
  addr[$pod]=$found
  echo "$pod (${node[$pod]}): $IFNAME $found"
done

passed=0
crossed=0
for src in "${pods[@]}"; do
  for dst in "${pods[@]}"; do
    [ "$src" = "$dst" ] && continue
    target=${addr[$dst]:-}
    [ -z "$target" ] && continue # already counted as a failure above
    reply=$($KUBECTL -n "$NAMESPACE" exec "$src" -c toolbox -- wget -q -T 5 -O - "http://$(url_host "$target"):$PORT/hello" 2>&1)
    if grep -q "Hello version" <<<"$reply"; then
      echo "ok: $src -> $dst ($target)"
      passed=$((passed + 1))
      [ "${node[$src]}" != "${node[$dst]}" ] && crossed=$((crossed + 1))
    else
      fail "$src -> $dst ($target): ${reply:-no answer}"
    fi
  done
done

# Every endpoint's own vL3 addresses (on its links, in the pool), pinged from every client.
read -r -a nses <<<"$($KUBECTL -n "$NSE_NAMESPACE" get pods -l "$NSE_SELECTOR" -o jsonpath='{.items[*].metadata.name}')"
endpoints=0
for nse in "${nses[@]}"; do
  out=$($KUBECTL -n "$NSE_NAMESPACE" exec "$nse" -c vl3-nse -- ip -o addr show 2>&1) ||
    { fail "$nse: cannot read its addresses ($out)"; continue; }
  own=$(pool_addresses "$out" | sort -u | head -n 1)
  [ -z "$own" ] && continue # no link yet: nobody to reach it through
  endpoints=$((endpoints + 1))
  for src in "${pods[@]}"; do
    [ -z "${addr[$src]:-}" ] && continue
    if out=$($KUBECTL -n "$NAMESPACE" exec "$src" -c toolbox -- ping -c 1 -W 3 "$own" 2>&1); then
      echo "ok: $src -> endpoint $nse ($own)"
    else
      fail "$src -> endpoint $nse ($own): ${out##*$'\n'}"
    fi
  done
done
[ "$endpoints" -eq 0 ] && fail "no vl3-nse pod has an address of $POOL"

nodes=$(printf '%s\n' "${node[@]}" | sort -u | wc -l)
if [ "$nodes" -gt 1 ] && [ "$crossed" -eq 0 ]; then
  fail "the clients run on $nodes nodes but no pair across nodes got through"
elif [ "$nodes" -le 1 ]; then
  echo "note: every client runs on one node; spread them to check pairs across nodes"
fi

if [ "$failures" -eq 0 ]; then
  echo "vL3 check: all $passed pairs reachable ($crossed across nodes), $endpoints endpoints answer"
else
  echo "vL3 check: $failures failures, $passed pairs reachable ($crossed across nodes)"
  exit 1
fi
