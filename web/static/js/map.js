/* Carto ESS — public map: loads the sites of the current view from /api/sites (compact format)
 * and shows them as clustered markers coloured by domain. The folium page defines the map and
 * the cluster; this script only needs window.CARTO = {map, cluster, taxonomy}. */
(function () {
  "use strict";
  const C = window.CARTO;
  const activityDomain = {};
  const activityLabel = {};
  for (const d of C.taxonomy) {
    for (const a of d.activities) { activityDomain[a.slug] = d; activityLabel[a.slug] = a.label; }
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function markerIcon(domain) {
    const colour = domain ? domain.color : "#607d8b";
    return L.divIcon({
      className: "carto-marker",
      html: '<span style="background:' + colour + '"></span>',
      iconSize: [18, 18], iconAnchor: [9, 9], popupAnchor: [0, -9],
    });
  }

  function popupHtml(row) {
    const [id, , , name, activities] = row;
    const items = activities.map((a) => "<li>" + escapeHtml(activityLabel[a] || a) + "</li>").join("");
    return '<div class="carto-popup"><strong>' + escapeHtml(name) + "</strong><ul>" + items +
      '</ul><a href="/sites/' + encodeURIComponent(id) + '">Voir la fiche</a></div>';
  }

  let pending = null;
  function load() {
    const b = C.map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map((v, i) => Math.max(i % 2 ? -90 : -180, Math.min(i % 2 ? 90 : 180, v)).toFixed(5)).join(",");
    if (pending) pending.abort();
    pending = new AbortController();
    fetch("/api/sites?format=compact&limit=1000&bbox=" + bbox, { signal: pending.signal })
      .then((r) => r.json())
      .then((data) => {
        C.cluster.clearLayers();
        const markers = data.sites.map((row) => {
          const domain = activityDomain[row[4][0]];
          return L.marker([row[2], row[1]], { icon: markerIcon(domain), title: row[3], keyboard: true })
            .bindPopup(() => popupHtml(row));
        });
        C.cluster.addLayers(markers);
        const status = document.getElementById("carto-status");
        if (status) {
          status.textContent = data.total + " site" + (data.total > 1 ? "s" : "") + " dans la vue" +
            (data.total > data.sites.length ? " (" + data.sites.length + " affichés, zoomez)" : "");
        }
      })
      .catch((e) => { if (e.name !== "AbortError") console.error(e); });
  }

  C.map.on("moveend", load);
  load();
})();
