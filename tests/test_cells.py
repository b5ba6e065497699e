"""Grid cells kept by the write path: exact counts of any box, in step with every kind of write."""
import random

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from carto.directory import bulk, sites
from carto.query import cells, clusters
from carto.query.search import SiteFilter
from carto.storage import cells as kept_cells
from carto.storage.models import Site, SiteActivity, SiteCell, SiteStatus
from tests.helpers import add


def counted(session, box, activities=()) -> int:
    """Published sites of a box (with any of ``activities``), counted site by site."""
    west, south, east, north = box
    query = select(func.count(func.distinct(Site.id))).where(
        Site.status == SiteStatus.published, col(Site.lon).between(west, east), col(Site.lat).between(south, north))
    if activities:
        query = query.join(SiteActivity, SiteActivity.site_id == Site.id).where(col(SiteActivity.activity).in_(activities))
    return session.exec(query).one()


def per_activity(session, box) -> dict[str, int]:
    west, south, east, north = box
    return dict(session.exec(select(SiteActivity.activity, func.count()).join(Site, Site.id == SiteActivity.site_id)
                             .where(Site.status == SiteStatus.published, col(Site.lon).between(west, east),
                                    col(Site.lat).between(south, north)).group_by(SiteActivity.activity)).all())


def boxes(seed: int = 7, n: int = 40):
    """Boxes of every size over Brittany, some with edges on cell edges."""
    rng = random.Random(seed)
    for _ in range(n):
        west, south = rng.uniform(-5.2, -1.5), rng.uniform(47.3, 48.7)
        width = 10 ** rng.uniform(-3, 0.6)
        box = (west, south, west + width, south + width * 0.6)
        if rng.random() < 0.3:  # on the edges of the cells of some zoom
            size = kept_cells.cell_size(rng.randrange(4, kept_cells.MAX_ZOOM + 3))
            box = tuple(round((v + o) / size) * size - o for v, o in zip(box, (180, 90, 180, 90)))
        yield box


def test_any_box_is_counted_exactly_from_the_cells(demo_service):
    with demo_service.session() as session:
        for box in boxes():
            found = cells.counts_by_combination(session, SiteFilter(), box)
            assert cells.total(found, set()) == counted(session, box), box
            assert cells.total(found, {"velo", "textile"}) == counted(session, box, ("velo", "textile")), box
            assert cells.per_activity(found) == per_activity(session, box), box


def test_the_view_counts_of_the_api_agree_with_a_count_site_by_site(client, demo_service):
    box = (-4.1, 47.9, -2.0, 48.6)
    bbox = ",".join(map(str, box))
    with demo_service.session() as session:
        expected, velo = counted(session, box), counted(session, box, ("velo",))
    assert client.get("/api/sites", params={"bbox": bbox, "limit": 1}).json()["total"] == expected
    assert client.get("/api/sites/clusters", params={"bbox": bbox, "zoom": 9}).json()["total"] == expected
    assert client.get("/api/sites/clusters", params={"bbox": bbox, "zoom": 9, "activity": "velo"}).json()["total"] == velo


def kept(session) -> dict:
    rows = session.exec(select(SiteCell).where(SiteCell.count != 0)).all()
    return {(r.zoom, r.activities, r.cx, r.cy): (r.count, round(r.sum_lon, 6), round(r.sum_lat, 6), r.sum_id)
            for r in rows}


def test_every_kind_of_write_keeps_the_cells_as_a_full_recount_would(service, session):
    rennes = add(service, session, "Atelier A", activities=["velo"])
    brest = add(service, session, "Ressourcerie B", lon=-4.4861, lat=48.3904, activities=["reemploi", "textile"])
    gone = add(service, session, "Fermé C", lon=-2.76, lat=47.66, activities=["reparation"])
    sites.update(session, rennes, {"lon": -1.70, "lat": 48.10, "activities": ["velo", "reparation"]},
                 service.locator, actor="test")
    sites.set_status(session, gone, SiteStatus.archived, actor="test")
    rows = [bulk.new_row({"name": f"Lot {i}", "lon": -3.0 + i / 100, "lat": 48.0}, source="t", source_key=str(i))
            for i in range(20)]
    bulk.place(rows, service.locator)
    ids = bulk.insert_sites(session, rows, [["textile"]] * 20, actor="test")
    batch = [session.get(Site, i) for i in ids[:5]]
    before = [sites.snapshot(session, site) for site in batch]
    moved = [site.model_dump() | {"lat": 48.2} for site in batch]  # as an import rewrites them
    assert all(bulk.rewrite_sites(session, moved, [["velo"]] * 5, before, actor="test"))
    session.expire_all()
    assert brest.id and kept(session)
    maintained = kept(session)
    kept_cells.rebuild(session)
    assert kept(session) == maintained
    one = clusters.grid(session, SiteFilter(bbox=(-1.8, 48.0, -1.6, 48.2)), 9)
    assert [(c.count, c.site_id) for c in one.clusters] == [(1, rennes.id)]


@pytest.mark.parametrize("zoom", [3, 8, 9, 10])
def test_single_site_cells_name_their_site(client, zoom):
    answer = client.get("/api/sites/clusters", params={"bbox": "-5.3,47.2,-1.0,48.95", "zoom": zoom}).json()
    for single in [c for c in answer["clusters"] if c["count"] == 1][:5]:
        site = client.get(f"/api/sites/{single['id']}").json()
        assert site["geometry"]["coordinates"] == pytest.approx([single["lon"], single["lat"]], abs=1e-6)
