#!/usr/bin/env bash
# Installs the Debian packages Chop needs when they are missing (as root), or says what to install.
# Usage: scripts/system-deps.sh run|test
#
# Another apt (unattended-upgrades, a second `make`) may hold the dpkg or the lists lock: instead of
# failing at once, wait for it up to CHOP_APT_LOCK_WAIT seconds (default 600). `apt-get install`
# waits by itself with DPkg::Lock::Timeout; `apt-get update` does not wait for the lists lock on
# every apt version, so apt_retry runs it again while its error is a lock error.
set -euo pipefail

lock_wait="${CHOP_APT_LOCK_WAIT:-600}"
retry_every="${CHOP_APT_LOCK_RETRY_SECONDS:-5}"
APT_GET="${APT_GET:-apt-get}"

# apt_retry CMD...: run CMD; while it fails because a lock is held, retry until lock_wait is spent.
apt_retry() {
  local deadline=$((SECONDS + lock_wait)) err rc
  err="$(mktemp)"
  while true; do
    rc=0
    "$@" 2>"$err" || rc=$?
    cat "$err" >&2
    if [ "$rc" -eq 0 ]; then rm -f "$err"; return 0; fi
    if grep -qiE 'could not get lock|unable to lock|is another process using it' "$err" \
      && [ "$SECONDS" -lt "$deadline" ]; then
      echo "apt is busy (lock held by another process); retrying in ${retry_every}s..." >&2
      sleep "$retry_every"
      continue
    fi
    rm -f "$err"
    return "$rc"
  done
}

apt_update() {
  apt_retry "$APT_GET" -o DPkg::Lock::Timeout="$lock_wait" update -qq
}

apt_install() {
  apt_retry "$APT_GET" -o DPkg::Lock::Timeout="$lock_wait" install -y -qq \
    --no-install-recommends "$@"
}

main() {
  local profile="${1:-run}"
  declare -a missing=()
  # grep without -q reads all of fc-list's output: with -q it exits at the first match, fc-list
  # dies of SIGPIPE and pipefail reported an installed font as missing (and ran apt for nothing).
  need_font() { fc-list 2>/dev/null | grep -i "$1" >/dev/null || missing+=("$2"); }
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
    # Contract uploads convert Word/ODT/RTF with LibreOffice when present; the tests convert for
    # real. `make run` works without it (the upload page then asks for a PDF).
    need_cmd soffice libreoffice-writer-nogui
  fi

  [ ${#missing[@]} -eq 0 ] && return 0
  # de-duplicate while keeping order
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
  if [ "$(id -u)" -eq 0 ] && command -v "$APT_GET" >/dev/null 2>&1; then
    echo "Installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_update
    apt_install "${missing[@]}" >/dev/null
    fc-cache -f >/dev/null 2>&1 || true
  else
    echo "Chop needs these Debian/Ubuntu packages: ${missing[*]}" >&2
    echo "Install them with:  sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
}

# Sourced (by the tests) it only defines the functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
