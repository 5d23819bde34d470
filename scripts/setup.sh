#!/usr/bin/env bash
# Installs what consentry's demo and tests need, idempotently:
#   - Debian's adb (the real adb server the tool and its tests talk to),
#   - fonts for rendering simulated screens (DejaVu, Noto CJK),
#   - Debian's chromium (headless: tests/report_html.rs opens the HTML report in it),
#   - Debian's python3-scapy (tests/net_pcap.rs writes its captures with it,
#     through tests/support/make_pcaps.py),
#   - the Rust components used by `make test` (rustfmt, clippy).
# Safe to run again: it does nothing when everything is present. Works as
# root or with sudo, with no stdin (CI).
set -euo pipefail

packages=(adb fonts-dejavu-core fonts-noto-cjk chromium python3-scapy)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo -n)
  else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

if command -v rustup >/dev/null 2>&1; then
  for c in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
      rustup component add "$c"
    fi
  done
fi

command -v adb >/dev/null 2>&1 || { echo "setup: adb is still missing" >&2; exit 2; }
command -v chromium >/dev/null 2>&1 || { echo "setup: chromium is still missing" >&2; exit 2; }
# Debian's package installs for /usr/bin/python3, which a pyenv or venv
# python3 earlier on PATH does not see; tests/net_pcap.rs tries both.
python3 -c 'import scapy' 2>/dev/null || /usr/bin/python3 -c 'import scapy' 2>/dev/null ||
  { echo "setup: python3-scapy is still missing" >&2; exit 2; }
echo "setup: ok ($(adb version | head -n1); $(chromium --version 2>/dev/null | head -n1))"
