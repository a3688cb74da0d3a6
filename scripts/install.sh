#!/usr/bin/env bash
# Installs outlierd: the release binary, the systemd units (the daemon, and
# the Graphite relay with its socket, not enabled), the sysusers.d
# and tmpfiles.d files, and /etc/outlierd/outlierd.conf (never overwriting an
# existing one: the new default goes beside it as outlierd.conf.dist).
#
#   scripts/install.sh                     # build and install under PREFIX=/usr/local
#   PREFIX=/usr scripts/install.sh         # distribution layout
#   DESTDIR=/tmp/stage scripts/install.sh  # stage into a directory (packaging, CI)
#   scripts/build-release && sudo scripts/install.sh
#                                          # build as yourself; sudo needs no toolchain
#   OUTLIERD_BINARY=path scripts/install.sh  # install a binary built elsewhere
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
  if command -v swift >/dev/null; then
    OUTLIERD_BINARY=$(scripts/build-release)
  else
    # sudo's PATH has no Swift toolchain: take what scripts/build-release
    # built as a normal user.
    OUTLIERD_BINARY=$(ls .build-static/*/release/outlierd 2>/dev/null | head -n 1 || true)
    if [ -z "$OUTLIERD_BINARY" ]; then
      echo "install: no swift on the PATH and no build found; build first as a normal user:" >&2
      echo "  scripts/build-release && sudo scripts/install.sh" >&2
      exit 1
    fi
    echo "install: installing $OUTLIERD_BINARY ($("$OUTLIERD_BINARY" --version))" >&2
  fi
fi

install -d "$DESTDIR$PREFIX/bin" "$DESTDIR$LIBDIR/systemd/system" "$DESTDIR$LIBDIR/sysusers.d" \
  "$DESTDIR$LIBDIR/tmpfiles.d" "$DESTDIR$SYSCONFDIR/outlierd" "$DESTDIR$PREFIX/share/doc/outlierd"
install -m 0755 "$OUTLIERD_BINARY" "$DESTDIR$PREFIX/bin/outlierd"
for unit in outlierd.service outlierd-relay.service outlierd-relay.socket outlierd-notify.service \
  outlierd@.service outlierd-relay@.service outlierd-relay@.socket outlierd-notify@.service \
  outlierd-dirs@.service; do
  sed -e "s|@BINDIR@|$PREFIX/bin|g" -e "s|@LIBDIR@|$LIBDIR|g" "systemd/$unit" > "$DESTDIR$LIBDIR/systemd/system/$unit"
  chmod 0644 "$DESTDIR$LIBDIR/systemd/system/$unit"
done
install -m 0644 systemd/outlierd.sysusers "$DESTDIR$LIBDIR/sysusers.d/outlierd.conf"
install -m 0644 systemd/outlierd.tmpfiles "$DESTDIR$LIBDIR/tmpfiles.d/outlierd.conf"
# Instances of a fleet (outlierd@.service) make their directories from this.
install -d "$DESTDIR$LIBDIR/outlierd"
install -m 0644 systemd/outlierd-instance.tmpfiles "$DESTDIR$LIBDIR/outlierd/instance.tmpfiles"
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
