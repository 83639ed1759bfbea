#!/usr/bin/env bash
# A stand-in for kubectl for deploy/check-vl3.sh's tests: answers the few commands the script runs
# from files in $FAKE_KUBECTL_DIR (pods, addr.<pod>, unreachable, notready) and logs each call.
set -u
dir=${FAKE_KUBECTL_DIR:?}
echo "$*" >>"$dir/calls"
[ "$1" = "-n" ] && shift 2
case "$1" in
  wait) [ -e "$dir/notready" ] && { echo "timed out waiting for the condition" >&2; exit 1; }; exit 0 ;;
  get) cat "$dir/pods"; exit 0 ;;
  exec)
    pod=$2
    shift 2
    while [ "$1" != "--" ]; do shift; done
    shift
    case "$1" in
      ip) [ -e "$dir/addr.$pod" ] || { echo "Device \"nsm-1\" does not exist." >&2; exit 1; }; cat "$dir/addr.$pod" ;;
      wget)
        url=${*: -1}
        ip=${url#http://}
        ip=${ip%%:*}
        if grep -qx "$pod $ip" "$dir/unreachable" 2>/dev/null; then echo "wget: download timed out" >&2; exit 1; fi
        echo "Hello version: v1, instance: $pod"
        ;;
      *) echo "fake kubectl: unexpected exec $*" >&2; exit 3 ;;
    esac
    ;;
  *) echo "fake kubectl: unexpected $*" >&2; exit 3 ;;
esac
