"""Where the CPU of a map page goes, piece by piece, in this process (no HTTP): what is left to cut.

    python bench/stack_costs.py --url postgresql://…/bench1m [--requests 300]

The page is the one ``scale.py`` compares with pygeoapi: ``/api/sites?bbox=…&limit=500`` (GeoJSON)
over the same five town views (417–479 sites at 1,000,000). Printed, in ms of CPU per page (medians
of ``--rounds`` rounds): the data version read in a new session (what ``carto.api.http_cache`` does
first), the page's read (``paging.find``: its conditions, its statement found by shape, run by psycopg
with binary rows), the same SQL run by psycopg alone with binary rows then with text rows (decoded),
the assembly of the page's JSON and its gzip. The rest of a request's CPU, measured by ``scale.py`` from
``/proc``, is the web stack (uvicorn, the ASGI layers, FastAPI, the thread pool).
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from psycopg.types.string import ByteaBinaryLoader  # noqa: E402
from sqlalchemy import event  # noqa: E402

from carto.api import compression  # noqa: E402
from carto.core.settings import Settings  # noqa: E402
from carto.directory import site_json  # noqa: E402
from carto.directory.service import Service  # noqa: E402
from carto.query import paging, params  # noqa: E402
from carto.storage import freshness  # noqa: E402

CITIES = [(-1.6778, 48.1173), (4.8357, 45.7640), (2.3522, 48.8566), (-0.5792, 44.8378), (3.0573, 50.6292)]


def boxes_of_at_most(service: Service, most: int = 500) -> list[str]:
    """Around each city, the largest box (halving as ``scale.py`` does) holding at most ``most`` sites."""
    out = []
    with service.session() as session:
        for lon, lat in CITIES:
            half = 0.4
            while True:
                bbox = f"{lon - half:.5f},{lat - half * 0.66:.5f},{lon + half:.5f},{lat + half * 0.66:.5f}"
                page, _ = paging.find(session, params.site_filter(service, session, {"bbox": bbox}), 1)
                if page.total <= most:
                    out.append(bbox)
                    break
                half /= 1.5
    return out


def cpu_ms(work, requests: int, rounds: int) -> float:
    """Median over ``rounds`` of the CPU per call of ``work(i)``, ``requests`` calls each."""
    work(0)
    figures = []
    for _ in range(rounds):
        start = time.process_time()
        for i in range(requests):
            work(i)
        figures.append((time.process_time() - start) / requests * 1000)
    return statistics.median(figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    service = Service.open(Settings(database_url=args.url, tiles="blank"))
    boxes = boxes_of_at_most(service)
    measure = lambda work: cpu_ms(work, args.requests, args.rounds)  # noqa: E731

    def version(_):
        with service.session() as session:
            freshness.answering_for_current(session)

    with service.session() as session:
        freshness.answering_for_current(session)
        filters = [params.site_filter(service, session, {"bbox": b}) for b in boxes]
        statements = []  # the page statements run, with their values, as the driver gets them

        def keep(conn, cursor, statement, parameters, context, executemany):
            if "FROM site" in statement and "ORDER BY" in statement:
                statements.append((statement, parameters))
        event.listen(service.engine, "before_cursor_execute", keep)
        try:
            pages = [paging.find(session, f, 500, columns=site_json.FEATURE_COLUMNS)[0] for f in filters]
        finally:
            event.remove(service.engine, "before_cursor_execute", keep)
        driver = session.connection().connection.driver_connection

        def by_psycopg(binary: bool):
            def run(i):
                with driver.cursor() as cursor:
                    if binary:
                        cursor.adapters.register_loader("text", ByteaBinaryLoader)
                    cursor.execute(*statements[i % len(statements)], binary=binary)
                    cursor.fetchall()
            return run

        def assembly(i):
            page = pages[i % len(pages)]
            return site_json.document({"type": "FeatureCollection", "numberReturned": len(page.sites)}, "features",
                                      service.pieces.features(page.sites, page.distances))

        bodies = [assembly(i) for i in range(len(pages))]
        figures = {
            "data version, in a new session (ping, BEGIN, SELECT, ROLLBACK)": measure(version),
            "page read: paging.find (its statement found by shape, run by psycopg)":
                measure(lambda i: paging.find(session, filters[i % len(filters)], 500, columns=site_json.FEATURE_COLUMNS)),
            "  the same SQL by psycopg, binary rows (text as bytes), as paging.find": measure(by_psycopg(True)),
            "  the same SQL by psycopg, text rows (decoded to str)": measure(by_psycopg(False)),
            "JSON of the page (stored features joined, bytes)": measure(assembly),
            "gzip (ISA-L, level 1)": measure(lambda i: compression.gzip(bodies[i % len(bodies)])),
        }
    sites = [len(p.sites) for p in pages]
    print(f"{len(boxes)} views, {min(sites)}–{max(sites)} sites, {args.requests} calls × {args.rounds} rounds")
    for label, ms in figures.items():
        print(f"{label:<70} {ms:6.2f} ms CPU")


if __name__ == "__main__":
    main()
