/* Carto ESS — the words of the map scripts in English, for an embed with lang=en (window.CARTO.words).
 * Same keys as markers.js's FRENCH (tests/test_script_words.py checks it); data (activities,
 * territories, sites) stays in French. */
(function () {
  "use strict";
  const EN = {
    number: (n) => n.toLocaleString("en-GB"),
    sites: (n) => EN.number(n) + " site" + (n === 1 ? "" : "s"),
    inView: (n) => (n === 0 ? "No site in view" : EN.sites(n) + " in view"),
    countInView: (n) => (n === 1 ? " site" : " sites") + " in view",
    grouped: " — grouped by area: zoom in to see each site",
    othersIncluded: ", non-ESS structures included",
    othersOnly: ", non-ESS structures only",
    cellTitle: (n) => EN.sites(n) + ": zoom into this area",
    clusterTitle: (n) => "Group of " + EN.sites(n) + ": zoom in to see them",
    noActivity: "No activity selected.",
    loadFailed: "The sites could not be loaded.",
    offline: "The server does not answer (connection lost?). Please try again in a moment.",
    serverError: (status) => "The server answered with an error (" + status + "). Please try again in a moment.",
    seeSite: "See details",
    seeSiteOf: " of ",
    close: "Close",
    loadingDetails: "Loading the address and opening hours…",
    detailsFailed: "The address and opening hours could not be loaded: ",
    siteGone: "The site of this address is no longer published.",
    siteFailed: "The site asked for could not be shown: ",
    poleLayer: "Areas of the pôles ESS",
    poleTooltip: "Pôle ESS: ",
    polesFailed: "The areas of the pôles could not be loaded: ",
    territoryFailed: "The outline of the territory could not be loaded: ",
    layers: "Map layers",
    centredOn: (name) => "Map centred on " + name + ".",
    searching: "Searching…",
    noCommune: (q) => "No town matches “" + q + "”.",
    choose: (total, shown) => total + " towns match" +
      (total > shown ? " (most populous first): choose from the list or type more of the name." : ": choose from the list."),
    communeFailed: "The town search failed: ",
    noGeolocation: "Your browser does not give your position.",
    locating: "Finding your position…",
    located: "Map centred on your position.",
    locationDenied: "You did not allow access to your position.",
    locationFailed: "Your position could not be determined.",
    here: "Your position",
    favouritesOnly: (n) => (n === 0 ? "No favourite yet: add some from a site's popup or page." : EN.sites(n) + " in favourites"),
    favouritesFailed: "Your favourites could not be loaded: ",
    ownBasemap: "Carto ESS background (no outside service)",
    basemapFailed: "The background map could not be loaded: ",
    tilesFailed: "The online background map does not answer: the map shows its own background.",
    zoomIn: "Zoom in", // the zoom buttons (embed.js)
    zoomOut: "Zoom out",
  };
  window.CARTO_WORDS_EN = EN;
})();
