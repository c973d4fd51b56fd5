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
exposure=$(systemd-analyze security --offline=yes "$work/nobill-serve.service" 2>/dev/null |
  sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "desktop file, metainfo and unit are valid; systemd exposure level $exposure"
