#!/usr/bin/env bash
# Known vulnerabilities in the installed Python packages of .venv (pip-audit,
# pinned in dev-requirements.txt), from PyPI's vulnerability data.
#
#   scripts/audit.sh
#
# Exit 0: every package audited, no vulnerability outside scripts/audit-ignore.txt.
# Exit 1: a vulnerability not in the ignore list, or a package that could not be
#         audited (the report names them).
# Exit 2: PyPI's vulnerability data could not be reached: NOTHING was audited.
#         This never counts as a pass.
#
# scripts/audit-ignore.txt holds the vulnerabilities that no upgrade fixes
# (e.g. pins of CKAN itself), one "ID  # package: reason" per line; pip-audit
# matches the ID against each vulnerability's id and aliases (PYSEC, GHSA, CVE).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

"$ROOT/scripts/bootstrap.sh"
AUDIT="$VENV/bin/pip-audit"
[ -x "$AUDIT" ] || die "pip-audit is not installed in $VENV (dev-requirements.txt)"

ignore=()
while read -r id _; do
  [ -n "$id" ] && ignore+=(--ignore-vuln "$id")
done < <(sed -e 's/#.*//' "$ROOT/scripts/audit-ignore.txt")

# pip-audit's PyPI service reads https://pypi.org/pypi/NAME/VERSION/json. When that
# answers 404 for everything (a registry mirror serving only the index), pip-audit
# skips every package and still says "No known vulnerabilities found": check first.
pip_version="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("pip"))')"
probe="https://pypi.org/pypi/pip/$pip_version/json"
code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$probe" || true)"
if [ "$code" != 200 ]; then
  log "AUDIT NOT RUN: PyPI's vulnerability data is not reachable from here"
  log "($probe answered ${code/000/no connection}); no package was audited"
  exit 2
fi

report="$(mktemp)"; trap 'rm -f "$report"' EXIT
set +e
"$AUDIT" --local --skip-editable --vulnerability-service pypi --progress-spinner off \
  --format json --output "$report" "${ignore[@]}"
rc=$?
set -e
[ -s "$report" ] || die "pip-audit failed (exit $rc) before writing its report"

# pip-audit exits 0 when it skipped packages: count them ourselves.
"$VENV/bin/python" - "$report" "$rc" <<'PY'
import json
import sys

report, rc = json.load(open(sys.argv[1])), int(sys.argv[2])
deps = report["dependencies"]
skipped = [d for d in deps if "skip_reason" in d]
audited = [d for d in deps if "skip_reason" not in d]
found = [(d, v) for d in audited for v in d.get("vulns", [])]
if not audited:
    print(f"[satudata] AUDIT NOT RUN: PyPI answered for none of the {len(deps)} packages", file=sys.stderr)
    sys.exit(2)
for dep, vuln in found:
    fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
    aliases = ", ".join(vuln.get("aliases") or [])
    print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} ({aliases}) fixed in {fixed}")
for dep in skipped:
    print(f"NOT AUDITED {dep['name']}: {dep['skip_reason']}")
print(f"[satudata] audited {len(audited)} packages: {len(found)} vulnerabilities not in "
      f"scripts/audit-ignore.txt, {len(skipped)} packages not audited", file=sys.stderr)
sys.exit(1 if found or skipped or rc else 0)
PY
