#!/usr/bin/env bash
# Prints the path of a working uv, installing it with pip first when it is missing.
set -euo pipefail
for candidate in "$(command -v uv 2>/dev/null || true)" "$HOME/.local/bin/uv"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
py="$(command -v python3.11 || command -v python3)"
"$py" -m pip install --quiet --user uv >&2 2>/dev/null \
  || "$py" -m pip install --quiet --user --break-system-packages uv >&2 2>/dev/null \
  || "$py" -m pip install --quiet uv >&2
for candidate in "$(command -v uv 2>/dev/null || true)" "$HOME/.local/bin/uv"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
"$py" -c 'import sysconfig; print(sysconfig.get_path("scripts") + "/uv")'
