#!/usr/bin/env bash
# Installs outlierd: the release binary, the systemd unit, the sysusers.d
# and tmpfiles.d files, and /etc/outlierd/outlierd.conf (never overwriting an
# existing one: the new default goes beside it as outlierd.conf.dist).
#
#   scripts/install.sh                     # build and install under PREFIX=/usr/local
#   PREFIX=/usr scripts/install.sh         # distribution layout
#   DESTDIR=/tmp/stage scripts/install.sh  # stage into a directory (packaging, CI)
#
# On a live system (no DESTDIR) it then creates the user and directories and
# reloads systemd; start the service with `systemctl enable --now outlierd`.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
SYSCONFDIR=${SYSCONFDIR:-/etc}
# systemd reads units, sysusers.d and tmpfiles.d under /usr/lib and /usr/local/lib.
LIBDIR="$PREFIX/lib"
[ "$PREFIX" = "/usr" ] || [ "$PREFIX" = "/usr/local" ] || LIBDIR=/usr/local/lib

if [ -z "${OUTLIERD_BINARY:-}" ]; then
  # The Swift runtime linked in: the binary needs only Debian's libsqlite3
  # and libssl on the server (scripts/check-minimal-root proves it).
  scripts/setup
  swift build -c release --product outlierd --static-swift-stdlib --scratch-path .build-static
  OUTLIERD_BINARY=$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/outlierd
fi

install -d "$DESTDIR$PREFIX/bin" "$DESTDIR$LIBDIR/systemd/system" "$DESTDIR$LIBDIR/sysusers.d" \
  "$DESTDIR$LIBDIR/tmpfiles.d" "$DESTDIR$SYSCONFDIR/outlierd" "$DESTDIR$PREFIX/share/doc/outlierd"
install -m 0755 "$OUTLIERD_BINARY" "$DESTDIR$PREFIX/bin/outlierd"
sed "s|@BINDIR@|$PREFIX/bin|g" systemd/outlierd.service > "$DESTDIR$LIBDIR/systemd/system/outlierd.service"
chmod 0644 "$DESTDIR$LIBDIR/systemd/system/outlierd.service"
install -m 0644 systemd/outlierd.sysusers "$DESTDIR$LIBDIR/sysusers.d/outlierd.conf"
install -m 0644 systemd/outlierd.tmpfiles "$DESTDIR$LIBDIR/tmpfiles.d/outlierd.conf"
install -m 0644 README.md "$DESTDIR$PREFIX/share/doc/outlierd/README.md"
config="$DESTDIR$SYSCONFDIR/outlierd/outlierd.conf"
if [ -e "$config" ] && ! cmp -s etc/outlierd.conf "$config"; then
  install -m 0644 etc/outlierd.conf "$config.dist"
  echo "install: kept your $SYSCONFDIR/outlierd/outlierd.conf; the new default is outlierd.conf.dist"
else
  install -m 0644 etc/outlierd.conf "$config"
fi

if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
  systemd-sysusers "$LIBDIR/sysusers.d/outlierd.conf"
  systemd-tmpfiles --create "$LIBDIR/tmpfiles.d/outlierd.conf"
  systemctl daemon-reload
  echo "install: done; start it with: systemctl enable --now outlierd"
else
  echo "install: files staged under ${DESTDIR:-/}"
fi
