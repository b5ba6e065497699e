"""Several server processes (``carto serve --workers N``) and the reverse proxy in front of them:
limits are rows of the database, so they hold whichever worker answers; X-Forwarded-For is believed
only from ``CARTO_TRUSTED_PROXIES``."""
from pathlib import Path

import httpx

from tests.helpers import csrf_of, kill, serve

RENNES = (-1.6778, 48.1173)
SECRET = {"CARTO_SECRET_KEY": "une-cle-de-test-assez-longue-pour-servir"}


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def worker_of(response: httpx.Response, server_pid: int) -> int:
    """The server process holding this response's connection: the one owning the socket whose peer
    is our end of it (/proc/net/tcp)."""
    ends = {(response.url.port, response.extensions["network_stream"].get_extra_info("socket").getsockname()[1])}
    rows = (line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:])
    inode = next(fields[9] for fields in rows
                 if {(int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16))} == ends)
    return next(pid for pid in descendants(server_pid) if inode in socket_inodes(pid))


def proposal(client: httpx.Client, n: int, **headers) -> httpx.Response:
    token = csrf_of(client.get("/proposer", headers=headers).text)
    return client.post("/proposer", headers=headers, data={
        "csrf_token": token, "name": f"Atelier partagé {n}", "activities": ["velo"],
        "lon": str(RENNES[0] + 0.004 * n), "lat": str(RENNES[1]), "not_duplicate": "1",
        "contributor_name": "Jeanne", "contributor_email": f"jeanne{n}@exemple.org", "consent": "1"})


def test_a_limit_holds_across_two_workers(demo_service):
    server, url = serve(demo_service, "--workers", "2", CARTO_SUBMISSIONS_PER_HOUR="4", **SECRET)
    clients: dict[int, httpx.Client] = {}
    try:
        for _ in range(60):  # new connections until each worker holds one of them
            client = httpx.Client(base_url=url, timeout=60)
            worker = worker_of(client.get("/api/taxonomy"), server.pid)
            if worker in clients:
                client.close()
            else:
                clients[worker] = client
            if len(clients) == 2:
                break
        assert len(clients) == 2, "the second worker never answered"
        codes = []
        for n in range(6):  # one worker, then the other, on their kept-alive connections
            worker, client = list(clients.items())[n % 2]
            response = proposal(client, n)
            assert worker_of(response, server.pid) == worker
            codes.append(response.status_code)
        assert codes == [303, 303, 303, 303, 429, 429]  # per process, it would have been six 303
    finally:
        for client in clients.values():
            client.close()
        kill(server)


def test_forwarded_addresses_are_believed_only_from_trusted_proxies(demo_service):
    server, url = serve(demo_service, CARTO_SUBMISSIONS_PER_HOUR="2", **SECRET)
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            codes = [proposal(client, n, **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)]
        assert codes == [303, 303, 429]  # a spoofed header does not escape the limit of the real peer
    finally:
        kill(server)
    server, url = serve(demo_service, CARTO_SUBMISSIONS_PER_HOUR="2", CARTO_TRUSTED_PROXIES="127.0.0.1", **SECRET)
    try:
        with httpx.Client(base_url=url, timeout=60) as proxy:
            behind = [proposal(proxy, n, **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3, 6)]
            same = [proposal(proxy, n, **{"X-Forwarded-For": "198.51.100.9"}).status_code for n in range(6, 9)]
        assert behind == [303, 303, 303]  # three visitors behind the proxy, one sending each
        assert same == [303, 303, 429]  # one visitor, limited on its own address
    finally:
        kill(server)
