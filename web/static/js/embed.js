/* Carto ESS — an embed page (/embed), usually inside a partner's iframe.
 *
 * On the map (after map.js, which draws the outline of the territory the embed is preset to): names
 * the zoom buttons in the embed's language, and folds the legend on small frames, where it would
 * hide the map.
 * In an iframe: tells the partner's page how tall the list view is, so that an iframe using our
 * resizer (embed-resize.js) grows with the list rather than scrolling inside it. The map fills
 * whatever height it is given: it asks for the snippet's own height back (height 0). The message
 * carries a number only, so it may go to any parent (targetOrigin "*").
 */
(function () {
  "use strict";
  const C = window.CARTO;
  if (C && C.embed) {
    // The zoom buttons come named in French with the folium map; map.js's words may be English.
    [["in", "zoomIn"], ["out", "zoomOut"]].forEach(([button, word]) => {
      const el = document.querySelector(".leaflet-control-zoom-" + button);
      if (el && C.words && C.words[word]) { el.title = C.words[word]; el.setAttribute("aria-label", C.words[word]); }
    });
    const legend = document.querySelector(".embed-legend");
    if (legend && window.matchMedia("(max-width: 50rem)").matches) legend.open = false;
  }

  if (window.parent === window) return;
  const isList = document.body.classList.contains("carto-embed-list");
  let sent = -1;

  function post() {
    const height = isList ? Math.ceil(document.body.getBoundingClientRect().height) : 0;
    if (height === sent) return;
    sent = height;
    window.parent.postMessage({ type: "carto-embed:height", height: height }, "*");
  }

  post();
  if (isList && window.ResizeObserver) new ResizeObserver(post).observe(document.body);
})();
