#!/bin/sh
# Counts failed requests while a server's master gets a signal twice, with a
# load that does not retry: wrk, or the project's raw client (keep-alive GETs,
# fresh GETs, keep-alive POSTs). The README's reload figures come from this
# harness, for resync and for gunicorn alike.
#
#   tests/loadclient/during-signals.sh ADDR PID SIGNAL wrk|raw
#
# ADDR is host:port of a running server, PID its master; SIGNAL is HUP, TTOU,
# … or none. The load runs 8 s; the signal goes at 2 s and at 4 s.
set -eu
addr=$1 pid=$2 sig=$3 tool=$4
cd "$(dirname "$0")/../.."
case $tool in
wrk) wrk -t2 -c32 -d8s --timeout 10s "http://$addr/api/v1/health/live" & ;;
raw) go build -o /tmp/resync-loadclient ./tests/loadclient/cmd/loadclient &&
	/tmp/resync-loadclient -addr "$addr" -d 8s -keepalive 16 -fresh 8 -posts 8 & ;;
*) echo "tool: wrk or raw" >&2; exit 2 ;;
esac
load=$!
sleep 2
if [ "$sig" != none ]; then kill -s "$sig" "$pid"; sleep 2; kill -s "$sig" "$pid"; fi
wait $load || true
