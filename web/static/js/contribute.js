/* Carto ESS — contribution forms: the click-on-map position picker and the early duplicate
 * warning. Works on the vendored Leaflet; without JavaScript the form still works (commune or
 * typed coordinates). Text from the server is only ever inserted with textContent. */
(function () {
  "use strict";
  const picker = document.getElementById("f-position");
  if (!picker || !window.L) return;
  const lonInput = document.getElementById("f-lon");
  const latInput = document.getElementById("f-lat");
  const status = document.getElementById("cf-position-status");
  const clearButton = document.getElementById("cf-clear-point");
  const precisionInput = document.getElementById("f-position_precision");
  const BRITTANY = [[47.25, -5.2], [48.9, -1.0]];

  const map = L.map(picker, { scrollWheelZoom: false });
  map.fitBounds(BRITTANY);
  L.tileLayer(picker.dataset.tiles, { maxZoom: 19, attribution: picker.dataset.attribution }).addTo(map);
  let marker = null;

  function number(value) {
    const x = parseFloat(String(value).replace(",", "."));
    return Number.isFinite(x) ? x : null;
  }

  function describe() {
    if (marker) {
      const p = marker.getLatLng();
      status.textContent = "Point placé : " + p.lat.toFixed(5) + ", " + p.lng.toFixed(5) + " (déplacez le repère pour l'ajuster).";
    } else {
      status.textContent = "Pas de point : le site sera placé au centre de sa commune.";
    }
    clearButton.hidden = !marker;
  }

  function write(latlng) {
    latInput.value = latlng.lat.toFixed(6);
    lonInput.value = latlng.lng.toFixed(6);
    describe();
    checkDuplicates();
  }

  function place(lat, lon, pan) {
    if (!marker) {
      marker = L.marker([lat, lon], { draggable: true, keyboard: true, title: "Position du site" }).addTo(map);
      marker.on("dragend", () => { precisionInput.value = ""; write(marker.getLatLng()); });
    } else {
      marker.setLatLng([lat, lon]);
    }
    if (pan) map.setView([lat, lon], Math.max(map.getZoom(), 14));
    write(marker.getLatLng());
  }

  function unplace() {
    if (marker) map.removeLayer(marker);
    marker = null;
    precisionInput.value = "";
    latInput.value = lonInput.value = "";
    describe();
    checkDuplicates();
  }

  // A point placed or moved by hand is exactly where it should be: the address's precision.
  function byHand(lat, lon, pan) {
    precisionInput.value = "";
    place(lat, lon, pan);
  }

  map.on("click", (e) => byHand(e.latlng.lat, e.latlng.lng, false));
  // An address chosen among the suggestions (address-search.js) places the point at its precision.
  picker.addEventListener("carto:place", (e) => {
    place(e.detail.lat, e.detail.lon, true);
    precisionInput.value = e.detail.precision || "";
  });
  clearButton.addEventListener("click", unplace);
  for (const input of [latInput, lonInput]) {
    input.addEventListener("change", () => {
      const lat = number(latInput.value), lon = number(lonInput.value);
      if (lat !== null && lon !== null) byHand(lat, lon, true);
    });
  }

  // Early duplicate warning (new-site form only): published sites with the same SIRET or a
  // similar name within ~200 m. The server checks again when the form is sent.
  const box = document.getElementById("cf-live-duplicates");
  const nameInput = document.getElementById("f-name");
  const siretInput = document.getElementById("f-siret");
  const communeInput = document.getElementById("f-commune");
  let timer = null, pending = null;

  function checkDuplicates() {
    if (!box) return;
    clearTimeout(timer);
    timer = setTimeout(runCheck, 400);
  }

  function runCheck() {
    const name = nameInput.value.trim();
    if (name.length < 2) { box.hidden = true; return; }
    const params = new URLSearchParams({ name: name });
    if (marker) {
      const p = marker.getLatLng();
      params.set("lat", p.lat.toFixed(6));
      params.set("lon", p.lng.toFixed(6));
    }
    const code = /\(([0-9AB]{5})\)\s*$/.exec(communeInput.value);
    if (code) params.set("commune", code[1]);
    if (siretInput.value.trim()) params.set("siret", siretInput.value.trim());
    if (pending) pending.abort();
    pending = new AbortController();
    fetch("/api/contributions/duplicates?" + params, { signal: pending.signal })
      .then((r) => (r.ok ? r.json() : { duplicates: [] }))
      .then((data) => show(data.duplicates))
      .catch((e) => { if (e.name !== "AbortError") box.hidden = true; });
  }

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function show(found) {
    box.replaceChildren();
    box.hidden = !found.length;
    if (!found.length) return;
    const title = document.createElement("h2");
    title.textContent = "Ce lieu existe peut-être déjà";
    const intro = document.createElement("p");
    intro.textContent = "Si c'est la même structure, proposez plutôt une modification de sa fiche :";
    const list = document.createElement("ul");
    for (const s of found) {
      const li = document.createElement("li");
      const strong = document.createElement("strong");
      strong.textContent = s.name;
      li.append(strong, s.commune ? " — " + s.commune + " : " : " : ", link(s.url, "voir la fiche"), " · ",
        link(s.change_url, "proposer une modification"));
      list.append(li);
    }
    box.append(title, intro, list);
  }

  if (box) {
    for (const input of [nameInput, siretInput, communeInput]) input.addEventListener("change", checkDuplicates);
  }

  // Typing a commune brings the map to it, so the point can be placed without hunting for it.
  communeInput.addEventListener("change", () => {
    const code = /\(([0-9AB]{5})\)\s*$/.exec(communeInput.value);
    if (!code || marker) return;
    fetch("/api/territories/communes?code=" + code[1])
      .then((r) => (r.ok ? r.json() : { territories: [] }))
      .then((data) => {
        const found = data.territories && data.territories[0];
        if (found && found.bbox) {
          map.fitBounds([[found.bbox[1], found.bbox[0]], [found.bbox[3], found.bbox[2]]], { animate: false });
        }
      })
      // Only a convenience: the point can still be placed by hand, so the page says nothing more.
      .catch((e) => console.error("commune introuvable pour centrer la carte", e));
  });

  const lat0 = number(latInput.value), lon0 = number(lonInput.value);
  if (lat0 !== null && lon0 !== null) place(lat0, lon0, true); else describe();
})();
