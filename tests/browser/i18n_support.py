"""Helpers of the translation tests (tests/webhooks/test_i18n.py and the browser suite).

The .mo files are build products (`manage.py compilemessages` at setup); when a
.po is newer than its .mo (or the .mo is missing) the tests compile it first, so
an edited .po is never tested against a stale catalogue.
"""

import re
import shutil
import subprocess
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
LOCALE_DIR = BASE_DIR / "locale"


def ensure_messages_compiled() -> None:
    """Compile each .po of locale/ whose .mo is missing or older (what compilemessages does, here only)."""
    from django.utils.translation import trans_real

    stale = [
        po
        for po in LOCALE_DIR.glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if not stale:
        return
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        raise RuntimeError("msgfmt (GNU gettext) is needed to compile locale/: apt-get install gettext")
    for po in stale:
        subprocess.run([msgfmt, "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    # Forget catalogues loaded before the compilation.
    trans_real._translations = {}
    trans_real._default = None


def parse_po(text: str) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (a list), flags, obsolete."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry = {"msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": [], "flags": set()}
        entry["obsolete"] = all(line.startswith("#~") for line in block.splitlines() if line.strip())
        current = None
        for line in block.splitlines():
            line = line[2:].lstrip() if line.startswith("#~") else line
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
                continue
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
            if match:
                key, value = match.groups()
                current = "msgstr" if key.startswith("msgstr") else key
                if current == "msgstr":
                    entry["msgstr"].append(_unquote(value))
                else:
                    entry[current] = _unquote(value)
            elif line.startswith('"') and current:
                value = _unquote(line.strip()[1:-1])
                if current == "msgstr":
                    entry["msgstr"][-1] += value
                else:
                    entry[current] += value
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


def _unquote(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), value)


# Accept-Language of a Chilean administrator's browser and of an English one (Django test client).
ES = {"HTTP_ACCEPT_LANGUAGE": "es-CL,es;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
