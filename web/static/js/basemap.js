/* Carto ESS — a basemap of our own, from the project's geodata (carto.views.basemap): the land of
 * Brittany on a sea-coloured map, commune outlines from zoom 9, town names by population as one
 * zooms in. No third party: it is the map's background offline, or when the tiles cannot load.
 * window.CartoBasemap.offer(map, {...}) puts it on a map (see there); its data is fetched the first
 * time it is shown. */
(function () {
  "use strict";
  const COMMUNES_FROM_ZOOM = 9;
  const CREDIT = "Fond Carto ESS | Contours : IGN Admin Express, INSEE COG"; // as carto.views.mapview credits tiles
  // Towns named at each zoom: the most populous first (population at least…).
  const TOWNS_BY_ZOOM = [[12, 0], [11, 1000], [10, 3000], [9, 8000], [8, 20000], [0, 60000]];

  function create(map, onError) {
    const pane = map.createPane("carto-basemap");
    pane.style.zIndex = 150; // under the overlays and markers, where tiles would be
    const options = { pane: "carto-basemap", interactive: false };
    const land = L.geoJSON(null, Object.assign({ attribution: CREDIT, style: { color: "#8a9aa6", weight: 1, fillColor: "#f5f2ea", fillOpacity: 1 } }, options));
    const communes = L.geoJSON(null, Object.assign({ style: { color: "#c4ccd2", weight: 0.7, fill: false } }, options));
    const labels = L.layerGroup();
    const group = L.layerGroup([land]);
    const asked = {};
    let towns = [];

    function fetchLayer(name) {
      if (!asked[name]) {
        asked[name] = CartoMarkers.getJson("/carte/fond/" + name + ".geojson")
          .catch((e) => { delete asked[name]; onError(e); return null; }); // said once, asked again next time
      }
      return asked[name];
    }

    function minPopulation(zoom) {
      return TOWNS_BY_ZOOM.find(([from]) => zoom >= from)[1];
    }

    function drawDetails() {
      if (!map.hasLayer(group)) return;
      const zoom = map.getZoom();
      if (zoom >= COMMUNES_FROM_ZOOM) {
        group.addLayer(communes);
        fetchLayer("communes").then((data) => { if (data && !communes.getLayers().length) communes.addData(data); });
      } else group.removeLayer(communes);
      labels.clearLayers();
      const bounds = map.getBounds(), least = minPopulation(zoom);
      for (const town of towns) {
        if (town.properties.population < least) break; // sorted by population, largest first
        const [lon, lat] = town.geometry.coordinates;
        if (!bounds.contains([lat, lon])) continue;
        labels.addLayer(L.marker([lat, lon], { pane: "carto-basemap", interactive: false, keyboard: false,
          icon: L.divIcon({ className: "carto-town", html: '<span aria-hidden="true">' +
            CartoMarkers.escapeHtml(town.properties.nom) + "</span>", iconSize: null }) }));
      }
    }

    group.on("add", () => {
      map.getContainer().classList.add("carto-own-basemap");
      group.addLayer(labels);
      fetchLayer("terre").then((data) => { if (data && !land.getLayers().length) land.addData(data); });
      fetchLayer("villes").then((data) => { if (data) { towns = data.features; drawDetails(); } });
      drawDetails();
    });
    group.on("remove", () => map.getContainer().classList.remove("carto-own-basemap"));
    map.on("zoomend moveend", drawDetails);
    return group;
  }

  /* The one rule of every map: our basemap is offered beside the tiles (options.layers, a layer
   * control, under options.name), shown first when options.first (tiles off), and instead of tiles
   * of which none loads (options.tilesFailed() is then told); options.failed(error) when our own
   * data cannot be fetched. */
  function offer(map, options) {
    const own = create(map, options.failed);
    if (options.layers) options.layers.addBaseLayer(own, options.name);
    let tiles = null;
    map.eachLayer((l) => { if (l instanceof L.TileLayer) tiles = l; });
    const useOwn = () => { if (tiles) map.removeLayer(tiles); map.addLayer(own); };
    if (options.first || !tiles) { useOwn(); return; }
    let loaded = false, failed = 0, replaced = false;
    // A refused connection fails at once: tiles may have answered before this script ran. Leaflet
    // marks a tile loaded either way, and only a tile that arrived with the class below.
    Object.values(tiles._tiles || {}).forEach((t) => {
      if (t.loaded && t.el.classList.contains("leaflet-tile-loaded")) loaded = true;
      else if (t.loaded) failed++;
    });
    const judge = () => {
      if (replaced || loaded || failed < 4) return; // a few tiles may fail; none loading means no tile service
      replaced = true;
      useOwn();
      if (options.tilesFailed) options.tilesFailed();
    };
    tiles.on("tileload", () => { loaded = true; });
    tiles.on("tileerror", () => { failed++; judge(); });
    judge();
  }

  window.CartoBasemap = { offer: offer };
})();
