"""Public GeoJSON of a site: the same whether built from a Site or from a row of its columns."""
import random
from datetime import date

from sqlmodel import select

from carto import geojson, sites
from carto.demo import fake_siret
from carto.models import LegalForm, PositionPrecision, Site
from carto.site_schema import SiteData


def reference(site: Site) -> dict:
    """What pydantic writes for the public fields: the meaning of every value in a feature."""
    return site.model_dump(include=set(geojson.PUBLIC_FIELDS), mode="json")


def public(properties: dict) -> dict:
    return {name: properties[name] for name in geojson.PUBLIC_FIELDS}


def test_a_feature_read_from_a_row_is_the_feature_of_the_site(demo_carto):
    with demo_carto.session() as session:
        full = sites.create(session, SiteData(
            name="Atelier « Œuvre » complet", activities=["velo", "reemploi"], description="Tout rempli",
            street="1 rue de Rennes", postcode="35000", lon=-1.6778, lat=48.1173,
            position_precision=PositionPrecision.address, website="https://exemple.fr", email="contact@exemple.fr",
            phone="02 99 00 00 00", opening_hours="Mo-Fr 09:00-18:00", siret=fake_siret(random.Random(1)),
            legal_form=LegalForm.cooperative, siae=True, ea_esat=True, serves_professionals=True,
            labels=["ess", "refashion"], verified_at=date(2026, 3, 1)), demo_carto.locator, actor="test")
        fresh = geojson.site_properties(full, ["reemploi", "velo"], demo_carto.taxonomy)
        assert public(fresh) == reference(full)  # datetimes still aware, as written
        session.commit()

        objects = {s.id: s for s in session.exec(select(Site))}
        rows = session.exec(select(*geojson.FEATURE_COLUMNS)).all()
        assert len(rows) == len(objects) > 500
        for row in rows:
            site = objects[row.id]
            from_row = geojson.site_feature(row, ["velo"], demo_carto.taxonomy)
            assert from_row == geojson.site_feature(site, ["velo"], demo_carto.taxonomy)
            assert public(from_row["properties"]) == reference(site)
        assert public(geojson.site_properties(objects[full.id], [], demo_carto.taxonomy))["verified_at"] == "2026-03-01"
