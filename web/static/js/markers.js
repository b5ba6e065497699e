/* Carto ESS — the markers and popups of every map (the public map, the embed, pôle and buyers' pages).
 *
 * One pin (the icon of the site's main activity in its domain's colour), one popup (name,
 * activities, then the address, « ouvert maintenant » and the actions fetched from
 * /sites/{id}/bulle, rendered by the server), one way to read JSON and to word its failures, and
 * the words of the scripts in French (a page may pass English ones: words-en.js, same keys).
 * Load after Leaflet; window.CartoMarkers.create({...}) gives the helpers for one map.
 */
(function () {
  "use strict";
  const FRENCH = {
    number: (n) => n.toLocaleString("fr-FR"),
    sites: (n) => FRENCH.number(n) + " site" + (n > 1 ? "s" : ""),
    inView: (n) => (n === 0 ? "Aucun site dans la vue" : FRENCH.sites(n) + " dans la vue"),
    countInView: (n) => (n > 1 ? " sites" : " site") + " dans la vue",
    grouped: " — regroupés par secteur : zoomez pour voir chaque site",
    othersIncluded: ", structures hors ESS comprises",
    othersOnly: ", structures hors ESS seulement",
    cellTitle: (n) => FRENCH.sites(n) + " : zoomer sur ce secteur",
    clusterTitle: (n) => "Groupe de " + FRENCH.sites(n) + " : zoomer pour les voir",
    noActivity: "Aucune activité sélectionnée.",
    loadFailed: "Les sites n'ont pas pu être chargés.",
    offline: "Le serveur ne répond pas (connexion interrompue ?). Réessayez dans un instant.",
    serverError: (status) => "Le serveur a répondu par une erreur (" + status + "). Réessayez dans un instant.",
    seeSite: "Voir la fiche",
    seeSiteOf: " de ",
    close: "Fermer",
    loadingDetails: "Chargement de l'adresse et des horaires…",
    detailsFailed: "L'adresse et les horaires n'ont pas pu être chargés : ",
    siteGone: "Le site de cette adresse n'est plus publié.",
    siteFailed: "Le site demandé n'a pas pu être affiché : ",
    poleLayer: "Zones des pôles ESS",
    poleTooltip: "Pôle ESS : ",
    polesFailed: "Les zones des pôles n'ont pas pu être chargées : ",
    territoryFailed: "Le contour du territoire n'a pas pu être chargé : ",
    layers: "Couches de la carte",
    centredOn: (name) => "Carte centrée sur " + name + ".",
    searching: "Recherche…",
    noCommune: (q) => "Aucune commune ne correspond à « " + q + " ».",
    choose: (total, shown) => total + " communes correspondent" +
      (total > shown ? " (les plus peuplées d'abord) : choisissez dans la liste ou précisez le nom."
        : " : choisissez dans la liste."),
    communeFailed: "La recherche de commune n'a pas abouti : ",
    noGeolocation: "Votre navigateur ne donne pas votre position.",
    locating: "Recherche de votre position…",
    located: "Carte centrée sur votre position.",
    locationDenied: "Vous n'avez pas autorisé l'accès à votre position.",
    locationFailed: "Votre position n'a pas pu être déterminée.",
    here: "Votre position",
    favouritesOnly: (n) => (n === 0 ? "Aucun favori : ajoutez-en depuis la bulle ou la fiche d'un site."
      : FRENCH.sites(n) + " en favoris"),
    favouritesFailed: "Vos favoris n'ont pas pu être chargés : ",
    ownBasemap: "Fond Carto ESS (sans service extérieur)",
    basemapFailed: "Le fond de carte n'a pas pu être chargé : ",
    tilesFailed: "Le fond de carte en ligne ne répond pas : la carte affiche son propre fond.",
    zoomIn: "Zoom avant", // the zoom buttons (named by carto.views.mapview; embed.js renames them)
    zoomOut: "Zoom arrière",
  };

  /* A failed request: .status is the HTTP status, 0 when the server could not be reached. */
  function getJson(url, signal) {
    return fetch(url, { signal: signal, headers: { Accept: "application/json" } }).then((r) => {
      if (!r.ok) throw Object.assign(new Error("HTTP " + r.status + " sur " + url), { status: r.status });
      return r.json();
    }, (e) => {
      if (e.name === "AbortError") throw e;
      throw Object.assign(new Error("réseau : " + e.message + " sur " + url), { status: 0 });
    });
  }

  /* What went wrong, for people: the connection, or the server's error. */
  function failure(error, words) {
    return error.status ? words.serverError(error.status) : words.offline;
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function create(options) {
    const W = Object.assign({}, FRENCH, options.words || {});
    const linkTarget = options.linkTarget || null; // an embed opens site pages in a new tab
    const detailsQuery = linkTarget ? "?embed=1&lang=" + (options.lang || "fr") : "";
    const activities = {}; // slug -> {slug, label, icon, domain, rank}
    options.taxonomy.forEach((d, i) => d.activities.forEach((a, j) => {
      activities[a.slug] = Object.assign({}, a, { domain: d, rank: i * 1000 + j });
    }));
    const icons = {};

    /* The activity a pin shows: a selected one first, in taxonomy order. */
    function mainActivity(slugs, selected) {
      const known = slugs.map((s) => activities[s]).filter(Boolean);
      known.sort((a, b) => (selected.has(b.slug) - selected.has(a.slug)) || (a.rank - b.rank));
      return known[0];
    }

    function icon(activity) {
      const key = activity ? activity.slug : "";
      if (!icons[key]) {
        const colour = activity ? activity.domain.color : "#607d8b";
        const glyph = activity ? activity.icon : "location-dot";
        icons[key] = L.divIcon({
          className: "carto-marker",
          html: '<span class="carto-pin" style="--pin:' + colour + '"><i class="fa-solid fa-' + glyph +
            '" aria-hidden="true"></i></span>',
          iconSize: [28, 35], iconAnchor: [14, 35], popupAnchor: [0, -32],
        });
      }
      return icons[key];
    }

    /* [id, lon, lat, name, activity slugs], as /api/sites?format=compact gives it. An element, not
     * text: the details are added to it in place when they arrive (see loadDetails). */
    function popupContent(row) {
      const [id, , , name, slugs] = row;
      const items = slugs.map((s) => activities[s]).filter(Boolean).sort((a, b) => a.rank - b.rank)
        .map((a) => '<li style="--domain:' + a.domain.color + '"><i class="fa-solid fa-' + a.icon +
          '" aria-hidden="true"></i> ' + escapeHtml(a.label) + "</li>").join("");
      const content = document.createElement("div");
      content.className = "carto-popup";
      content.innerHTML = "<h2>" + escapeHtml(name) + "</h2><ul>" + items + "</ul>" +
        '<div class="carto-popup-details" aria-live="polite"><p>' + W.loadingDetails + "</p></div>" +
        '<p><a class="carto-popup-link" href="/sites/' + encodeURIComponent(id) + '"' +
        (linkTarget ? ' target="' + linkTarget + '" rel="noopener"' : "") + ">" + W.seeSite +
        '<span class="carto-sr">' + W.seeSiteOf + escapeHtml(name) + "</span></a></p>";
      return content;
    }

    /* Room the controls take at the top of the map: a popup opens below them, fully visible. */
    function topPadding(map) {
      const top = map.getContainer().getBoundingClientRect().top;
      const controls = map.getContainer().parentNode.querySelectorAll(".leaflet-top .leaflet-control, .carto-status");
      const bottoms = Array.from(controls, (el) => el.getBoundingClientRect().bottom - top);
      return Math.max(10, ...bottoms) + 10;
    }

    /* Popups stand on the map, not on markers: re-clustering while the view loads must not close them. */
    function openPopup(map, row, focusFrom) {
      const width = map.getSize().x;
      L.popup({ siteId: row[0], autoPan: true, offset: [0, -26], maxWidth: Math.min(300, width - 40),
        autoPanPaddingTopLeft: [10, topPadding(map)], autoPanPaddingBottomRight: [10, 10],
        returnFocus: focusFrom || null })
        .setLatLng([row[2], row[1]]).setContent(popupContent(row)).openOn(map);
      if (focusFrom) map.getPane("popupPane").querySelector(".carto-popup-link").focus(); // focusFrom: the marker
    }

    function loadDetails(popup) {
      const content = popup.getContent();
      const box = content.querySelector(".carto-popup-details");
      fetch("/sites/" + encodeURIComponent(popup.options.siteId) + "/bulle" + detailsQuery)
        .then((r) => (r.ok ? r.text() : Promise.reject(Object.assign(new Error("HTTP " + r.status), { status: r.status }))),
          (e) => Promise.reject(Object.assign(e, { status: 0 })))
        .then((html) => {
          box.innerHTML = html;
          if (window.CartoActions) window.CartoActions.enhance(box);
        })
        .catch((e) => {
          box.textContent = e.status === 404 ? W.siteGone : W.detailsFailed + failure(e, W);
          console.error(e);
        })
        .finally(() => {
          // Leaflet re-attaches the content to measure it again, which takes the focus away.
          const focused = content.contains(document.activeElement) ? document.activeElement : null;
          popup.update();
          if (focused) focused.focus();
        });
    }

    /* Popups of this map: details loaded, close button named, Escape closes and gives focus back. */
    function attach(map) {
      map.on("popupopen", (e) => {
        const close = e.popup.getElement().querySelector(".leaflet-popup-close-button");
        if (close) { close.setAttribute("aria-label", W.close); close.title = W.close; }
        if (e.popup.options.siteId) loadDetails(e.popup);
      });
      map.getContainer().addEventListener("keydown", (e) => {
        if (e.key !== "Escape" || !map.getPane("popupPane").contains(document.activeElement)) return;
        const popup = map._popup; // Leaflet keeps the open popup there (no public getter)
        // The marker, not its element: re-clustering after the popup's pan may have drawn it anew.
        const back = popup && popup.options.returnFocus && popup.options.returnFocus.getElement();
        map.closePopup();
        (back || map.getContainer()).focus();
      });
    }

    function marker(map, row, selected) {
      const m = L.marker([row[2], row[1]], { icon: icon(mainActivity(row[4], selected)), title: row[3],
        alt: row[3], keyboard: true });
      m.on("click", () => openPopup(map, row, null));
      m.on("keypress", (e) => { if (e.originalEvent.key === "Enter") openPopup(map, row, m); });
      return m;
    }

    /* A MarkerCluster group's bubbles: named by their count, and zoomed into with Enter. */
    function clusterKeys(map, cluster) {
      const name = (layer) => {
        const el = layer.getElement && layer.getElement();
        if (el && el.classList.contains("marker-cluster")) {
          const label = W.clusterTitle(layer.getChildCount());
          el.setAttribute("aria-label", label);
          el.title = label;
          el.setAttribute("role", "button");
        }
      };
      map.on("layeradd", (e) => { if (e.layer.getChildCount) name(e.layer); });
      cluster.on("animationend", () => map.eachLayer((l) => { if (l.getChildCount) name(l); })); // counts changed
      map.getContainer().addEventListener("keydown", (e) => {
        if (e.key !== "Enter" || !e.target.classList.contains("marker-cluster")) return;
        let found = null; // the group's bubbles are layers of the map, not of the group
        map.eachLayer((l) => { if (l.getChildCount && l.getElement && l.getElement() === e.target) found = l; });
        if (found) { e.preventDefault(); found.zoomToBounds({ padding: [30, 30] }); }
      });
    }

    return { words: W, mainActivity, icon, openPopup, attach, marker, clusterKeys };
  }

  window.CartoMarkers = { create: create, getJson: getJson, failure: failure, escapeHtml: escapeHtml };
})();
