"""Responses are gzip-compressed for clients that accept it (ISA-L, carto.api.compression): the
bytes sent are a gzip stream any client decodes to the same document, streamed or not."""
import gzip
import json

from carto.api import compression


def raw(client, path: str, encoding: str = "gzip"):
    """The response's status, headers and bytes as sent (the test client decodes gzip itself)."""
    with client.stream("GET", path, headers={"Accept-Encoding": encoding, "Cache-Control": "no-cache"}) as r:
        return r.status_code, r.headers, b"".join(r.iter_raw())


def test_a_page_of_features_is_sent_gzip_and_decodes_to_the_same_document(client):
    status, headers, sent = raw(client, "/api/sites?limit=500")
    _, plain_headers, plain = raw(client, "/api/sites?limit=500", encoding="identity")
    assert status == 200 and headers["content-encoding"] == "gzip" and "Accept-Encoding" in headers["vary"]
    assert "content-encoding" not in plain_headers
    assert int(headers["content-length"]) == len(sent) < len(plain) / 5
    assert json.loads(gzip.decompress(sent)) == json.loads(plain)
    assert len(json.loads(plain)["features"]) == 500


def test_a_streamed_export_is_one_gzip_stream_of_the_whole_file(client):
    status, headers, sent = raw(client, "/api/exports/sites.geojson")
    _, _, plain = raw(client, "/api/exports/sites.geojson", encoding="identity")
    assert status == 200 and headers["content-encoding"] == "gzip" and "content-length" not in headers
    assert gzip.decompress(sent) == plain
    assert len(json.loads(plain)["features"]) == 500


def test_small_answers_and_compressed_files_are_sent_as_they_are(client):
    _, headers, sent = raw(client, "/api/sites?limit=1&format=compact")
    assert "content-encoding" not in headers and json.loads(sent)["sites"]
    _, headers, _ = raw(client, "/static/vendor/leaflet/images/marker-icon.png")
    assert "content-encoding" not in headers


def test_the_benchmarks_compress_as_the_server_does():
    body = json.dumps({"features": [{"nom": "Recyclerie n° %d" % i} for i in range(1000)]}).encode()
    assert gzip.decompress(compression.gzip(body)) == body
