"""The distribution: Babel's catalogue holds every msgid of code and
templates, a wheel built from a clean checkout carries the compiled
Indonesian catalogue, and MANIFEST.in names only files that exist."""
from __future__ import annotations

import gettext
import pathlib
import shutil
import subprocess
import sys
import zipfile

from babel.messages.pofile import read_po

ROOT = pathlib.Path(__file__).resolve().parents[1]
I18N = ROOT / "ckanext" / "satudata" / "i18n"


def _ids(path: pathlib.Path) -> set[str]:
    with path.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def test_the_pot_holds_every_msgid_of_code_and_templates(tmp_path):
    """``setup.py extract_messages`` (setup.py's mapping, setup.cfg's keywords)
    finds nothing the committed catalogue lacks, and each .po follows it."""
    out = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "setup.py", "-q", "extract_messages", "--output-file", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    fresh, committed = _ids(out), _ids(I18N / "ckanext-satudata.pot")
    assert len(fresh) > 400  # the extraction ran over code and templates
    assert fresh == committed, {"missing from the .pot": sorted(fresh - committed),
                                "stale in the .pot": sorted(committed - fresh)}
    for lang in ("id", "en"):
        assert _ids(I18N / lang / "LC_MESSAGES" / "ckanext-satudata.po") == committed, lang


def test_a_wheel_from_a_clean_checkout_is_translated(tmp_path):
    checkout = tmp_path / "checkout"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)
    assert not list(checkout.rglob("*.mo"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(checkout)], check=True, capture_output=True)
    wheel, = (tmp_path / "dist").glob("ckanext_satudata-*.whl")
    member = "ckanext/satudata/i18n/id/LC_MESSAGES/ckanext-satudata.mo"
    with zipfile.ZipFile(wheel) as zf:
        assert member in zf.namelist()
        zf.extract(member, tmp_path / "unpacked")
    with (tmp_path / "unpacked" / member).open("rb") as f:
        catalogue = gettext.GNUTranslations(f)
    assert catalogue.gettext("Returned for revision") != "Returned for revision"


def test_manifest_names_only_files_that_exist():
    for line in (ROOT / "MANIFEST.in").read_text().splitlines():
        words = line.split()
        if words and words[0] == "include":
            assert [w for w in words[1:] if not (ROOT / w).exists()] == [], line
        elif words and words[0] in ("recursive-include", "graft"):
            assert (ROOT / words[1]).is_dir(), line
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in (ROOT / "LICENSE").read_text()
