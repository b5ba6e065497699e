"""The activity taxonomy is data: two levels, colours, icons, moderation opening dates."""
from datetime import date

import pytest

from carto.core import taxonomy
from carto.core.taxonomy import UnknownActivity


def test_the_three_domains_and_their_opening_dates():
    t = taxonomy.load()
    opened = {d.slug: d.moderation_opened for d in t.domains}
    assert opened == {"dechets": date(2021, 1, 1), "mobilite": date(2024, 1, 1), "alimentation": None}
    assert not t.domain("alimentation").is_open()
    assert t.domain("mobilite").is_open(on=date(2024, 6, 1))
    assert not t.domain("mobilite").is_open(on=date(2023, 6, 1))


def test_the_waste_domain_holds_the_carteco_activities():
    labels = [a.label for a in taxonomy.load().domain("dechets").activities]
    for expected in ("Réparation", "Textile seconde vie", "Informatique reconditionnée"):
        assert expected in labels
    assert len(labels) == 8


def test_domains_expand_to_their_activities_and_unknown_slugs_are_refused():
    t = taxonomy.load()
    assert t.expand(["textile"], ["mobilite"]) == {"textile", "velo", "covoiturage", "autopartage",
                                                   "garage-solidaire", "transport-solidaire"}
    with pytest.raises(UnknownActivity, match="activité inconnue"):
        t.expand(["teleportation"])
    with pytest.raises(UnknownActivity, match="domaine inconnu"):
        t.expand([], ["espace"])


def test_a_slug_defined_twice_is_an_error():
    raw = {"domains": [{"slug": "a", "label": "A", "color": "#000", "icon": "x", "activities": [
        {"slug": "a", "label": "A"}]}]}
    with pytest.raises(ValueError, match="défini deux fois"):
        taxonomy.parse(raw)
