#!/usr/bin/env bash
# Checks the relay's image tarball without a container engine: unpacks its layers into a
# directory, reads the image config (entrypoint, default command, user, environment, ports) and
# runs the entrypoint the way a container runtime would, in its own mount and PID namespaces with
# /proc, a minimal /dev and the image's user, environment and working directory, under chroot.
#
#   verify-image.sh IMAGE_TAR [WORK_DIR]
#
# Checks, each printed as it passes:
#   - the config: a non-root user, port 8080 exposed, default command `run`;
#   - `--help` and `--version` answer (the Java runtime, its libraries and the classpath work);
#   - the default command without settings exits 2 and lists the missing settings (UTF-8 intact);
#   - with a PostgreSQL at 127.0.0.1:5432 (trust auth, user postgres; or VERIFY_PG_HOST/PORT/USER),
#     in a scratch database dropped afterwards: `migrate`, `status --json`, then `run` serving
#     /health and /metrics on a free port (Kafka deliberately unreachable: /health says DOWN) and
#     exiting 0 on SIGTERM sent to it as PID 1. Without a PostgreSQL these are skipped, and said so.
#
# Needs Linux, unshare, chroot, tar, python3 (JSON); as root the entrypoint runs as the image's
# user, otherwise in a user namespace as a mapped root.
set -euo pipefail

tarball=${1:?IMAGE_TAR}
work=${2:-$(dirname "$tarball")/image-verify}
root="$work/rootfs"
pg_host=${VERIFY_PG_HOST:-127.0.0.1}
pg_port=${VERIFY_PG_PORT:-5432}
pg_user=${VERIFY_PG_USER:-postgres}

log() { printf '[verify-image] %s\n' "$*"; }
fail() { printf '[verify-image] FAILED: %s\n' "$*" >&2; exit 1; }

for tool in unshare chroot tar python3; do
  command -v "$tool" >/dev/null || fail "needs $tool"
done
[ -f "$tarball" ] || fail "no image tarball at $tarball (build it: mvn -Pimage package)"

# Never delete through a mount: everything is mounted only inside the private namespaces below,
# but check anyway before emptying the work directory.
if grep -qF " $(realpath -m "$work")/" /proc/self/mounts; then
  fail "something is mounted under $work; refusing to delete it"
fi
rm -rf "$work"
mkdir -p "$work/tar" "$root"
tar -xf "$tarball" -C "$work/tar" --warning=no-unknown-keyword

# --- the image: OCI layout (index.json) or docker-save layout (manifest.json) ------------------
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }
blob() { echo "$work/tar/blobs/${1%%:*}/${1#*:}"; }
if [ -f "$work/tar/index.json" ]; then
  manifest=$(blob "$(json "$work/tar/index.json" 'print(d["manifests"][0]["digest"])')")
  config=$(blob "$(json "$manifest" 'print(d["config"]["digest"])')")
  mapfile -t layers < <(json "$manifest" 'print("\n".join(l["digest"] for l in d["layers"]))')
  for i in "${!layers[@]}"; do layers[i]=$(blob "${layers[i]}"); done
  log "OCI image layout, ${#layers[@]} layers"
elif [ -f "$work/tar/manifest.json" ]; then
  config="$work/tar/$(json "$work/tar/manifest.json" 'print(d[0]["Config"])')"
  mapfile -t layers < <(json "$work/tar/manifest.json" 'print("\n".join(d[0]["Layers"]))')
  for i in "${!layers[@]}"; do layers[i]="$work/tar/${layers[i]}"; done
  log "docker-save layout, ${#layers[@]} layers"
else
  fail "$tarball has neither index.json (OCI) nor manifest.json (docker save)"
fi
for layer in "${layers[@]}"; do
  if tar -tzf "$layer" --warning=no-unknown-keyword | grep -q '\.wh\.'; then
    fail "layer $(basename "$layer") has whiteout files; this script only handles added files"
  fi
  tar -xzf "$layer" -C "$root" --no-same-owner --warning=no-unknown-keyword
done

# --- the config ----------------------------------------------------------------------------------
cfg() { json "$config" "c=d.get('config',{}); $1"; }
user=$(cfg 'print(c.get("User",""))')
workdir=$(cfg 'print(c.get("WorkingDir","") or "/")')
mapfile -t entrypoint < <(cfg 'print("\n".join(c.get("Entrypoint") or []))')
mapfile -t cmd < <(cfg 'print("\n".join(c.get("Cmd") or []))')
mapfile -t env < <(cfg 'print("\n".join(c.get("Env") or []))')
ports=$(cfg 'print(" ".join(sorted((c.get("ExposedPorts") or {}).keys())))')
arch=$(json "$config" 'print(d.get("os","?") + "/" + d.get("architecture","?"))')
log "platform $arch; entrypoint: ${entrypoint[*]}; cmd: ${cmd[*]}; user $user; ports $ports"

[ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] || fail "the image runs as root (User='$user')"
[[ " $ports " == *" 8080/tcp "* ]] || fail "port 8080 is not exposed (ExposedPorts: $ports)"
[ "${cmd[*]}" = run ] || fail "the default command is '${cmd[*]}', expected 'run'"
[ ${#entrypoint[@]} -gt 0 ] && [ -x "$root${entrypoint[0]}" ] || fail "entrypoint ${entrypoint[0]:-(none)} is not an executable in the image"
log "ok: config (non-root user $user, port 8080, default command run)"

# --- running it ----------------------------------------------------------------------------------
# Outer namespaces (as a runtime makes them): a private mount namespace with /proc and a minimal
# /dev mounted into the unpacked image, and a PID namespace in which the entrypoint is PID 1.
# Inside, util-linux unshare changes root and working directory and switches to the image's user,
# and the environment is exactly the image's (plus what a check adds).
mkdir -p "$root/proc" "$root/dev"
unshare_bin=$(command -v unshare)
if [ "$(id -u)" = 0 ]; then
  outer=(unshare --kill-child --mount --pid)
  uid=${user%%:*}
  gid=${user#*:}
  [ "$gid" != "$user" ] || gid=$uid
  ids=(--setgid="$gid" --setuid="$uid")
else
  outer=(unshare --kill-child --map-root-user --mount --pid)
  ids=()
  log "not root: the entrypoint runs as the user namespace's root, not as $user"
fi

# in_image [VAR=value...] -- [ARG...]: the entrypoint with ARGs (none: the image's Cmd), killed
# after $limit seconds
limit=120
in_image() {
  local extra_env=()
  while [ "$1" != -- ]; do extra_env+=("$1"); shift; done
  shift
  local args=("$@")
  [ $# -gt 0 ] || args=("${cmd[@]}")
  timeout "$limit" "${outer[@]}" bash -c '
    set -e
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount -t tmpfs -o mode=755,size=1m tmpfs "$root/dev"
    for n in null zero full random urandom; do
      touch "$root/dev/$n"
      mount --bind "/dev/$n" "$root/dev/$n"
    done
    exec "$@"
  ' in-image "$root" \
    env -i "${env[@]}" "${extra_env[@]}" \
    "$unshare_bin" --root="$root" --wd="$workdir" "${ids[@]}" -- "${entrypoint[@]}" "${args[@]}"
}

out="$work/out.txt"
err="$work/err.txt"

set +e
in_image -- --help >"$out" 2>"$err"; rc=$?
set -e
[ $rc = 0 ] || { cat "$out" "$err"; fail "--help exited $rc"; }
for word in run migrate status; do
  grep -q "^  $word " "$out" || { cat "$out"; fail "--help does not list the $word command"; }
done
log "ok: --help lists run, migrate, status"

set +e
in_image -- --version >"$out" 2>"$err"; rc=$?
set -e
[ $rc = 0 ] && grep -q 'Waybill outbox relay' "$out" || { cat "$out" "$err"; fail "--version exited $rc"; }
log "ok: --version: $(head -1 "$out")"

# The default command with no settings at all: the relay refuses to start and says what is missing.
set +e
in_image -- >"$out" 2>"$err"; rc=$?
set -e
[ $rc = 2 ] || { cat "$out" "$err"; fail "run without settings exited $rc, expected 2"; }
grep -q 'db.url' "$err" && grep -q 'kafka.bootstrap.servers' "$err" \
  || { cat "$err"; fail "run without settings did not name db.url and kafka.bootstrap.servers"; }
grep -q '→' "$err" || { cat "$err"; fail "the error text lost its UTF-8 arrows (locale?)"; }
log "ok: run without settings exits 2 naming the missing settings"

# --- against a real database ---------------------------------------------------------------------
if ! command -v psql >/dev/null || ! psql -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres \
  -Atqc 'SELECT 1' >/dev/null 2>&1; then
  log "SKIPPED: migrate, status and run against PostgreSQL (none at $pg_host:$pg_port for user $pg_user)"
  log "passed (without the database checks)"
  exit 0
fi
db="waybill_image_verify_$$"
relay_pid=
cleanup() {
  [ -z "$relay_pid" ] || kill -KILL "$relay_pid" 2>/dev/null || true
  psql -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres -qc "DROP DATABASE IF EXISTS $db" \
    >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres -qc "CREATE DATABASE $db" >/dev/null
db_env=(WAYBILL_DB_URL="jdbc:postgresql://$pg_host:$pg_port/$db" WAYBILL_DB_USER="$pg_user"
  WAYBILL_DB_PASSWORD=unused-with-trust-auth)

set +e
in_image "${db_env[@]}" -- migrate >"$out" 2>"$err"; rc=$?
set -e
[ $rc = 0 ] || { cat "$out" "$err"; fail "migrate exited $rc"; }
log "ok: migrate: $(tail -1 "$out")"

set +e
in_image "${db_env[@]}" -- status --json >"$out" 2>"$err"; rc=$?
set -e
[ $rc = 0 ] && grep -q '"pending"' "$out" || { cat "$out" "$err"; fail "status --json exited $rc"; }
log "ok: status --json: $(tr -d '\n ' <"$out" | cut -c1-100)..."

# run: settings only from the environment, Kafka unreachable on purpose (port 9 on loopback)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
limit=300
in_image "${db_env[@]}" WAYBILL_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9 WAYBILL_HTTP_PORT="$port" \
  WAYBILL_RELAY_INSTANCE_ID=image-verify -- >"$out" 2>"$err" &
outer_pid=$!
health=
for _ in $(seq 1 120); do
  health=$(python3 - "$port" <<'PY' 2>/dev/null || true
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen("http://127.0.0.1:%s/health" % sys.argv[1], timeout=2)
    print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
)
  [ -z "$health" ] || break
  kill -0 "$outer_pid" 2>/dev/null || break
  sleep 1
done
[ -n "$health" ] || { cat "$out" "$err"; fail "run did not serve /health on port $port"; }
log "ok: run serves /health: $(echo "$health" | cut -c1-120)"
metrics=$(python3 -c 'import sys,urllib.request; print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())' "$port")
grep -q '^waybill_relay_' <<<"$metrics" || fail "/metrics has no waybill_relay_ meters"
log "ok: /metrics serves $(grep -c '^waybill_relay_' <<<"$metrics") waybill_relay_ samples"

# SIGTERM to the entrypoint, PID 1 of its namespace: the java process below this script's
# background job (job shell → timeout → unshare → java)
relay_pid=$outer_pid
for _ in 1 2 3 4 5; do
  [ "$(ps -o comm= -p "$relay_pid" 2>/dev/null)" = java ] && break
  relay_pid=$(ps -o pid= --ppid "$relay_pid" | tr -d ' ' | head -1)
  [ -n "$relay_pid" ] || break
done
[ -n "$relay_pid" ] && [ "$(ps -o comm= -p "$relay_pid")" = java ] || fail "cannot find the relay's java process"
kill -TERM "$relay_pid"
set +e
timeout 60 tail --pid="$relay_pid" -f /dev/null
wait "$outer_pid"; rc=$?
set -e
relay_pid=
[ $rc = 0 ] || { tail -20 "$out" "$err"; fail "run exited $rc after SIGTERM, expected 0"; }
log "ok: run stops on SIGTERM as PID 1 and exits 0"
log "passed"
