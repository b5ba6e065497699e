/* Carto ESS — the sites of a buyers' or pôle page on its folium map.
 * The page carries its sites as JSON (#buyer-markers: [id, lon, lat, name, activities]) and sets
 * window.CARTO_LAYER = {map, cluster, taxonomy, fit}; markers use the same pin as the public map. */
(function () {
  "use strict";
  const C = window.CARTO_LAYER;
  const rows = JSON.parse(document.getElementById("buyer-markers").textContent);
  const activities = {};
  for (const d of C.taxonomy) {
    for (const a of d.activities) activities[a.slug] = { label: a.label, icon: a.icon, domain: d };
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function icon(first) {
    const colour = first ? first.domain.color : "#607d8b";
    const glyph = first ? first.icon : "location-dot";
    return L.divIcon({
      className: "carto-marker",
      html: '<span class="carto-pin" style="--pin:' + colour + '"><i class="fa-solid fa-' + glyph +
        '" aria-hidden="true"></i></span>',
      iconSize: [28, 34], iconAnchor: [14, 34], popupAnchor: [0, -30],
    });
  }

  function popup(row) {
    const items = row[4].map((slug) => "<li>" + escapeHtml(activities[slug] ? activities[slug].label : slug) + "</li>");
    return '<div class="carto-popup"><strong>' + escapeHtml(row[3]) + "</strong><ul>" + items.join("") +
      '</ul><a href="/sites/' + encodeURIComponent(row[0]) + '">Voir la fiche</a></div>';
  }

  const markers = rows.map((row) => L.marker([row[2], row[1]], {
    icon: icon(activities[row[4][0]]), title: row[3], alt: row[3], keyboard: true,
  }).bindPopup(() => popup(row)));
  C.cluster.addLayers(markers);
  if (C.fit && markers.length) C.map.fitBounds(L.featureGroup(markers).getBounds(), { maxZoom: 13, padding: [20, 20] });
})();
