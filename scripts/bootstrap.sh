#!/usr/bin/env bash
# Installs what pgcoord needs on a fresh Debian machine, idempotently:
#   * Debian packages (PostgreSQL 15 server, pgTAP + pg_prove, Sqitch, PL/Python,
#     plpgsql_check, valgrind for the bench, PgBouncer) where apt is usable (root, or passwordless sudo);
#   * cedarpy for the server's own Python (PL/Python runs /usr/bin/python3);
#   * a virtualenv .venv with the project installed editable.
set -euo pipefail
cd "$(dirname "$0")/.."

PGVER=15
DEBS=(
  "postgresql-$PGVER"
  "postgresql-$PGVER-pgtap"
  "libtap-parser-sourcehandler-pgtap-perl"
  "sqitch"
  "postgresql-plpython3-$PGVER"
  "postgresql-$PGVER-plpgsql-check"
  "postgresql-client-$PGVER"  # make isolation: pg_isolation_regress + isolationtester (lib/pgxs/src/test/isolation/); not in postgresql-server-dev-$PGVER
  "valgrind"            # make bench: deterministic instruction counts (bench/instructions.py)
  "pgbouncer"           # a real transaction pooler (devtools/pooler.py): tests of the client behind it, bench/scale.py
)

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@";
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@";
  else return 1; fi
}

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
     || ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "bootstrap: cannot install ${missing[*]} (need root or passwordless sudo for apt-get)" >&2
    exit 1
  fi
fi

# cedarpy for the PostgreSQL server's Python (the Cedar engine runs inside PL/Python).
if ! /usr/bin/python3 -c 'import cedarpy' 2>/dev/null; then
  echo "bootstrap: installing cedarpy for the server's Python (/usr/bin/python3)"
  as_root /usr/bin/python3 -m pip install -q --break-system-packages cedarpy \
    || echo "bootstrap: cedarpy not installed; the Cedar engine will be unavailable (native engine stays in force)" >&2
fi

# The virtualenv, reinstalled only when pyproject.toml changes.
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "bootstrap: Python >= 3.11 required (found $("$PY" --version 2>&1))" >&2; exit 1
fi
stamp=.venv/.pgcoord-installed
# the version is the plan's last tag (setup.py): a new tag reinstalls too
want=$(cat pyproject.toml setup.py sqitch.plan | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: preparing .venv"
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q -e '.[dev,bench]'
  echo "$want" > "$stamp"
fi
echo "bootstrap: ready"
