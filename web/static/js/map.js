/* Carto ESS — the public map.
 *
 * The page is rendered by the server (folium map, filter form pre-filled from the URL); this script
 * loads the sites of the current view (/api/sites, compact format, by bounding box; counted per
 * cell by /api/sites/clusters when there are too many to show one by one), the number of
 * sites per activity (/api/taxonomy), keeps the state of the map in the URL (centre, zoom, filters,
 * search, selected site), and drives the place search and "autour de moi".
 * It needs window.CARTO = {map, cluster, layers, taxonomy} and may take {words} (see W below)
 * and {embed} (see EMBED below).
 */
(function () {
  "use strict";
  const C = window.CARTO;
  const map = C.map;
  const cluster = C.cluster;
  const LIMIT = 1000; // sites shown one by one; beyond, counted per cell, and the status asks to zoom in
  const SEARCH_DELAY_MS = 350;
  const TERRITORY_API = { commune: "communes", epci: "epci", pays: "pays", departement: "departements" };
  // The map inside a partner's iframe (/embed): its links open a new tab (embed.linkTarget), its list
  // is the embed's own (embed.listUrl, to which the filters are appended), and the server already
  // set its first view from the embed's options: the address is neither read nor rewritten.
  const EMBED = C.embed || null;
  // Every word the script shows; a page may pass its own (window.CARTO.words, e.g. in English).
  const W = Object.assign({
    sites: (n) => n.toLocaleString("fr-FR") + " site" + (n > 1 ? "s" : ""),
    inView: (n) => (n === 0 ? "Aucun site dans la vue" : W.sites(n) + " dans la vue"),
    countInView: (n) => (n > 1 ? " sites" : " site") + " dans la vue",
    grouped: " — regroupés par secteur : zoomez pour voir chaque site",
    cellTitle: (n) => W.sites(n) + " : zoomer sur ce secteur",
    noActivity: "Aucune activité sélectionnée.",
    loadFailed: "Les sites n'ont pas pu être chargés. Réessayez dans un instant.",
    seeSite: "Voir la fiche",
    seeSiteOf: " de ",
    close: "Fermer",
    siteGone: "Le site de cette adresse n'est plus publié.",
    poleLayer: "Zones des pôles ESS",
    poleTooltip: "Pôle ESS : ",
    polesFailed: "Les zones des pôles n'ont pas pu être chargées.",
    layers: "Couches de la carte",
    centredOn: (name) => "Carte centrée sur " + name + ".",
    searching: "Recherche…",
    noCommune: (q) => "Aucune commune ne correspond à « " + q + " ».",
    choose: (total, shown) => total + " communes correspondent" +
      (total > shown ? " (les plus peuplées d'abord) : choisissez dans la liste ou précisez le nom."
        : " : choisissez dans la liste."),
    communeFailed: "La recherche de commune n'a pas abouti. Réessayez.",
    noGeolocation: "Votre navigateur ne donne pas votre position.",
    locating: "Recherche de votre position…",
    located: "Carte centrée sur votre position.",
    locationDenied: "Vous n'avez pas autorisé l'accès à votre position.",
    locationFailed: "Votre position n'a pas pu être déterminée.",
    here: "Votre position",
  }, C.words || {});
  const form = document.getElementById("carto-filters");
  const statusBox = document.getElementById("carto-status");
  document.body.classList.add("carto-js");
  map.invalidateSize();

  // --- Taxonomy ------------------------------------------------------------------------------
  const ACTIVITIES = {}; // slug -> {slug, label, icon, domain, rank}
  C.taxonomy.forEach((d, i) => d.activities.forEach((a, j) => {
    ACTIVITIES[a.slug] = Object.assign({}, a, { domain: d, rank: i * 1000 + j });
  }));

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

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

  form.querySelectorAll('input[name="siae"], input[name="ea"]').forEach((b) => b.addEventListener("change", refresh));
  form.querySelectorAll("select[data-level]").forEach((select) => select.addEventListener("change", () => {
    if (select.value) zoomToTerritory(select.dataset.level, select.value);
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

  // --- Markers -------------------------------------------------------------------------------
  const markers = new Map(); // site id -> L.Marker
  const icons = {};

  function markerIcon(domain) {
    const key = domain ? domain.slug : "";
    if (!icons[key]) {
      const colour = domain ? domain.color : "#607d8b";
      const icon = domain ? domain.icon : "location-dot";
      icons[key] = L.divIcon({
        className: "carto-marker",
        html: '<span class="carto-pin" style="--pin:' + colour + '"><i class="fa-solid fa-' + icon +
          '" aria-hidden="true"></i></span>',
        iconSize: [28, 35], iconAnchor: [14, 35], popupAnchor: [0, -32],
      });
    }
    return icons[key];
  }

  /* The activity that gives a marker its domain: a selected one first, in taxonomy order. */
  function mainActivity(slugs, selected) {
    const known = slugs.map((s) => ACTIVITIES[s]).filter(Boolean);
    known.sort((a, b) => (selected.has(b.slug) - selected.has(a.slug)) || (a.rank - b.rank));
    return known[0];
  }

  function popupHtml(row) {
    const [id, , , name, slugs] = row;
    const items = slugs.map((s) => ACTIVITIES[s]).filter(Boolean).sort((a, b) => a.rank - b.rank)
      .map((a) => '<li style="--domain:' + a.domain.color + '"><i class="fa-solid fa-' + a.icon +
        '" aria-hidden="true"></i> ' + escapeHtml(a.label) + "</li>").join("");
    return '<div class="carto-popup"><h2>' + escapeHtml(name) + "</h2><ul>" + items +
      '</ul><p><a href="/sites/' + encodeURIComponent(id) + '"' +
      (EMBED ? ' target="' + EMBED.linkTarget + '" rel="noopener"' : "") + ">" + W.seeSite + '<span class="carto-sr">' + W.seeSiteOf +
      escapeHtml(name) + "</span></a></p></div>";
  }

  /* Popups stand on the map, not on markers: re-clustering while the view loads must not close them. */
  function openPopup(row, autoPan, fromKeyboard) {
    L.popup({ siteId: row[0], autoPan: autoPan, offset: [0, -26] })
      .setLatLng([row[2], row[1]]).setContent(popupHtml(row)).openOn(map);
    if (fromKeyboard) map.getPane("popupPane").querySelector(".carto-popup a").focus();
  }

  function showSites(rows, complete) {
    const selected = selectedActivities();
    const keep = new Set(rows.map((r) => r[0]));
    if (complete && selectedSite && !keep.has(selectedSite)) map.closePopup(); // filtered out
    const gone = [];
    markers.forEach((marker, id) => { if (!keep.has(id)) { gone.push(marker); markers.delete(id); } });
    cluster.removeLayers(gone);
    const added = [];
    for (const row of rows) {
      const main = mainActivity(row[4], selected);
      const icon = markerIcon(main && main.domain);
      const existing = markers.get(row[0]);
      if (existing) { if (existing.options.icon !== icon) existing.setIcon(icon); continue; }
      const marker = L.marker([row[2], row[1]], { icon: icon, title: row[3], alt: row[3], keyboard: true })
        .on("click", () => openPopup(row, true))
        .on("keypress", (e) => { if (e.originalEvent.key === "Enter") openPopup(row, true, true); });
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
    return L.divIcon({ html: "<div><span>" + count.toLocaleString("fr-FR") + "</span></div>", iconSize: [40, 40],
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
        span.innerHTML = '<span class="carto-sr">, </span>' + a.count + '<span class="carto-sr">' +
          W.countInView(a.count) + "</span>";
        span.classList.toggle("is-zero", a.count === 0);
      }
    }
  }

  function showStatus(total, grouped, none) {
    if (none) { statusBox.textContent = W.noActivity; return; }
    statusBox.textContent = W.inView(total);
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

  function getJson(url, signal) {
    return fetch(url, { signal: signal, headers: { Accept: "application/json" } }).then((r) => {
      if (!r.ok) throw new Error("HTTP " + r.status + " sur " + url);
      return r.json();
    });
  }

  /* The sites of the view one by one when there are at most LIMIT of them, else counted per cell.
   * Zoomed out from a crowded view, ask for the cells first (one request instead of two). */
  let crowdedZoom = null;
  function loadSites(bbox, params, signal) {
    const zoom = map.getZoom();
    const query = "bbox=" + bbox + "&" + params;
    const asCells = () => getJson("/api/sites/clusters?zoom=" + zoom + "&" + query, signal)
      .then((grid) => ({ total: grid.total, cells: grid.clusters }));
    const asSites = () => getJson("/api/sites?format=compact&limit=" + LIMIT + "&" + query, signal).then((data) => {
      crowdedZoom = data.total > data.sites.length ? zoom : null;
      return crowdedZoom === null ? data : asCells();
    });
    if (crowdedZoom !== null && zoom <= crowdedZoom) {
      return asCells().then((grid) => (grid.total > LIMIT ? grid : asSites()));
    }
    return asSites();
  }

  let pending = null;
  function refresh() {
    const bbox = bboxParam();
    const params = filterParams();
    const none = activityParams().none;
    const counts = new URLSearchParams(params);
    counts.delete("activity"); counts.delete("domain"); // counts are facets: every activity counted
    if (pending) pending.abort();
    pending = new AbortController();
    const signal = pending.signal;
    const sites = none ? Promise.resolve({ total: 0, sites: [] }) : loadSites(bbox, params, signal);
    Promise.all([sites, getJson("/api/taxonomy?bbox=" + bbox + "&" + counts, signal)])
      .then(([data, tree]) => {
        showSites(data.sites || [], !data.cells);
        showCells(data.cells || []);
        showCounts(tree);
        showStatus(data.total, Boolean(data.cells), none);
      })
      .catch((e) => {
        if (e.name === "AbortError") return;
        statusBox.textContent = W.loadFailed;
        console.error(e);
      });
    writeUrl();
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

  function writeUrl() {
    const p = filterParams();
    const [lat, lon, zoom] = viewParams();
    p.set("lat", lat);
    p.set("lon", lon);
    p.set("zoom", zoom);
    if (activityParams().none) p.set("no_activity", "1"); // else an address without activity means all of them
    if (selectedSite) p.set("site", selectedSite);
    if (!EMBED) history.replaceState(null, "", window.location.pathname + "?" + p);
    const listLink = document.getElementById("carto-list-link");
    if (listLink) listLink.href = listUrl();
  }

  map.on("popupopen", (e) => {
    const close = e.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", W.close); close.title = W.close; }
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
      openPopup([feature.id, lon, lat, feature.properties.name, feature.properties.activities], true);
    }).catch(() => say(W.siteGone));
  }

  function restoreView() {
    const q = new URLSearchParams(window.location.search);
    const lat = parseFloat(q.get("lat")), lon = parseFloat(q.get("lon")), zoom = parseInt(q.get("zoom"), 10);
    const hasView = isFinite(lat) && isFinite(lon) && isFinite(zoom);
    if (hasView) {
      map.setView([lat, lon], zoom, { animate: false });
      addressView = { lat: q.get("lat"), lon: q.get("lon"), zoom: zoom, centre: L.latLng(lat, lon) };
    }
    else {
      const level = ["commune", "pole", "epci", "pays", "departement"].find((l) => q.get(l));
      if (level) zoomToTerritory(level, q.get(level));
    }
    if (/^\d+$/.test(q.get("site") || "")) openSite(q.get("site"), !hasView);
  }

  // --- Pôle areas: a layer of the layer control, fetched the first time it is needed --------
  let poleAreasRequest = null;
  function poleAreas() {
    if (!poleAreasRequest) poleAreasRequest = getJson("/carte/zones-poles.geojson");
    return poleAreasRequest;
  }

  const poleLayer = L.geoJSON(null, {
    style: () => ({ color: "#6a1b9a", weight: 1.5, fillOpacity: 0.08 }),
    onEachFeature: (feature, layer) => layer.bindTooltip(W.poleTooltip + escapeHtml(feature.properties.nom), { sticky: true }),
  });
  C.layers.addOverlay(poleLayer, W.poleLayer);
  map.on("overlayadd", (e) => {
    if (e.layer === poleLayer && poleLayer.getLayers().length === 0) {
      poleAreas().then((areas) => poleLayer.addData(areas))
        .catch(() => { statusBox.textContent = W.polesFailed; });
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

  function zoomToTerritory(level, code) {
    if (level === "pole") {
      poleAreas().then((areas) => {
        const area = areas.features.find((f) => f.id === code);
        if (area && area.geometry) map.fitBounds(L.geoJSON(area).getBounds());
      }).catch(() => {});
      return;
    }
    getJson("/api/territories/" + TERRITORY_API[level] + "/" + encodeURIComponent(code) + "?geometry=false")
      .then((found) => fitPlace(found, 13)).catch(() => {});
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
    }).catch(() => say(W.communeFailed));
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

  // --- Layer control: French, and folded on phones where it would hide the map ---------------
  const layersToggle = C.layers.getContainer().querySelector(".leaflet-control-layers-toggle");
  layersToggle.title = W.layers;
  layersToggle.setAttribute("aria-label", W.layers);
  if (phone.matches) {
    C.layers.collapse();
    map.on("click", () => C.layers.collapse());
  }

  // --- Start ---------------------------------------------------------------------------------
  if (!EMBED) restoreView();
  map.on("moveend", refresh);
  refresh();
})();
