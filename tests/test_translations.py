"""The English catalogue covers every user-facing string, keeps its placeholders, and is used."""

import configparser
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
EN_CATALOGUE = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# The keywords of the Makefile's `messages` target: Babel's defaults, -k _l, -k lazy_gettext.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def _method_map() -> list[tuple[str, str]]:
    """babel.cfg's `[method: pattern]` sections, read the way pybabel reads them."""
    parser = configparser.RawConfigParser()
    parser.read(ROOT / "babel.cfg", encoding="utf-8")
    method_map = []
    for section in parser.sections():
        method, pattern = (part.strip() for part in section.split(":", 1))
        method_map.append((pattern, method))
    return method_map


def _source_messages() -> dict[str, tuple[tuple[str, ...], tuple[str, int]]]:
    """Every msgid in the source (singular → all its forms), with the first place it is used."""
    found: dict[str, tuple[tuple[str, ...], tuple[str, int]]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), _method_map(), keywords=KEYWORDS
    ):
        assert context is None, f"{filename}:{lineno}: message contexts are not used here"
        forms = message if isinstance(message, tuple) else (message,)
        where = (Path(filename).as_posix(), lineno)
        if forms[0] not in found or where < found[forms[0]][1]:
            found[forms[0]] = (forms, where)
    return found


@pytest.fixture(scope="module")
def source():
    return _source_messages()


@pytest.fixture(scope="module")
def catalogue():
    with EN_CATALOGUE.open("rb") as po:
        return read_po(po, locale="en")


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_extraction_finds_the_source_strings(source):
    assert "你点我检：您来点，我们检" in source  # a template string
    assert "你点我检进农贸市场、进商超" in source  # an `_l` string in Python
    assert "%(num)d 票" in source  # an ngettext string in a template


def test_every_source_string_has_an_english_translation(source, catalogue):
    missing = []
    for msgid, (forms, (filename, lineno)) in sorted(source.items(), key=lambda item: item[1][1]):
        where = f"{filename}:{lineno}"
        message = catalogue.get(msgid)
        strings = () if message is None else message.string
        strings = strings if isinstance(strings, tuple) else (strings,)
        if message is None or message.fuzzy or not all(strings):
            missing.append(f"  {where}: {msgid!r}")
        elif len(forms) > 1 and not message.pluralizable:
            missing.append(f"  {where}: {msgid!r} is plural in the source, singular in the .po")
    assert not missing, (
        "English translations missing, empty or fuzzy in "
        f"{EN_CATALOGUE.relative_to(ROOT)} (run `make messages`, then translate):\n"
        + "\n".join(missing)
    )


def test_catalogue_header_is_english_with_two_plural_forms(catalogue):
    assert not catalogue.fuzzy
    assert catalogue.num_plurals == 2
    assert catalogue.plural_expr.replace(" ", "") == "(n!=1)"


def test_translations_keep_the_placeholders_of_their_msgid(catalogue):
    wrong = []
    for message in catalogue:
        if not message.id:
            continue  # the header
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(_placeholders(msgid) for msgid in ids))
        for string in strings:
            if string and _placeholders(string) != expected:
                wrong.append(f"  {message.id!r}: {string!r}")
    assert not wrong, "translations whose placeholders differ from the msgid's:\n" + "\n".join(
        wrong
    )


def test_home_page_in_english(client):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "You Pick, We Test: you choose, we test" in page
    assert "你点我检：您来点，我们检" not in page
    assert '<html lang="en">' in page
