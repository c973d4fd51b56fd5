#!/usr/bin/env bash
# ctest packaging_metadata: the desktop file, the AppStream metainfo and the systemd unit
# pass their validators. systemd-analyze verify needs the ExecStart binary to exist, so it
# checks a copy of the unit pointed at the nobillctl just built.
# Usage: check-metadata.sh DESKTOP METAINFO UNIT NOBILLCTL
set -euo pipefail
desktop=$1 metainfo=$2 unit=$3 nobillctl=$4

desktop-file-validate "$desktop"
appstreamcli validate --no-net "$metainfo"

work=$(mktemp -d /tmp/nobill-unit-XXXXXX)
trap 'rm -rf "$work"' EXIT
sed "s|/usr/bin/nobillctl|$nobillctl|" "$unit" >"$work/nobill-serve.service"
# verify prints problems but exits 0 for some of them: any output is a failure.
out=$(systemd-analyze verify "$work/nobill-serve.service" 2>&1) || {
  echo "$out"
  exit 1
}
if [ -n "$out" ]; then
  echo "$out"
  exit 1
fi
for key in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
  PrivateDevices=yes 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' CapabilityBoundingSet= \
  SystemCallFilter=@system-service MemoryDenyWriteExecute=yes DynamicUser=yes \
  LoadCredential=stripe-secret-key: LoadCredential=webhook-secret: LoadCredential=db-password:; do
  grep -q "^$key" "$unit" || {
    echo "The unit lacks $key"
    exit 1
  }
done
# The unit's command line, the office profile's [listener] keys and serve.env's examples are
# what nobillctl serve really accepts: run them with --check (no secrets, no database).
packaging=$(dirname "$unit")/..
sed '/^;\[listener\]/,$ s/^;\([^;]\)/\1/' "$packaging/office.conf" >"$work/office.conf"
grep -q '^\[listener\]' "$work/office.conf" || {
  echo "office.conf has no [listener] section to check"
  exit 1
}
check() {
  ASAN_OPTIONS=detect_leaks=0 NOBILL_OFFICE_PROFILE="$work/office.conf" \
    XDG_CONFIG_HOME="$work/config" XDG_CONFIG_DIRS="$work" "$nobillctl" "$@" --check >"$work/check.out" 2>&1 || {
    echo "nobillctl refuses the unit's options ($*):"
    cat "$work/check.out"
    exit 1
  }
}
exec_start=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s|/usr/bin/nobillctl|$nobillctl|")
db=postgresql://nobill_serve@db.office.example:5432/nobill
# shellcheck disable=SC2046 # split like systemd splits $VAR
check $(echo "$exec_start" | sed "s|\${NOBILL_SERVE_DB}|$db|; s|\$NOBILL_SERVE_OPTIONS||" | cut -d' ' -f2-)
grep -q 'check: webhook listener on http://127.0.0.1:8787/stripe/webhook' "$work/check.out" || {
  echo "the unit with the office profile does not listen on 127.0.0.1:8787:"
  cat "$work/check.out"
  exit 1
}
while read -r options; do
  # shellcheck disable=SC2086
  check serve --db "$db" $options
done < <(sed -n 's/^#NOBILL_SERVE_OPTIONS=//p' "$packaging/serve.env")

exposure=$(systemd-analyze security --offline=yes "$work/nobill-serve.service" 2>/dev/null |
  sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "desktop file, metainfo and unit are valid; systemd exposure level $exposure"
