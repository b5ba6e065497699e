/* Carto ESS — for partner pages: fits the height of our embedded map's iframes to their content.
 *
 * The embed snippet loads it from our server when the partner ticks "adjust the height". It trusts
 * only messages that come from our origin (the origin this script was loaded from), from one of the
 * page's iframes showing our site, and shaped {type: "carto-embed:height", height: number}.
 * Height 0 gives the iframe back the height the snippet set (the map view fills its frame).
 */
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script || !script.src) return;
  const OURS = new URL(script.src).origin;
  const TYPE = "carto-embed:height";
  const MIN_PX = 150, MAX_PX = 30000;
  const snippetHeight = new WeakMap();

  function frameOf(source) {
    return Array.from(document.getElementsByTagName("iframe")).find((frame) => {
      if (frame.contentWindow !== source) return false;
      try { return new URL(frame.src, window.location.href).origin === OURS; } catch (e) { return false; }
    });
  }

  window.addEventListener("message", (event) => {
    if (event.origin !== OURS) return;
    const data = event.data;
    if (!data || typeof data !== "object" || data.type !== TYPE) return;
    const height = data.height;
    if (typeof height !== "number" || !isFinite(height) || height < 0 || height > MAX_PX) return;
    const frame = frameOf(event.source);
    if (!frame) return;
    if (!snippetHeight.has(frame)) snippetHeight.set(frame, frame.style.height);
    frame.style.height = height === 0 ? snippetHeight.get(frame) : Math.max(MIN_PX, Math.ceil(height)) + "px";
  });
})();
