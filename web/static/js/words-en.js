/* Carto ESS — the words of map.js in English, for an embed with lang=en (window.CARTO.words).
 * Same keys as map.js's W; data (activities, territories, sites) stays in French. */
window.CARTO_WORDS_EN = {
  sites: (n) => n + " site" + (n === 1 ? "" : "s"),
  inView: (n) => (n === 0 ? "No site in view" : window.CARTO_WORDS_EN.sites(n) + " in view"),
  countInView: (n) => (n === 1 ? " site" : " sites") + " in view",
  tooMany: (shown) => " — " + shown + " shown: zoom in to see the others",
  noActivity: "No activity selected.",
  loadFailed: "The sites could not be loaded. Please try again in a moment.",
  seeSite: "See details",
  seeSiteOf: " of ",
  close: "Close",
  siteGone: "The site of this address is no longer published.",
  poleLayer: "Areas of the pôles ESS",
  poleTooltip: "Pôle ESS: ",
  polesFailed: "The areas of the pôles could not be loaded.",
  layers: "Map layers",
  centredOn: (name) => "Map centred on " + name + ".",
  searching: "Searching…",
  noCommune: (q) => "No town matches “" + q + "”.",
  choose: (total, shown) => total + " towns match" +
    (total > shown ? " (most populous first): choose from the list or type more of the name." : ": choose from the list."),
  communeFailed: "The town search failed. Please try again.",
  noGeolocation: "Your browser does not give your position.",
  locating: "Finding your position…",
  located: "Map centred on your position.",
  locationDenied: "You did not allow access to your position.",
  locationFailed: "Your position could not be determined.",
  here: "Your position",
  zoomIn: "Zoom in",  // the zoom buttons (embed.js)
  zoomOut: "Zoom out",
};
