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
from tests.helpers import add, make_client


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
            assert cells.view_total(session, SiteFilter(bbox=box)) == counted(session, box), box
            assert (cells.view_total(session, SiteFilter(bbox=box, activities={"velo", "textile"}))
                    == counted(session, box, ("velo", "textile"))), box
            assert cells.view_per_activity(session, SiteFilter(), box) == per_activity(session, box), box


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


def ids_in(session, box, ess=None) -> set[int]:
    """Published sites of a box, decided in Python on the stored coordinates (no index, no rounding)."""
    west, south, east, north = box
    rows = session.exec(select(Site.id, Site.lon, Site.lat, Site.ess).where(Site.status == SiteStatus.published))
    return {i for i, lon, lat, flag in rows
            if west <= lon <= east and south <= lat <= north and (ess is None or flag == ess)}


def all_pages(client, path: str, params: dict) -> list[int]:
    """Every site id of a listing, following its cursors."""
    ids, params = [], params | {"limit": 1000}
    while True:
        answer = client.get(path, params=params).json()
        ids += [s[0] for s in answer["sites"]] if "sites" in answer else [f["id"] for f in answer["features"]]
        if not answer["next_cursor"]:
            return ids
        params = params | {"cursor": answer["next_cursor"]}


EDGE = (-3.5731, 48.2747, -3.5689, 48.2781)  # a box around Carhaix, sites put on and just off its edges


@pytest.fixture
def edged(demo_service):
    """The demo sites, plus sites on each edge of ``EDGE``, 0.0000008° outside it (the float4 rounding
    of PostGIS boxes kept such a site), and outside the ESS."""
    west, south, east, north = EDGE
    mid_lon, mid_lat = (west + east) / 2, (south + north) / 2
    spots = [(west, mid_lat), (east, mid_lat), (mid_lon, south), (mid_lon, north), (west, south), (east, north),
             (west - 8e-7, mid_lat), (east + 8e-7, mid_lat), (mid_lon, south - 8e-7), (mid_lon, north + 8e-7)]
    with demo_service.session() as session:
        for n, (lon, lat) in enumerate(spots):
            add(demo_service, session, f"Bord {n}", lon=lon, lat=lat, activities=["velo"] if n % 2 else ["textile"])
        for n in range(3):
            sites.create(session, sites.SiteData(name=f"Garage hors ESS {n}", activities=["velo"], lon=mid_lon,
                                                 lat=mid_lat + n * 1e-4), demo_service.locator, actor="test", ess=False)
        session.commit()
    return demo_service


@pytest.mark.parametrize("box", [EDGE, (-3.9, 48.0, -3.2, 48.5), (-5.2, 47.2, -1.0, 48.9), (-4.1, 47.9, -2.0, 48.6)])
@pytest.mark.parametrize("ess", [None, True])
def test_a_box_gives_the_same_sites_to_every_read_on_every_backend(edged, box, ess):
    """The same ids and counts from the list, its pages, the clusters at every zoom, the counts per
    activity and OGC, on SQLite and PostgreSQL: a site on an edge is in, one 0.0000008° off is out,
    and a filter the cells do not keep (ESS) is honoured by the counts too (the map once said 1,172
    sites where its list held 1,170)."""
    with edged.session() as session:
        expected = ids_in(session, box, ess)
        velo = expected & set(session.exec(select(SiteActivity.site_id).where(SiteActivity.activity == "velo")))
    params = {"bbox": ",".join(map(repr, box))} | ({"ess": "true"} if ess else {})
    with make_client(edged) as client:
        for form in ("geojson", "compact"):
            listed = all_pages(client, "/api/sites", params | {"format": form})
            assert sorted(listed) == sorted(expected)
        assert client.get("/api/sites", params=params | {"limit": 1}).json()["total"] == len(expected)
        for zoom in (5, 8, 9, 10, 11, 14):
            grid = client.get("/api/sites/clusters", params=params | {"zoom": zoom}).json()
            assert grid["total"] == len(expected), zoom
            with edged.session() as session:
                assert sum(c["count"] for c in grid["clusters"]) == len(ids_in(session, grid["bbox"], ess)), zoom
            velo_grid = client.get("/api/sites/clusters", params=params | {"zoom": zoom, "activity": "velo"}).json()
            assert velo_grid["total"] == len(velo), zoom
        tree = client.get("/api/taxonomy", params=params).json()
        assert {a["slug"]: a["count"] for d in tree["domains"] for a in d["activities"]}["velo"] == len(velo)
        if ess is None:  # OGC items take no ESS filter
            ogc = client.get("/ogc/collections/sites/items", params={"bbox": params["bbox"], "limit": 1, "f": "json"})
            assert ogc.json()["numberMatched"] == len(expected)
