"""Embed options from a partner's URL: lenient parsing, round trip, and the snippet."""
from starlette.datastructures import QueryParams

from carto.publish import embed
from carto.query import params
from carto.core.taxonomy import load

POLES = {("pole", "adesk"), ("departement", "29")}


def parse(query: str) -> embed.EmbedOptions:
    return embed.parse(QueryParams(query), load(), lambda level, code: (level, code) in POLES)


def test_presets_are_read_from_the_url():
    o = parse("activity=velo,reparation&domain=mobilite&lock=1&pole=adesk&view=list&legend=0&contrib=non&lang=en")
    assert o.activities == ["reparation", "velo"] and o.domains == ["mobilite"]
    assert o.locked and o.territory == ("pole", "adesk")
    assert (o.view, o.legend, o.contribute, o.lang, o.header) == ("list", False, False, "en", False)


def test_unknown_options_and_bad_values_fall_back_to_defaults():
    o = parse("activity=teleportation&pole=nope&bbox=5,1,2,3&center=200,0&zoom=99&view=3d&legend=peut-etre"
              "&lang=xx&unknown=1&lock=%00&q=%00%20&siae=peut-etre&near=1,2,3&zoom=%C2%B2")
    assert o == embed.EmbedOptions()


def test_the_visitors_search_is_kept_tidy_and_short():
    o = parse("q=" + "  r%C3%A9emploi%0A%00v%C3%A9lo " + "x" * 300 + "&siae=1&ea=true&near=-1.68,48.11")
    assert o.q.startswith("réemploi vélo x") and len(o.q) == params.MAX_TEXT
    assert o.siae and o.ea and o.near == (-1.68, 48.11)


def test_a_valid_box_centre_and_zoom_are_kept():
    o = parse("bbox=-5,47,-1,49&center=48.1,-1.7&zoom=11&departement=29")
    assert o.bbox == (-5, 47, -1, 49) and o.center == (48.1, -1.7) and o.zoom == 11
    assert o.territory == ("departement", "29")


def test_options_round_trip_through_their_query_string():
    o = parse("activity=velo&pole=adesk&legend=0&header=1&view=list&q=atelier&siae=1&near=-3.5,48.2")
    assert parse(str(QueryParams(o.query()))) == o


def test_the_snippet_is_a_titled_responsive_iframe_with_escaped_attributes():
    code = embed.snippet("https://carto.example/", parse("activity=velo&pole=adesk"), title='Carte "ESS"',
                         resize_script=True)
    assert code.startswith('<iframe src="https://carto.example/embed?activity=velo&amp;pole=adesk"')
    assert 'title="Carte &quot;ESS&quot;"' in code and "width:100%" in code
    assert 'title="Carte de l\'ESS"' in embed.snippet("https://carto.example", parse(""), title="Carte de l'ESS")
    assert "embed-resize.js" in code


def test_filters_and_display_options_split_the_query():
    o = parse("activity=velo&pole=adesk&q=atelier&lang=en&lock=1&view=list&zoom=9&center=48,-3")
    assert o.filters() == {"activity": "velo", "pole": "adesk", "q": "atelier"}
    assert o.display() == {"lock": "1", "center": "48,-3", "zoom": "9", "view": "list", "lang": "en"}


def test_snippet_settings_are_read_leniently():
    assert embed.snippet_settings(QueryParams("height=abc&title=%20&resize=peut-etre")) == {
        "title": embed.TITLES["fr"], "height": embed.DEFAULT_HEIGHT, "resize_script": False}
    assert embed.snippet_settings(QueryParams("height=99999999&resize=1"), "en") == {
        "title": embed.TITLES["en"], "height": embed.HEIGHTS[1], "resize_script": True}
    assert embed.snippet_settings(QueryParams("height=10&title=Nos+ateliers"))["height"] == embed.HEIGHTS[0]
    assert embed.snippet_settings(QueryParams("height=%C2%B2"))["height"] == embed.DEFAULT_HEIGHT
    assert embed.snippet_settings(QueryParams("title=Nos+ateliers"))["title"] == "Nos ateliers"
