"""The map scripts' words: every key a script uses exists in French (markers.js) and in English
(words-en.js, the embed with lang=en), so an English embed never shows « undefined » or French."""
import re

from carto.core.settings import PROJECT_ROOT

JS = PROJECT_ROOT / "web" / "static" / "js"
KEY = re.compile(r"^ {4}(\w+):", re.M)  # the tables' entries, one per line at the first indent


def table(name: str, opening: str) -> set[str]:
    text = (JS / name).read_text(encoding="utf-8")
    block = text[text.index(opening):]
    return set(KEY.findall(block[:block.index("\n  };")]))


def used_keys() -> set[str]:
    used = set()
    for script in JS.glob("*.js"):
        text = script.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bW\.(\w+)", text))
        used |= set(re.findall(r'\["\w+", "(\w+)"\]', text)) if script.name == "embed.js" else set()
    return used


def test_the_french_and_english_tables_have_the_same_keys():
    french, english = table("markers.js", "const FRENCH = {"), table("words-en.js", "const EN = {")
    assert len(french) > 30
    assert french == english, (sorted(french - english), sorted(english - french))


def test_every_word_a_script_uses_is_in_both_tables():
    used = used_keys()
    assert {"inView", "grouped", "cellTitle", "siteGone", "zoomIn"} <= used  # the scan finds them
    missing = used - table("markers.js", "const FRENCH = {")
    assert not missing, f"words used by the scripts but missing from the tables: {sorted(missing)}"


def test_no_script_swallows_its_errors():
    for script in JS.glob("*.js"):
        text = script.read_text(encoding="utf-8")
        assert not re.search(r"\.catch\(\s*\(\s*\w*\s*\)\s*=>\s*\{\s*\}\s*\)", text), script.name
