/* Carto ESS — sourcing form: territory suggestions while typing (progressive enhancement).
 * Each text field with data-levels fills its <datalist> from the source of each level it names: the
 * page's #buyer-levels, derived by the server from its table of filters (/api/territories/…, /api/poles),
 * with the word its labels use. Choosing a suggestion sets the exact territory (hidden "zone" field),
 * so the server does not have to guess between, say, the two Plouhinec. Without JavaScript the server
 * resolves the typed name itself and offers choices when it is ambiguous. */
(function () {
  "use strict";
  const LEVELS = JSON.parse(document.getElementById("buyer-levels").textContent);  // level → {label, url}
  let poles = null;

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/œ/gi, "oe").toLowerCase();
  }

  function loadPoles() {
    if (!poles) {
      poles = fetch(LEVELS.pole.url).then((r) => r.json())
        .then((data) => data.features.map((f) => ({ label: f.properties.nom + " (" + LEVELS.pole.label + ")", zone: "pole:" + f.id,
                                                    key: fold(f.properties.nom) })));
    }
    return poles;
  }

  function territoryLabel(level, t) {
    const detail = LEVELS[level].label + (level === "commune" && t.departement ? ", " + t.departement : "");
    return t.nom + " (" + detail + ")";
  }

  function suggestions(levels, q) {
    const asked = levels.filter((l) => l !== "pole").map((level) =>
      fetch(LEVELS[level].url + "?limit=6&q=" + encodeURIComponent(q))
        .then((r) => (r.ok ? r.json() : { territories: [] }))
        .then((data) => data.territories.map((t) => ({ label: territoryLabel(level, t),
                                                       zone: level + ":" + t.code }))));
    if (levels.includes("pole")) {
      const words = fold(q).split(/\W+/).filter(Boolean);
      asked.push(loadPoles().then((all) => all.filter((p) =>
        words.every((w) => p.key.split(/\W+/).some((pw) => pw.startsWith(w))))));
    }
    return Promise.all(asked).then((lists) => lists.flat());
  }

  for (const input of document.querySelectorAll("input[data-levels]")) {
    const list = document.getElementById(input.getAttribute("list"));
    const zone = input.dataset.zone ? document.getElementById(input.dataset.zone) : null;
    const known = new Map();  // label shown → exact zone
    if (zone && zone.value) known.set(input.value, zone.value);
    let timer = null;
    let asked = 0;
    input.addEventListener("input", () => {
      if (zone) zone.value = known.get(input.value) || "";
      const q = input.value.trim();
      clearTimeout(timer);
      if (q.length < 2 || known.has(input.value)) return;
      timer = setTimeout(() => {
        const ticket = ++asked;
        suggestions(input.dataset.levels.split(","), q).then((found) => {
          if (ticket !== asked) return;  // an older answer arriving late
          list.replaceChildren(...found.map((s) => {
            known.set(s.label, s.zone);
            const option = document.createElement("option");
            option.value = s.label;
            return option;
          }));
        // Suggestions only help typing: the form still checks the zone when it is sent.
        }).catch((e) => console.error("suggestions de territoires indisponibles", e));
      }, 200);
    });
  }
})();
