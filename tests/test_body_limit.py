"""Request bodies beyond a size are refused before they are parsed or spooled to disk: one that
announces its size at once, one that hides it (chunked) as soon as it passes the limit."""
import socket
import time

from carto.app import create_app
from tests.helpers import LiveServer, csrf_of


def raw_request(url: str, head: str, chunks, pause: float = 0.0) -> tuple[str, int]:
    """Send ``head`` then ``chunks`` on a socket until the server answers; returns the status line and
    how many body bytes were sent before the answer came."""
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(head.encode())
        s.setblocking(False)
        for chunk in chunks:
            try:
                answer = s.recv(65536)
                if answer:
                    return answer.decode("latin-1").split("\r\n")[0], sent
            except BlockingIOError:
                pass
            try:
                s.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.05)
                continue
            sent += len(chunk)
            time.sleep(pause)
        s.setblocking(True)
        return s.recv(65536).decode("latin-1").split("\r\n")[0], sent


def test_a_body_claiming_a_gigabyte_is_refused_unread(demo_service):
    with LiveServer(create_app(service=demo_service)) as server:
        head = ("POST /proposer HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                f"Content-Length: {10 ** 9}\r\n\r\n")
        started = time.monotonic()
        status, sent = raw_request(server.url, head, [b"--b\r\n"] * 5, pause=0.2)
        assert status == "HTTP/1.1 413 Request Entity Too Large"
        assert sent < 100 and time.monotonic() - started < 5


def test_a_body_hiding_its_size_is_cut_off_at_the_limit(demo_service):
    limit = demo_service.settings.max_form_kb * 1024
    with LiveServer(create_app(service=demo_service)) as server:
        head = ("POST /proposer HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                "Transfer-Encoding: chunked\r\n\r\n")
        piece = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n" + b"x" * 16000
        chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        status, sent = raw_request(server.url, head, [chunk] * 2000, pause=0.002)  # 32 MB if it were read
        assert status == "HTTP/1.1 413 Request Entity Too Large"
        assert sent < 4 * limit  # cut off near the limit (socket buffers hold a little more)


def test_forms_under_the_limit_and_administrators_uploads_pass(client, demo_service, moderation_accounts, sign_in):
    limit = demo_service.settings.max_form_kb * 1024
    token = csrf_of(client.get("/proposer").text)
    big = client.post("/proposer", data={"csrf_token": token, "description": "é" * limit})
    assert big.status_code == 413 and "Envoi trop volumineux : 256 Ko au plus." in big.text
    refused = client.post("/api/moderation/decisions", content=b"[" + b"1," * limit + b"1]",
                          headers={"Content-Type": "application/json"})
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "Envoi trop volumineux : 256 Ko au plus." and refused.json()["status"] == 413
    anonymous = client.post("/moderation/imports", files={"file": ("a.csv", b"x" * (2 * limit))})
    assert anonymous.status_code == 413  # the large limit needs a session
    csrf = sign_in(client, moderation_accounts["admin"])
    upload = client.post("/moderation/imports", data={"csrf_token": csrf, "format": "lvao"},
                         files={"file": ("lvao.csv", b"identifiant;nom\n" + b"x" * (2 * limit))})
    assert upload.status_code != 413
