#!/usr/bin/env bash
# Refreshes and compiles the zh_Hans catalogues. Apps with their own catalogue (accounts, seals,
# verification, contracts) are processed without project settings, so their strings stay in <app>/locale;
# the project catalogue (src/chop/locale) covers templates/, views.py, orgs and audit.
set -euo pipefail
cd "$(dirname "$0")/../src/chop"
RUN="${RUN:-uv run --frozen}"
OWN=(accounts seals verification contracts grants evidence api)
ENGINES=(sealart pdfsign pki identity ledger)
for app in "${OWN[@]}"; do
  (cd "$app" && env -u DJANGO_SETTINGS_MODULE $RUN django-admin makemessages -l zh_Hans --no-obsolete \
    && env -u DJANGO_SETTINGS_MODULE $RUN django-admin compilemessages)
done
ignores=()
for dir in "${OWN[@]}" "${ENGINES[@]}"; do ignores+=(--ignore "$dir/*"); done
$RUN chop makemessages -l zh_Hans --no-obsolete "${ignores[@]}"
(cd locale/.. && $RUN chop compilemessages --locale zh_Hans --ignore '*/.venv/*')
for po in */locale/zh_Hans/LC_MESSAGES/django.po locale/zh_Hans/LC_MESSAGES/django.po; do
  printf '%s: ' "$po"; msgfmt --statistics -o /dev/null "$po"
done
