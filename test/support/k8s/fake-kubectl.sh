#!/usr/bin/env bash
# A stand-in for kubectl for deploy/check-vl3.sh's tests: answers the few commands the script runs
# from files in $FAKE_KUBECTL_DIR and logs each call: pods (client names), node.<pod> (its node,
# default node-a), addr.<pod> (its nsm-1 `ip -o addr`), nses (endpoint pod names, default vl3-nse-a),
# nseaddr.<nse> (its `ip -o addr`), unreachable ("<pod> <address>" lines), notready.
set -u
dir=${FAKE_KUBECTL_DIR:?}
echo "$*" >>"$dir/calls"
[ "$1" = "-n" ] && shift 2
case "$1" in
  wait) [ -e "$dir/notready" ] && { echo "timed out waiting for the condition" >&2; exit 1; }; exit 0 ;;
  get)
    if [[ "$*" == *vl3-nse* ]]; then cat "$dir/nses" 2>/dev/null || echo vl3-nse-a; exit 0; fi
    for pod in $(cat "$dir/pods"); do echo "$pod $(cat "$dir/node.$pod" 2>/dev/null || echo node-a)"; done
    exit 0
    ;;
  exec)
    pod=$2
    shift 2
    while [ "$1" != "--" ]; do shift; done
    shift
    unreachable() { grep -qx "$pod $1" "$dir/unreachable" 2>/dev/null; }
    case "$1" in
      ip)
        if [[ "$pod" == vl3-nse* ]]; then cat "$dir/nseaddr.$pod" 2>/dev/null; exit 0; fi
        [ -e "$dir/addr.$pod" ] || { echo "Device \"nsm-1\" does not exist." >&2; exit 1; }
        cat "$dir/addr.$pod"
        ;;
      wget)
        url=${*: -1}
        ip=${url#http://}
        ip=${ip#[}
        ip=${ip%%]*}
        ip=${ip%%:5000*}
        if unreachable "$ip"; then echo "wget: download timed out" >&2; exit 1; fi
        echo "Hello version: v1, instance: $pod"
        ;;
      ping)
        ip=${*: -1}
        if unreachable "$ip"; then printf 'PING %s\n1 packets transmitted, 0 packets received, 100%% packet loss\n' "$ip"; exit 1; fi
        printf 'PING %s\n1 packets transmitted, 1 packets received, 0%% packet loss\n' "$ip"
        ;;
      *) echo "fake kubectl: unexpected exec $*" >&2; exit 3 ;;
    esac
    ;;
  *) echo "fake kubectl: unexpected $*" >&2; exit 3 ;;
esac
