#!/bin/sh
# A job worker: satudata-worker.sh QUEUE[.N] [ckan jobs worker options]
# The systemd template runs one per instance (satudata-worker@default.1,
# satudata-worker@satudata_validation.1 ...); ".N" only tells instances apart.
set -eu
queue="${1%%.*}"
shift
exec "${CKAN_VENV:-/usr/lib/ckan/default}/bin/ckan" -c "${CKAN_INI:-/etc/ckan/default/ckan.ini}" jobs worker "$queue" "$@"
