"""The Arabic and French catalogues are complete, keep every placeholder, and their committed .mo
files match the .po files (a fresh machine has no gettext, so nothing recompiles them).

Pure Python: the .po files are parsed here and the .mo files are read with the standard
library's ``gettext``; neither ``msgfmt`` nor ``polib`` is needed.
"""

from __future__ import annotations

import ast
import datetime
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.factories import FinancingContractFactory

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = {
    "ar": (
        6,
        "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
        "n%100>=3 && n%100<=10 ? 3 : n%100>=11 && n%100<=99 ? 4 : 5;",
    ),
    "fr": (2, "nplurals=2; plural=(n > 1);"),
}

# %(name)s, %s, %d, %% ... and {name} / {0} / {} (format fields), and HTML tags.
PERCENT = re.compile(r"%(?:\([^)]+\))?[#0+-]*\d*(?:\.\d+)?[sdifr%]")
BRACE = re.compile(r"(?<!\{)\{[A-Za-z_0-9]*(?:![rsa])?(?::[^{}]*)?\}(?!\})")
TAG = re.compile(r"</?[A-Za-z][^>]*>")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    def __str__(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def _unquote(token: str) -> str:
    # A .po string is a C string literal; for the escapes gettext writes (\" \\ \n \t) the Python
    # literal syntax is the same.
    return ast.literal_eval(token)


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header included (msgid ""), obsolete (#~) entries skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            finish()
            flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            finish()
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):
            assert current is not None, f"{path}:{number}"
            assert target is not None, f"{path}:{number}"
            name, index = target
            text = _unquote(line)
            if name == "msgstr":
                current.msgstr[index] += text
            else:
                setattr(current, name, (getattr(current, name) or "") + text)
            continue
        if keyword == "msgctxt" or (keyword == "msgid" and (current is None or current.msgstr)):
            finish()
            current = Entry(flags=flags, line=number)
            flags = set()
        assert current is not None, f"{path}:{number}: {line}"
        if keyword in ("msgctxt", "msgid", "msgid_plural"):
            setattr(current, keyword, _unquote(rest))
            target = (keyword, 0)
        elif keyword == "msgstr" or keyword.startswith("msgstr["):
            index = int(keyword[7:-1]) if keyword != "msgstr" else 0
            current.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {line!r}")
    finish()
    return entries


def _catalogue(lang: str) -> tuple[dict[str, str], list[Entry]]:
    entries = parse_po(LOCALE_DIR / lang / "LC_MESSAGES" / "django.po")
    header_entry = next(entry for entry in entries if entry.msgid == "" and entry.msgctxt is None)
    assert "fuzzy" not in header_entry.flags, f"{lang}: the header is marked fuzzy"
    header = dict(
        line.split(": ", 1) for line in header_entry.msgstr[0].splitlines() if ": " in line
    )
    return header, [entry for entry in entries if entry is not header_entry]


def _placeholders(text: str) -> list[str]:
    return sorted(PERCENT.findall(text) + BRACE.findall(text))


def _tags(text: str) -> list[str]:
    return sorted(TAG.findall(text))


@pytest.fixture(scope="module", params=sorted(LANGUAGES))
def catalogue(request: pytest.FixtureRequest) -> tuple[str, dict[str, str], list[Entry]]:
    header, entries = _catalogue(request.param)
    return request.param, header, entries


SAMPLE_PO = r"""# A translator comment
#, fuzzy
msgid ""
msgstr ""
"Language: fr\n"

#: a.py:1
#, python-format
msgid ""
"Long %(name)s "
"message"
msgstr "Long %(name)s "
"message traduit"

msgctxt "month"
msgid "May"
msgstr "Mai"

#, fuzzy
#| msgid "Old"
msgid "%(counter)s item"
msgid_plural "%(counter)s items"
msgstr[0] "%(counter)s \"élément\""
msgstr[1] ""

#~ msgid "Obsolete"
#~ msgstr "Obsolète"
"""


def test_the_parser(tmp_path: Path) -> None:
    path = tmp_path / "django.po"
    path.write_text(SAMPLE_PO, encoding="utf-8")
    header, long, month, plural = parse_po(path)
    assert header.msgid == ""
    assert "fuzzy" in header.flags
    assert long.msgid == "Long %(name)s message"
    assert long.msgstr == {0: "Long %(name)s message traduit"}
    assert long.flags == {"python-format"}
    assert month.key == "month\x04May"
    assert month.msgstr == {0: "Mai"}
    assert plural.msgid_plural == "%(counter)s items"
    assert plural.msgstr == {0: '%(counter)s "élément"', 1: ""}
    assert plural.flags == {"fuzzy"}


def test_header(catalogue: tuple[str, dict[str, str], list[Entry]]) -> None:
    lang, header, _ = catalogue
    assert header["Project-Id-Version"] == "mfme"
    assert header["Language"] == lang
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Plural-Forms"] == LANGUAGES[lang][1]


def test_no_fuzzy_and_nothing_untranslated(
    catalogue: tuple[str, dict[str, str], list[Entry]],
) -> None:
    lang, _, entries = catalogue
    nplurals = LANGUAGES[lang][0]
    fuzzy = [str(entry) for entry in entries if "fuzzy" in entry.flags]
    assert not fuzzy, f"{lang}: fuzzy entries: {fuzzy}"
    empty = []
    for entry in entries:
        expected = range(nplurals) if entry.msgid_plural else range(1)
        if sorted(entry.msgstr) != list(expected) or not all(entry.msgstr.values()):
            empty.append(str(entry))
    assert not empty, f"{lang}: untranslated entries (run makemessages, then translate): {empty}"


def test_placeholders_and_tags_are_kept(
    catalogue: tuple[str, dict[str, str], list[Entry]],
) -> None:
    lang, _, entries = catalogue
    problems = []
    for entry in entries:
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        wanted = sorted(set().union(*(_placeholders(source) for source in sources)))
        wanted_tags = _tags(entry.msgid)
        for index, text in entry.msgstr.items():
            got = sorted(set(_placeholders(text)))
            if got != wanted:
                problems.append(f"{entry} [{index}]: placeholders {got} instead of {wanted}")
            if _tags(text) != wanted_tags:
                problems.append(f"{entry} [{index}]: HTML tags differ")
    assert not problems, f"{lang}:\n" + "\n".join(problems)


def test_compiled_catalogue_matches_the_po(
    catalogue: tuple[str, dict[str, str], list[Entry]],
) -> None:
    """Run ``manage.py compilemessages --ignore=.venv`` when this fails."""
    lang, header, entries = catalogue
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo").open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    assert compiled.info().get("plural-forms") == header["Plural-Forms"]
    stale = []
    for entry in entries:
        if entry.msgid_plural:
            for index, text in entry.msgstr.items():
                if compiled._catalog.get((entry.key, index)) != text:  # type: ignore[attr-defined]
                    stale.append(f"{entry} [{index}]")
        elif compiled._catalog.get(entry.key) != entry.msgstr[0]:  # type: ignore[attr-defined]
            stale.append(str(entry))
    assert not stale, f"{lang}: django.mo is out of date for {stale}"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "La date d'échéance finale ne peut pas précéder la date de décaissement."),
        ("ar", "لا يمكن أن يسبق تاريخ الاستحقاق النهائي تاريخ الصرف."),
    ],
)
@pytest.mark.django_db
def test_model_validation_messages_are_translated(lang: str, expected: str) -> None:
    contract = FinancingContractFactory(contract_type="murabaha")
    contract.maturity_date = datetime.date(2024, 1, 1)
    with translation.override(lang), pytest.raises(ValidationError) as error:
        contract.full_clean()
    assert expected in error.value.messages


@pytest.mark.parametrize(("lang", "expected"), [("fr", "T3 2024"), ("ar", "الربع 3 من 2024")])
def test_plural_and_format_strings_render(lang: str, expected: str) -> None:
    with translation.override(lang):
        assert translation.gettext("Q%(quarter)s %(year)s") % {"quarter": 3, "year": 2024} == (
            expected
        )
        for n in (0, 1, 2, 5, 11, 100):
            text = translation.ngettext("%(counter)s contract", "%(counter)s contracts", n) % {
                "counter": n
            }
            assert str(n) in text
