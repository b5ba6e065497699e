/* Carto ESS — moderation console: "select all" for batch decisions, the map of pending new
 * sites, and the small map of an item. Names come from contributors: textContent only. */
(function () {
  "use strict";
  const BRITTANY = [[47.25, -5.2], [48.9, -1.0]];

  const all = document.getElementById("mc-all");
  if (all) {
    const boxes = Array.from(document.querySelectorAll('input[name="ids"]'));
    all.hidden = false;
    all.addEventListener("change", () => boxes.forEach((b) => { b.checked = all.checked; }));
  }

  function baseMap(element) {
    const map = L.map(element, { scrollWheelZoom: false });
    L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
    return map;
  }

  function popup(name, href) {
    const div = document.createElement("div");
    const strong = document.createElement("strong");
    strong.textContent = name;
    const a = document.createElement("a");
    a.href = href;
    a.textContent = "Examiner la proposition";
    div.append(strong, document.createElement("br"), a);
    return div;
  }

  const pendingMap = document.getElementById("mc-map");
  if (pendingMap && window.L) {
    const map = baseMap(pendingMap);
    map.fitBounds(BRITTANY);
    fetch(pendingMap.dataset.src, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        const layer = L.geoJSON(data, {
          pointToLayer: (feature, latlng) => L.marker(latlng, { title: feature.properties.nom, keyboard: true }),
          onEachFeature: (feature, marker) => marker.bindPopup(() => popup(feature.properties.nom, feature.properties.url)),
        }).addTo(map);
        if (data.features.length) map.fitBounds(layer.getBounds(), { maxZoom: 13, padding: [20, 20] });
      })
      .catch((e) => console.error(e));
  }

  const point = document.getElementById("mc-point");
  if (point && window.L) {
    const lat = parseFloat(point.dataset.lat), lon = parseFloat(point.dataset.lon);
    const map = baseMap(point);
    map.setView([lat, lon], 15);
    L.marker([lat, lon], { title: point.dataset.name }).addTo(map);
  }
})();
