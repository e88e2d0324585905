#!/usr/bin/env bash
# Installs the Debian packages Chop needs when they are missing (as root), or says what to install.
# Usage: scripts/system-deps.sh run|test
set -euo pipefail
profile="${1:-run}"

declare -a missing=()
need_font() { fc-list 2>/dev/null | grep -qi "$1" || missing+=("$2"); }
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }

need_cmd fc-list fontconfig
need_font "Noto Serif CJK SC" fonts-noto-cjk
need_font "AR PL UKai" fonts-arphic-ukai
need_cmd pdfsig poppler-utils
need_cmd qpdf qpdf
if [ "$profile" = "test" ]; then
  need_cmd chromium chromium
  need_cmd softhsm2-util softhsm2
  need_cmd msgfmt gettext
  need_cmd certutil libnss3-tools  # pdfsig's trust store in the PAdES tests
fi

[ ${#missing[@]} -eq 0 ] && exit 0
# de-duplicate while keeping order
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fc-cache -f >/dev/null 2>&1 || true
else
  echo "Chop needs these Debian/Ubuntu packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
