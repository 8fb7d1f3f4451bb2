#!/usr/bin/env bash
# Restores a backup made by `make backup` (manage.py backup): scripts/restore.sh BACKUP_FOLDER
# into the database named by DATABASE_URL (default: the local one, .var/database-url), which must be
# freshly created and empty, and the stored files into MEDIA_ROOT (default .var/media), or into the
# S3 bucket when S3_BUCKET (and the other S3_* settings, README) is set.
# Then: .venv/bin/python manage.py migrate (a no-op for a backup of the same version), and start the service.
set -euo pipefail
cd "$(dirname "$0")/.."
backup=${1:?usage: scripts/restore.sh BACKUP_FOLDER}
[ -f "$backup/database.dump" ] && [ -f "$backup/manifest.json" ] || {
  echo "restore: $backup is not a complete backup (no database.dump or manifest.json)" >&2
  exit 1
}
url=${DATABASE_URL:-$(cat .var/database-url)}
url=${url/#postgis:/postgresql:}
media=${MEDIA_ROOT:-.var/media}

tables=$(psql -X -qtA -d "$url" -c "select count(*) from pg_tables where schemaname = 'public' and tablename <> 'spatial_ref_sys'")
if [ "$tables" != 0 ]; then
  echo "restore: the target database already has $tables tables; restore into a new, empty one (createdb)" >&2
  exit 1
fi
# pg_dump empties search_path, and a trigger's `OLD.location IS DISTINCT FROM NEW.location` then finds
# no PostGIS `=` when created (a known PostGIS dump quirk): the restore keeps public on the path.
pg_restore --no-owner --no-acl -f - "$backup/database.dump" |
  sed "s/set_config('search_path', '', false)/set_config('search_path', 'public', false)/" |
  psql -X -q -v ON_ERROR_STOP=1 -d "$url" >/dev/null
if [ -n "${S3_BUCKET:-}" ]; then
  # The files go into the S3 bucket configured here (S3_*), under their own names.
  if [ -d "$backup/media" ]; then .venv/bin/python manage.py files_restore "$backup/media"; fi
else
  mkdir -p "$media"
  if [ -d "$backup/media" ]; then cp -a "$backup/media/." "$media/"; fi
fi
echo "restore: $backup restored ($(grep -o '"files": [0-9]*' "$backup/manifest.json"))"
