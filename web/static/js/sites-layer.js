/* Carto ESS — the sites of a buyers' or pôle page on its folium map.
 * The page carries its sites as JSON (#buyer-markers: [id, lon, lat, name, activities]) and sets
 * window.CARTO_LAYER = {map, cluster, taxonomy, fit}; markers and popups are the public map's
 * (markers.js, loaded before). */
(function () {
  "use strict";
  const C = window.CARTO_LAYER;
  const rows = JSON.parse(document.getElementById("buyer-markers").textContent);
  const M = CartoMarkers.create({ taxonomy: C.taxonomy });
  const none = new Set(); // no activity filter on these pages: each pin shows the site's first activity
  M.attach(C.map);
  M.clusterKeys(C.map, C.cluster);
  const markers = rows.map((row) => M.marker(C.map, row, none));
  C.cluster.addLayers(markers);
  if (C.fit && markers.length) C.map.fitBounds(L.featureGroup(markers).getBounds(), { maxZoom: 13, padding: [20, 20] });
})();
