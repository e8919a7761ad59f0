#!/usr/bin/env bash
# Peak memory of 'dvmm serve --once' draining N queued provisioning commands
# (default 1000) against 'dvmm sim' running as a separate process.
#   scripts/bench-serve-memory.sh [N]
set -euo pipefail
n=${1:-1000}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill "${sim_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/dvmm" ./cmd/dvmm
dvmm="$work/dvmm"
export DVMM_DB="$work/dvmm.db" DVMM_SECRET_KEY="$work/secret.key" DVMM_TENANT=acme XDG_CONFIG_HOME="$work/config"
port=$((20000 + RANDOM % 20000))
"$dvmm" sim --listen "127.0.0.1:$port" --dir "$work" > "$work/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 50); do grep -q thumbprint "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
thumb=$(grep -o -- '--thumbprint [^ ]*' "$work/sim.out" | head -1 | cut -d' ' -f2)
user=$(grep -o 'GOVC_USERNAME=[^ ]*' "$work/sim.out" | cut -d= -f2)
"$dvmm" tenant create acme --admin alice >/dev/null
"$dvmm" --user alice tenant add-member acme bob >/dev/null
"$dvmm" --user alice vmware set --url "https://127.0.0.1:$port/sdk" --username "$user" \
  --password-file "$work/vcenter-password" --datacenter DC0 --cluster DC0_C0 --datastore LocalDS_0 \
  --network "VM Network" --template ubuntu-22.04-template --thumbprint "$thumb" --ip-timeout 5s >/dev/null
echo "queueing $n approvals..." >&2
for i in $(seq -w 1 "$n"); do
  id=$("$dvmm" --user bob request create --name "vm-$i" --size S --project load --justification "memory benchmark of serve")
  "$dvmm" --user alice request approve "$id" >/dev/null
done
echo "draining with serve --once --workers 8..." >&2
/usr/bin/time -v "$dvmm" serve --once --workers 8 --log-format json 2> "$work/serve.err" >/dev/null || true
grep -E 'Maximum resident set size|Elapsed \(wall clock\)' "$work/serve.err"
echo "ready: $("$dvmm" --user bob request list --status ready -o json | grep -c '"justification"') of $n"
