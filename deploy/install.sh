#!/usr/bin/env bash
# Install or upgrade qanat on a Debian/Raspberry Pi OS bookworm box (aarch64 or amd64).
#
#   sudo deploy/install.sh [--site SITE.toml] [--source DIR|WHEEL] [--wheelhouse DIR]
#                          [--map-adapters] [--root DIR] [--no-useradd] [--no-systemctl]
#                          [--no-pip] [--python PY]
#
# What it does (again on every run: running it again upgrades, keeping data and config):
#   * a system user `qanat` (group qanat, member of dialout for the RS485 adapters);
#   * /opt/qanat/venv: a virtual environment with qanat installed from this checkout
#     (or --source DIR|WHEEL; --wheelhouse DIR installs offline from wheels);
#   * /etc/qanat (config, root:qanat 0750), /var/lib/qanat (data), /var/cache/qanat/numba;
#   * before an upgrade, a backup of the data and config in /var/lib/qanat/backups;
#   * the numba kernels compiled into /var/cache/qanat/numba as the qanat user (qanat warmup);
#   * the systemd unit and the udev rules (stable /dev/ttyQANATn names: --map-adapters);
#   * qanat check-config on /etc/qanat/site.toml, then the service enabled and (re)started.
#
# For tests and image staging: --root DIR prefixes every path (DESTDIR is honoured too),
# --no-useradd skips the user and ownership, --no-systemctl skips systemctl and udevadm,
# --no-pip uses the venv already at <root>/opt/qanat/venv as it is.
set -euo pipefail

ROOT="${DESTDIR:-}"
SITE=""
SOURCE=""
WHEELHOUSE=""
PYTHON="python3"
USERADD=1
SYSTEMCTL=1
PIP=1
MAP_ADAPTERS=0

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --root) ROOT="$2"; shift 2 ;;
        --root=*) ROOT="${1#*=}"; shift ;;
        --site) SITE="$2"; shift 2 ;;
        --source) SOURCE="$2"; shift 2 ;;
        --wheelhouse) WHEELHOUSE="$2"; shift 2 ;;
        --python) PYTHON="$2"; shift 2 ;;
        --no-useradd) USERADD=0; shift ;;
        --no-systemctl) SYSTEMCTL=0; shift ;;
        --no-pip) PIP=0; shift ;;
        --map-adapters) MAP_ADAPTERS=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CHECKOUT="$(dirname "$HERE")"
SOURCE="${SOURCE:-$CHECKOUT}"
ROOT="${ROOT%/}"

ETC="$ROOT/etc/qanat"
DATA="$ROOT/var/lib/qanat"
CACHE="$ROOT/var/cache/qanat"
OPT="$ROOT/opt/qanat"
VENV="$OPT/venv"
QANAT="$VENV/bin/qanat"
UNIT_DIR="$ROOT/etc/systemd/system"
UDEV_DIR="$ROOT/etc/udev/rules.d"

if [[ -z "$ROOT" && $EUID -ne 0 ]]; then
    die "run as root (sudo), or use --root DIR for a staged install"
fi
if [[ -z "$ROOT" && -r /etc/os-release ]] && ! grep -q 'VERSION_CODENAME=bookworm' /etc/os-release; then
    echo "install.sh: warning: not Debian bookworm; continuing" >&2
fi

as_qanat() {  # run a command as the service user (as ourselves without --no-useradd)
    if [[ $USERADD -eq 1 ]]; then
        runuser -u qanat -- env -i PATH=/usr/bin:/bin NUMBA_CACHE_DIR="$CACHE/numba" "$@"
    else
        env NUMBA_CACHE_DIR="$CACHE/numba" "$@"
    fi
}

# -- user ------------------------------------------------------------------------
if [[ $USERADD -eq 1 ]]; then
    if ! id -u qanat >/dev/null 2>&1; then
        say "system user qanat"
        useradd --system --user-group --home-dir /var/lib/qanat --no-create-home \
            --shell /usr/sbin/nologin --comment "qanat irrigation controller" qanat
    fi
    usermod -a -G dialout qanat
fi

# -- directories -----------------------------------------------------------------
say "directories under ${ROOT:-/}"
install -d -m 0755 "$OPT" "$OPT/share/docs" "$UNIT_DIR" "$UDEV_DIR"
install -d -m 0750 "$ETC" "$DATA" "$DATA/backups" "$CACHE" "$CACHE/numba"
if [[ $USERADD -eq 1 ]]; then
    chown root:qanat "$ETC"
    chown -R qanat:qanat "$DATA" "$CACHE"
fi

# -- backup before an upgrade ----------------------------------------------------
if [[ -f "$DATA/qanat.db" && -x "$QANAT" ]]; then
    stamp="$(date -u +%Y%m%dT%H%M%SZ)"
    say "backup before upgrade: $DATA/backups/pre-upgrade-$stamp.tar.gz"
    as_qanat "$QANAT" backup --data-dir "$DATA" --config-dir "$ETC" \
        "$DATA/backups/pre-upgrade-$stamp.tar.gz"
    # keep the five newest
    ls -1t "$DATA"/backups/pre-upgrade-*.tar.gz 2>/dev/null | tail -n +6 | xargs -r rm -f
fi

# -- virtual environment ---------------------------------------------------------
if [[ $PIP -eq 1 ]]; then
    [[ -x "$VENV/bin/python" ]] || { say "virtual environment $VENV"; "$PYTHON" -m venv "$VENV"; }
    pip_args=(--upgrade --disable-pip-version-check)
    [[ -n "$WHEELHOUSE" ]] && pip_args+=(--no-index --find-links "$WHEELHOUSE")
    say "installing qanat from $SOURCE"
    "$VENV/bin/pip" install "${pip_args[@]}" "$SOURCE"
fi
[[ -x "$QANAT" ]] || die "$QANAT missing: the venv has no qanat (drop --no-pip?)"

# -- service files ---------------------------------------------------------------
say "systemd unit, udev rules, docs"
install -m 0644 "$HERE/systemd/qanat.service" "$UNIT_DIR/qanat.service"
install -m 0644 "$HERE/udev/99-qanat-rs485.rules" "$UDEV_DIR/99-qanat-rs485.rules"
[[ -f "$CHECKOUT/docs/deploy.md" ]] && install -m 0644 "$CHECKOUT/docs/deploy.md" "$OPT/share/docs/deploy.md"
install -m 0644 "$HERE/examples/demo-site.toml" "$ETC/site.toml.example"

if [[ $MAP_ADAPTERS -eq 1 ]]; then
    rules="$UDEV_DIR/99-qanat-rs485-local.rules"
    say "numbering the USB-RS485 adapters plugged in now: $rules"
    "$HERE/map-adapters.sh" > "$rules.tmp" && mv "$rules.tmp" "$rules"
    sed -n 's/.*SYMLINK+="\(ttyQANAT[0-9]*\)".*# \(.*\)/    \/dev\/\1: \2/p' "$rules"
fi

# -- site configuration ----------------------------------------------------------
if [[ -n "$SITE" ]]; then
    if [[ -f "$ETC/site.toml" ]] && ! cmp -s "$SITE" "$ETC/site.toml"; then
        cp -p "$ETC/site.toml" "$ETC/site.toml.previous"
    fi
    install -m 0640 "$SITE" "$ETC/site.toml"
fi
if [[ -f "$ETC/site.toml" ]]; then
    [[ $USERADD -eq 1 ]] && chown root:qanat "$ETC/site.toml" && chmod 0640 "$ETC/site.toml"
    say "check-config $ETC/site.toml"
    as_qanat "$QANAT" check-config "$ETC/site.toml"
fi

# -- numba cache -----------------------------------------------------------------
say "compiling the models' kernels into $CACHE/numba"
as_qanat "$QANAT" warmup

echo "qanat $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("qanat"))' 2>/dev/null || echo '?') installed $(date -u +%FT%TZ)" > "$OPT/INSTALLED"

# -- service ---------------------------------------------------------------------
if [[ $SYSTEMCTL -eq 1 ]]; then
    udevadm control --reload && udevadm trigger --subsystem-match=tty || true
    systemctl daemon-reload
    systemctl enable qanat.service
    if [[ -f "$ETC/site.toml" ]]; then
        say "(re)starting qanat"
        systemctl restart qanat.service
        systemctl --no-pager --lines=5 status qanat.service || true
    else
        echo "install.sh: no $ETC/site.toml yet: copy site.toml.example, edit it, then" \
             "'systemctl start qanat'" >&2
    fi
fi
say "done"
