#!/usr/bin/env bash
# Removes what scripts/install.sh installed, but keeps the data
# (/var/lib/outlierd, /var/spool/outlierd), the config (/etc/outlierd) and the
# user, so a later install picks up where this one stopped.
set -euo pipefail
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
LIBDIR="$PREFIX/lib"
[ "$PREFIX" = "/usr" ] || [ "$PREFIX" = "/usr/local" ] || LIBDIR=/usr/local/lib
if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
  systemctl disable --now outlierd.service outlierd-relay.socket outlierd-relay.service outlierd-notify.service 2>/dev/null || true
fi
rm -f "$DESTDIR$PREFIX/bin/outlierd" "$DESTDIR$LIBDIR/systemd/system/outlierd.service" \
  "$DESTDIR$LIBDIR/systemd/system/outlierd-relay.service" "$DESTDIR$LIBDIR/systemd/system/outlierd-relay.socket" \
  "$DESTDIR$LIBDIR/systemd/system/outlierd-notify.service" \
  "$DESTDIR$LIBDIR/sysusers.d/outlierd.conf" "$DESTDIR$LIBDIR/tmpfiles.d/outlierd.conf"
rm -rf "$DESTDIR$PREFIX/share/doc/outlierd"
if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
echo "uninstall: removed the program; kept /etc/outlierd, /var/lib/outlierd and /var/spool/outlierd"
