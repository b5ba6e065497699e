/* Carto ESS — the public map.
 *
 * The page is rendered by the server (folium map, filter form pre-filled from the URL); this script
 * loads the sites of the current view (/api/sites, compact format, by bounding box; counted per
 * cell by /api/sites/clusters when there are too many to show one by one), the number of
 * sites per activity (/api/taxonomy, only when they can change), keeps the state of the map in the
 * URL (centre, zoom, filters, search, selected site, favourites; each change a step of the browser's
 * history), outlines the chosen territory, and drives the place search, "autour de moi", « Mes
 * favoris » and the choice of basemap.
 * It needs markers.js, basemap.js and site-actions.js (for favourites; optional) loaded first, and
 * window.CARTO = {map, cluster, layers, taxonomy, ownBasemapFirst}; it may take {words} (English:
 * words-en.js) and {embed} (see EMBED below).
 */
(function () {
  "use strict";
  const C = window.CARTO;
  const map = C.map;
  const cluster = C.cluster;
  const LIMIT = 1000; // sites shown one by one; beyond, counted per cell, and the status asks to zoom in
  const SEARCH_DELAY_MS = 350;
  // The map inside a partner's iframe (/embed): its links open a new tab (embed.linkTarget), its list
  // is the embed's own (embed.listUrl, to which the filters are appended), and the server already
  // set its first view from the embed's options: the address is neither read nor rewritten.
  const EMBED = C.embed || null;
  // Markers, popups, words (French, or the page's own: window.CARTO.words) and JSON reads: markers.js.
  const M = CartoMarkers.create({ taxonomy: C.taxonomy, words: C.words, linkTarget: EMBED && EMBED.linkTarget,
    lang: EMBED && EMBED.lang });
  const W = M.words;
  const getJson = CartoMarkers.getJson;
  const failure = (e) => CartoMarkers.failure(e, W);
  const form = document.getElementById("carto-filters");
  const statusBox = document.getElementById("carto-status");
  document.body.classList.add("carto-js");
  map.invalidateSize();

  // --- Filters: the form is the source of truth, named like the API's query parameters ------------
  const domainBlocks = Array.from(form.querySelectorAll(".carto-domain"));
  const activityBoxes = (block) => Array.from(block.querySelectorAll('input[name="activity"]'));

  /* Whole domains as domain=…, partial ones as activity=…; nothing when every activity is on. */
  function activityParams() {
    const params = [];
    let on = 0, total = 0;
    for (const block of domainBlocks) {
      const boxes = activityBoxes(block);
      const checked = boxes.filter((b) => b.checked);
      on += checked.length; total += boxes.length;
      if (checked.length === boxes.length) params.push(["domain", block.dataset.domain]);
      else checked.forEach((b) => params.push(["activity", b.value]));
    }
    return { params: on === total ? [] : params, none: on === 0 };
  }

  function filterParams() {
    const p = new URLSearchParams();
    for (const [key, value] of new FormData(form)) {
      if (key !== "activity" && key !== "near" && String(value).trim()) p.append(key, String(value).trim());
    }
    activityParams().params.forEach(([k, v]) => p.append(k, v));
    return p;
  }

  function selectedActivities() {
    return new Set(Array.from(form.querySelectorAll('input[name="activity"]:checked'), (b) => b.value));
  }

  function syncDomainBox(block) {
    const boxes = activityBoxes(block);
    const on = boxes.filter((b) => b.checked).length;
    const box = block.querySelector(".carto-domain-box");
    box.checked = on === boxes.length;
    box.indeterminate = on > 0 && on < boxes.length;
  }

  function setDomain(block, checked) {
    activityBoxes(block).forEach((b) => { b.checked = checked; });
    syncDomainBox(block);
    refresh();
  }

  for (const block of domainBlocks) {
    block.querySelector(".carto-domain-box").hidden = false;
    block.querySelector(".carto-allnone").hidden = false;
    block.querySelector(".carto-domain-box").addEventListener("change", (e) => setDomain(block, e.target.checked));
    block.querySelector('[data-select="all"]').addEventListener("click", () => setDomain(block, true));
    block.querySelector('[data-select="none"]').addEventListener("click", () => setDomain(block, false));
    activityBoxes(block).forEach((b) => b.addEventListener("change", () => { syncDomainBox(block); refresh(); }));
    syncDomainBox(block);
  }

  form.querySelectorAll('input[name="siae"], input[name="ea"], input[name="reserved_verified"], input[name="ess"]')
    .forEach((b) => b.addEventListener("change", refresh));
  form.querySelectorAll("select[data-level]").forEach((select) => select.addEventListener("change", () => {
    // One territory at a time on the map: the last one chosen is outlined.
    showOutline(select.value ? select.dataset.level : null, select.value, true);
    refresh();
  }));

  let searchTimer = null;
  const searchBox = form.elements.q;
  searchBox.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(refresh, SEARCH_DELAY_MS);
  });
  searchBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); clearTimeout(searchTimer); refresh(); }
  });
  // "Afficher en liste": the same filters, sorted around the centre of the map.
  form.addEventListener("submit", (e) => { e.preventDefault(); window.location.href = listUrl(); });

  // --- Markers (markers.js draws them: the pin of the main activity among the selected ones) ----
  const markers = new Map(); // site id -> L.Marker
  M.attach(map);
  M.clusterKeys(map, cluster);

  function showSites(rows, complete) {
    const selected = selectedActivities();
    const keep = new Set(rows.map((r) => r[0]));
    if (complete && selectedSite && !keep.has(selectedSite)) map.closePopup(); // filtered out
    const gone = [];
    markers.forEach((marker, id) => { if (!keep.has(id)) { gone.push(marker); markers.delete(id); } });
    cluster.removeLayers(gone);
    const added = [];
    for (const row of rows) {
      const existing = markers.get(row[0]);
      if (existing) {
        const icon = M.icon(M.mainActivity(row[4], selected));
        if (existing.options.icon !== icon) existing.setIcon(icon);
        continue;
      }
      const marker = M.marker(map, row, selected);
      markers.set(row[0], marker);
      added.push(marker);
    }
    cluster.addLayers(added);
  }

  // --- Crowded views: more than LIMIT sites, counted per cell by the server ------------------
  const cells = L.layerGroup().addTo(map); // not in the MarkerCluster: it would group the groups again
  map.on("overlayadd overlayremove", (e) => {
    if (e.layer === cluster) { if (e.type === "overlayadd") cells.addTo(map); else cells.remove(); }
  });

  function cellIcon(count) {
    const size = count < 10 ? "small" : count < 100 ? "medium" : "large";
    return L.divIcon({ html: "<div><span>" + W.number(count) + "</span></div>", iconSize: [40, 40],
      className: "marker-cluster marker-cluster-" + size });
  }

  function zoomToCell(cell) {
    if (cell.id !== undefined) { openSite(cell.id, false); return; }
    const [w, s, e, n] = cell.bbox;
    map.fitBounds([[s, w], [n, e]], { maxZoom: 18, padding: [30, 30] });
  }

  function showCells(list) {
    cells.clearLayers();
    for (const cell of list) {
      L.marker([cell.lat, cell.lon], { icon: cellIcon(cell.count), title: W.cellTitle(cell.count), keyboard: true })
        .on("click", () => zoomToCell(cell))
        .on("keypress", (e) => { if (e.originalEvent.key === "Enter") zoomToCell(cell); })
        .addTo(cells);
    }
  }

  // --- Counts and status ---------------------------------------------------------------------
  function showCounts(tree) {
    for (const domain of tree.domains) {
      for (const a of domain.activities) {
        const span = form.querySelector('.carto-count[data-activity="' + a.slug + '"]');
        if (!span) continue;
        span.classList.toggle("is-zero", a.count === 0);
        if (a.count === null) { span.textContent = ""; continue; }  // a frequent word: not counted
        span.innerHTML = '<span class="carto-sr">, </span>' + a.count + '<span class="carto-sr">' +
          W.countInView(a.count) + "</span>";
      }
    }
  }

  /* Which structures the view holds: ESS ones by default (« true »), « all » or « false » when asked. */
  function essScope() {
    const checked = form && form.querySelector('input[name="ess"]:checked');
    return checked ? checked.value : "true";
  }

  function showStatus(total, grouped, none) {
    if (none) { statusBox.textContent = W.noActivity; return; }
    statusBox.textContent = W.inView(total);
    const scope = essScope();
    if (scope !== "true") { // the map shows ESS structures unless asked: say so when it shows others
      const note = document.createElement("span");
      note.className = "carto-ess-note";
      note.textContent = scope === "false" ? W.othersOnly : W.othersIncluded;
      statusBox.appendChild(note);
    }
    if (grouped) {
      const warn = document.createElement("span");
      warn.className = "carto-warn";
      warn.textContent = W.grouped;
      statusBox.appendChild(warn);
    }
  }

  // --- Loading the view ----------------------------------------------------------------------
  function bboxParam() {
    const b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map((v, i) => Math.max(i % 2 ? -90 : -180, Math.min(i % 2 ? 90 : 180, v)).toFixed(5)).join(",");
  }

  /* The sites of the view one by one when there are at most LIMIT of them, else counted per cell.
   * A page of markers is asked for only when it will be shown: directly when the view lies within
   * the last one known to hold at most LIMIT sites with the same filters (a zoom in or a small pan
   * there), else after the cells, whose total says whether the view is crowded. */
  let roomy = null; // {box: [w, s, e, n], params} of the last view shown one by one
  function within(inner, outer) {
    return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
  }

  function loadSites(bbox, params, signal) {
    const zoom = map.getZoom();
    const query = "bbox=" + bbox + "&" + params;
    const box = bbox.split(",").map(Number);
    const asSites = () => getJson("/api/sites?format=compact&limit=" + LIMIT + "&" + query, signal).then((data) => {
      roomy = { box: box, params: String(params) };
      return data;
    });
    if (roomy && roomy.params === String(params) && within(box, roomy.box)) return asSites();
    return getJson("/api/sites/clusters?zoom=" + zoom + "&" + query, signal).then((grid) => {
      if (grid.total <= LIMIT) return asSites();
      roomy = null;
      return { total: grid.total, cells: grid.clusters };
    });
  }

  /* Counts per activity are those of the view and of the other filters (facets): ticking an
   * activity does not change them, so they are asked for only when the view or those filters do.
   * Not aborted with the sites: a later refresh of the same view reuses the answer on its way. */
  let countsAsked = null, countsAnswer = null;
  function loadCounts(bbox, params) {
    const counts = new URLSearchParams(params);
    counts.delete("activity"); counts.delete("domain");
    const url = "/api/taxonomy?bbox=" + bbox + "&" + counts;
    if (url === countsAsked) return countsAnswer;
    countsAsked = url;
    countsAnswer = getJson(url).catch((e) => { if (countsAsked === url) countsAsked = null; throw e; });
    return countsAnswer;
  }

  let pending = null;
  function refresh() {
    if (favouritesOn()) { writeUrl(); return; } // the favourites stay shown whatever the view
    const bbox = bboxParam();
    const params = filterParams();
    const none = activityParams().none;
    if (pending) pending.abort();
    pending = new AbortController();
    const signal = pending.signal;
    const sites = none ? Promise.resolve({ total: 0, sites: [] }) : loadSites(bbox, params, signal);
    Promise.all([sites, loadCounts(bbox, params)])
      .then(([data, tree]) => {
        showSites(data.sites || [], !data.cells);
        showCells(data.cells || []);
        showCounts(tree);
        showStatus(data.total, Boolean(data.cells), none);
      })
      .catch((e) => {
        if (e.name === "AbortError") return;
        statusBox.textContent = W.loadFailed + " " + failure(e);
        console.error(e);
      });
    writeUrl();
  }

  // --- « Mes favoris »: the sites kept in this browser (site-actions.js), instead of the view's ---
  const favouritesBox = document.getElementById("carto-favourites");
  const favourites = window.CartoFavourites;
  function favouritesOn() { return Boolean(favouritesBox && favouritesBox.checked); }

  function showFavourites(fit) {
    if (pending) pending.abort();
    pending = new AbortController();
    const signal = pending.signal;
    const gone = (e) => (e.status === 404 ? null : Promise.reject(e)); // unpublished since: left out
    Promise.all(favourites.list().map((f) => getJson("/api/sites/" + encodeURIComponent(f.id), signal).catch(gone)))
      .then((features) => {
        const rows = features.filter(Boolean).map((f) =>
          [f.id, f.geometry.coordinates[0], f.geometry.coordinates[1], f.properties.nom, f.properties.activites]);
        showCells([]);
        showSites(rows, true);
        statusBox.textContent = W.favouritesOnly(rows.length);
        if (fit && rows.length) map.fitBounds(rows.map((r) => [r[2], r[1]]), { maxZoom: 15, padding: [40, 40] });
      })
      .catch((e) => {
        if (e.name === "AbortError") return;
        statusBox.textContent = W.favouritesFailed + failure(e);
        console.error(e);
      });
  }

  function countFavourites() {
    document.getElementById("carto-favourites-count").textContent = "(" + favourites.list().length + ")";
  }

  if (favouritesBox && favourites) {
    favouritesBox.closest("[hidden]").hidden = false;
    countFavourites();
    favourites.onChange(() => { countFavourites(); if (favouritesOn()) showFavourites(false); });
    favouritesBox.addEventListener("change", () => {
      if (favouritesOn()) { showFavourites(true); writeUrl(); } else refresh();
    });
  }

  // --- State in the URL ----------------------------------------------------------------------
  let selectedSite = null;

  function listUrl() {
    const p = filterParams();
    const c = map.getCenter();
    p.set("near", c.lng.toFixed(5) + "," + c.lat.toFixed(5));
    return (EMBED ? EMBED.listUrl + "&" : "/liste?") + p;
  }

  /* The view as the address gave it: kept while the map has not moved by a pixel, so that the
   * half-pixel rounding of Leaflet's centre does not make a shared address creep at each reload. */
  let addressView = null;

  function viewParams() {
    const c = map.getCenter(), zoom = map.getZoom();
    const a = addressView;
    if (a && a.zoom === zoom && map.latLngToContainerPoint(a.centre).distanceTo(map.latLngToContainerPoint(c)) < 1) {
      return [a.lat, a.lon, a.zoom];
    }
    return [c.lat.toFixed(5), c.lng.toFixed(5), zoom];
  }

  /* Each change of the filters or of the view is a step of the browser's history (Back and Forward
   * walk through them); the first view, and views put back from the history, replace their entry. */
  let started = false, restoring = false;

  function writeUrl() {
    const p = filterParams();
    const [lat, lon, zoom] = viewParams();
    p.set("lat", lat);
    p.set("lon", lon);
    p.set("zoom", zoom);
    if (activityParams().none) p.set("no_activity", "1"); // else an address without activity means all of them
    if (favouritesOn()) p.set("favoris", "1");
    if (selectedSite) p.set("site", selectedSite);
    const listLink = document.getElementById("carto-list-link");
    if (listLink) listLink.href = listUrl();
    if (EMBED) return;
    const address = window.location.pathname + "?" + p;
    if (address === window.location.pathname + window.location.search) return;
    const same = (a, b) => { a.delete("site"); b.delete("site"); return String(a) === String(b); };
    // Opening or closing a popup is not a step: only filters and view are.
    const step = started && !restoring && !same(new URLSearchParams(window.location.search), new URLSearchParams(p));
    if (step) history.pushState(null, "", address);
    else history.replaceState(null, "", address);
  }

  map.on("popupopen", (e) => {
    if (e.popup.options.siteId) { selectedSite = e.popup.options.siteId; writeUrl(); }
  });
  map.on("popupclose", (e) => {
    if (e.popup.options.siteId === selectedSite) { selectedSite = null; writeUrl(); }
  });

  /* A shared URL's site: its popup opens where it stands, whatever the clustering at that zoom. */
  function openSite(id, centre) {
    getJson("/api/sites/" + encodeURIComponent(id)).then((feature) => {
      const [lon, lat] = feature.geometry.coordinates;
      if (centre) map.setView([lat, lon], 16);
      M.openPopup(map, [feature.id, lon, lat, feature.properties.nom, feature.properties.activites], null);
    }).catch((e) => say(e.status === 404 ? W.siteGone : W.siteFailed + failure(e)));
  }

  /* The filters of an address put back in the form (Back and Forward; the server fills it on load). */
  function applyFilters(q) {
    form.elements.q.value = q.get("q") || "";
    const activities = new Set(q.getAll("activity"));
    const domains = new Set(q.getAll("domain"));
    const all = !q.get("no_activity") && activities.size === 0 && domains.size === 0;
    for (const block of domainBlocks) {
      activityBoxes(block).forEach((b) => {
        b.checked = all || domains.has(block.dataset.domain) || activities.has(b.value);
      });
      syncDomainBox(block);
    }
    form.querySelectorAll("select[data-level]").forEach((select) => {
      select.value = q.get(select.dataset.level) || "";
    });
    form.querySelectorAll('input[name="siae"], input[name="ea"], input[name="reserved_verified"]')
      .forEach((b) => { b.checked = q.get(b.name) === "true"; });
    // ESS structures unless the URL asks for others (the server's default too).
    form.querySelectorAll('input[name="ess"]').forEach((b) => { b.checked = b.value === (q.get("ess") || "true"); });
    if (favouritesBox) favouritesBox.checked = q.get("favoris") === "1";
  }

  function restoreView(fromHistory) {
    const q = new URLSearchParams(window.location.search);
    const lat = parseFloat(q.get("lat")), lon = parseFloat(q.get("lon")), zoom = parseInt(q.get("zoom"), 10);
    const hasView = isFinite(lat) && isFinite(lon) && isFinite(zoom);
    const level = TERRITORY_LEVELS.find((l) => q.get(l));
    showOutline(level, level && q.get(level), !hasView);
    if (hasView) {
      map.setView([lat, lon], zoom, { animate: false });
      addressView = { lat: q.get("lat"), lon: q.get("lon"), zoom: zoom, centre: L.latLng(lat, lon) };
    }
    const site = /^\d+$/.test(q.get("site") || "") ? q.get("site") : null;
    if (site && site !== selectedSite) openSite(site, !hasView);
    else if (!site && fromHistory) map.closePopup();
  }

  window.addEventListener("popstate", () => {
    if (EMBED) return;
    restoring = true;
    map.off("moveend", refresh); // one refresh for the whole address, not one more for its view
    applyFilters(new URLSearchParams(window.location.search));
    restoreView(true);
    refresh();
    map.on("moveend", refresh);
    restoring = false;
  });

  // --- Pôle areas: a layer of the layer control, fetched the first time it is needed --------
  let poleAreasRequest = null;
  function poleAreas() {
    if (!poleAreasRequest) poleAreasRequest = getJson("/carte/zones-poles.geojson");
    return poleAreasRequest;
  }

  const poleLayer = L.geoJSON(null, {
    style: () => ({ color: "#6a1b9a", weight: 1.5, fillOpacity: 0.08 }),
    onEachFeature: (feature, layer) => layer.bindTooltip(W.poleTooltip + CartoMarkers.escapeHtml(feature.properties.nom), { sticky: true }),
  });
  C.layers.addOverlay(poleLayer, W.poleLayer);
  map.on("overlayadd", (e) => {
    if (e.layer === poleLayer && poleLayer.getLayers().length === 0) {
      poleAreas().then((areas) => poleLayer.addData(areas))
        .catch((e) => { statusBox.textContent = W.polesFailed + failure(e); });
    }
  });

  // --- Places: communes, territories, "autour de moi" ----------------------------------------
  const placeForm = document.getElementById("carto-place");
  const placeInput = document.getElementById("carto-place-q");
  const placeResults = document.getElementById("carto-place-results");
  const placeMessage = document.getElementById("carto-place-message");

  function say(text) { placeMessage.textContent = text; }

  function fitPlace(place, maxZoom) {
    if (place.bbox) {
      const [w, s, e, n] = place.bbox;
      map.fitBounds([[s, w], [n, e]], { maxZoom: maxZoom || 14 });
    } else if (place.centre) {
      map.setView([place.centre[1], place.centre[0]], maxZoom || 13);
    }
  }

  /* The chosen territory (pôle, EPCI, pays, département or commune) outlined, the map fitted to it. */
  const TERRITORY_LEVELS = ["commune", "pole", "epci", "pays", "departement"];
  const outline = L.geoJSON(null, {
    interactive: false, style: { color: "#1b3a4b", weight: 2, dashArray: "6 4", fill: false },
  }).addTo(map);
  let outlined = null;

  function showOutline(level, code, fit) {
    const key = level ? level + "/" + code : null;
    if (key === outlined) return;
    outlined = key;
    outline.clearLayers();
    if (!key) return;
    getJson("/carte/contour/" + encodeURIComponent(level) + "/" + encodeURIComponent(code) + ".geojson").then((area) => {
      if (outlined !== key) return; // another territory was chosen meanwhile
      outline.addData(area);
      if (fit) fitPlace(area, 13);
    }).catch((e) => say(W.territoryFailed + failure(e)));
  }

  function goToPlace(place) {
    fitPlace(place, 14);
    placeResults.hidden = true;
    say(W.centredOn(place.nom));
    closePanelOnPhone();
  }

  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/œ/gi, "oe").toLowerCase()
      .replace(/[-'’]/g, " ").trim();
  }

  function showPlaceChoices(items, total) {
    placeResults.innerHTML = "";
    for (const item of items.slice(0, 10)) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      const postcodes = (item.codes_postaux || []).join(", ");
      button.textContent = item.nom + " (" + (postcodes || item.code) + ")";
      button.addEventListener("click", () => goToPlace(item));
      li.appendChild(button);
      placeResults.appendChild(li);
    }
    placeResults.hidden = false;
    say(W.choose(total, Math.min(items.length, 10)));
    placeResults.querySelector("button").focus();
  }

  placeForm.hidden = false;
  placeForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = placeInput.value.trim();
    if (!q) return;
    say(W.searching);
    const byName = () => getJson("/api/territories/communes?q=" + encodeURIComponent(q));
    // Five digits: a postcode first (people know theirs, rarely an INSEE code), else a code.
    const search = /^\d{5}$/.test(q)
      ? getJson("/api/territories/communes?postcode=" + q).then((data) => (data.total ? data : byName()))
      : byName();
    search.then((data) => {
      const items = data.territories;
      const exact = items.filter((t) => fold(t.nom) === fold(q));
      if (items.length === 0) say(W.noCommune(q));
      else if (items.length === 1 || exact.length === 1) goToPlace(exact[0] || items[0]);
      else showPlaceChoices(items, data.total);
    }).catch((e) => say(W.communeFailed + failure(e)));
  });

  let hereMarker = null;
  document.getElementById("carto-locate").addEventListener("click", () => {
    if (!navigator.geolocation) { say(W.noGeolocation); return; }
    say(W.locating);
    navigator.geolocation.getCurrentPosition((pos) => {
      const here = [pos.coords.latitude, pos.coords.longitude];
      if (hereMarker) hereMarker.remove();
      hereMarker = L.marker(here, {
        icon: L.divIcon({ className: "carto-here", iconSize: [16, 16] }), title: W.here, keyboard: false,
      }).addTo(map);
      map.setView(here, 14);
      say(W.located);
      closePanelOnPhone();
    }, (err) => {
      say(err.code === err.PERMISSION_DENIED ? W.locationDenied : W.locationFailed);
    }, { timeout: 15000, maximumAge: 60000 });
  });

  // --- Panel on phones -----------------------------------------------------------------------
  const panel = document.getElementById("carto-panel");
  const toggle = document.querySelector(".carto-panel-toggle");
  const phone = window.matchMedia("(max-width: 50rem)");

  function setPanel(open) {
    panel.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", String(open));
    if (open) panel.querySelector("input, select, button").focus();
  }
  function closePanelOnPhone() {
    if (phone.matches && panel.classList.contains("is-open")) { setPanel(false); toggle.focus(); }
  }
  phone.addEventListener("change", () => { if (!phone.matches) setPanel(false); });
  toggle.addEventListener("click", () => setPanel(!panel.classList.contains("is-open")));
  panel.addEventListener("keydown", (e) => { if (e.key === "Escape") closePanelOnPhone(); });

  // --- Our own basemap beside the tiles: first when tiles are off, and instead of tiles that fail ---
  CartoBasemap.offer(map, { layers: C.layers, first: C.ownBasemapFirst, name: W.ownBasemap,
    failed: (e) => say(W.basemapFailed + failure(e)), tilesFailed: () => say(W.tilesFailed) });

  // --- Layer control: French, and folded on phones where it would hide the map ---------------
  const layersToggle = C.layers.getContainer().querySelector(".leaflet-control-layers-toggle");
  layersToggle.title = W.layers;
  layersToggle.setAttribute("aria-label", W.layers);
  if (phone.matches) {
    C.layers.collapse();
    map.on("click", () => C.layers.collapse());
  }

  // --- Start ---------------------------------------------------------------------------------
  if (EMBED && EMBED.outline) outline.addData(EMBED.outline); // the territory the embed is preset to
  if (!EMBED) restoreView(false);
  if (favouritesOn()) showFavourites(!new URLSearchParams(window.location.search).get("lat"));
  map.on("moveend", refresh);
  refresh();
  started = true;
})();
