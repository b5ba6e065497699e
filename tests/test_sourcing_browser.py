"""A buyer in a real browser: search suppliers of a territory, sort, download the result; territory pages."""
import csv
import io

import openpyxl
import pytest

pytestmark = pytest.mark.browser


def test_a_buyer_finds_suppliers_of_an_epci_sorts_them_and_downloads_them(live_server, page, tmp_path):
    page.goto(live_server.url + "/sourcing")
    territory = page.get_by_label("Territoire", exact=True)
    territory.fill("rennes met")  # accents left out: the suggestions find it anyway
    page.wait_for_selector('#buyer-territory-list option[value="Rennes Métropole (EPCI)"]', state="attached")
    territory.fill("Rennes Métropole (EPCI)")  # what choosing the suggestion types in
    assert page.locator("#buyer-zone").input_value() == "epci:243500139"
    page.get_by_label("Structure d'insertion (SIAE)").check()
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**/sourcing?**zone=epci%3A243500139**")
    assert "reserved=siae" in page.url  # the search is in its address: it can be shared

    found = int(page.locator(".buyer-count").inner_text().split()[0])
    rows = page.locator(".buyer-table tbody tr")
    assert 0 < found == rows.count()
    assert page.locator(".buyer-criteria").inner_text().startswith("Territoire : Rennes Métropole (EPCI)")
    page.wait_for_selector(".buyer-map .marker-cluster, .buyer-map .carto-marker")

    page.get_by_role("link", name="Commune").click()
    page.wait_for_url("**sort=commune**")
    assert page.locator("th[aria-sort]").inner_text().startswith("Commune")
    communes = page.locator(".buyer-table tbody tr td:nth-child(3)").all_inner_texts()
    assert communes == sorted(communes, key=str.casefold)

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV pour tableur").click()
    assert download.value.suggested_filename.endswith(".csv")
    raw = (tmp_path / "export.csv")
    download.value.save_as(raw)
    table = list(csv.reader(io.StringIO(raw.read_bytes().decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(table) == found + 1
    assert {r[table[0].index("epci")] for r in table[1:]} == {"Rennes Métropole"}
    assert {r[table[0].index("siae")] for r in table[1:]} == {"oui"}

    with page.expect_download() as xlsx:
        page.get_by_role("link", name="Tableur (XLSX)").click()
    xlsx.value.save_as(tmp_path / "export.xlsx")
    assert openpyxl.load_workbook(tmp_path / "export.xlsx")["Sites"].max_row == found + 1

    page.screenshot(path=tmp_path / "sourcing.png", full_page=True)
    assert page.external_requests == [] and page.errors == []


def test_a_radius_search_lists_the_nearest_first(live_server, page):
    page.goto(live_server.url + "/sourcing")
    page.get_by_label("Autour de la commune").fill("Brest")
    page.get_by_label("Rayon (km)").fill("12")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**radius_km=12**")
    distances = [float(t.replace(" km", "").replace(",", "."))
                 for t in page.locator(".buyer-table tbody td.buyer-num").all_inner_texts()]
    assert distances and distances == sorted(distances) and distances[-1] <= 12
    assert page.external_requests == [] and page.errors == []


def test_territory_statistics_change_with_the_level_and_pole_pages_show_their_sites(live_server, page, tmp_path):
    page.goto(live_server.url + "/territoires")
    page.get_by_label("Niveau", exact=True).select_option("pays")
    page.get_by_label("Activité", exact=True).select_option("velo")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**level=pays**")
    assert page.locator(".buyer-table tbody tr").count() == 21
    assert page.locator(".buyer-choropleth path.leaflet-interactive").count() == 21
    page.screenshot(path=tmp_path / "territoires.png", full_page=True)

    page.get_by_role("link", name="Couverture des pôles ESS").click()
    page.get_by_role("link", name="ADESK Centre Ouest Bretagne").click()
    page.wait_for_url("**/poles/adesk")
    page.wait_for_selector(".buyer-map .marker-cluster, .buyer-map .carto-marker")
    assert page.get_by_role("link", name="Carte intégrable du pôle").get_attribute("href") == "/embed?pole=adesk"
    page.screenshot(path=tmp_path / "pole.png", full_page=True)
    assert page.external_requests == [] and page.errors == []
