/* Carto ESS — address suggestions (Base Adresse Nationale, through /api/geocode) on the street
 * field of the contribution and moderation forms. Choosing one fills the street, postcode and
 * commune and places the map's point (contribute.js), which stays movable. Without the service
 * (offline, off, nothing found) the form works as before and says so. A combobox (WAI-ARIA APG):
 * arrows to move, Enter to choose, Escape to close. Text from the server goes in with textContent. */
(function () {
  "use strict";
  const street = document.getElementById("f-street");
  const list = document.getElementById("cf-address-list");
  const status = document.getElementById("cf-address-status");
  if (!street || !list || !status) return;
  const postcode = document.getElementById("f-postcode");
  const commune = document.getElementById("f-commune");
  const picker = document.getElementById("f-position");
  const MIN_LENGTH = 4;
  let found = [], active = -1, timer = null, pending = null;

  street.setAttribute("role", "combobox");
  street.setAttribute("aria-autocomplete", "list");
  street.setAttribute("aria-controls", list.id);
  street.setAttribute("aria-expanded", "false");

  function close() {
    list.hidden = true;
    list.replaceChildren();
    street.setAttribute("aria-expanded", "false");
    street.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function query() {
    // The street alone is ambiguous across Brittany: the postcode and commune typed narrow it.
    const town = commune ? commune.value.replace(/\s*\([^)]*\)\s*$/, "") : "";
    return [street.value.trim(), postcode ? postcode.value.trim() : "", town.trim()].filter(Boolean).join(" ");
  }

  function ask() {
    const text = street.value.trim();
    if (text.length < MIN_LENGTH) { close(); return; }
    const params = new URLSearchParams({ q: query(), limit: "6" });
    if (pending) pending.abort();
    pending = new AbortController();
    fetch("/api/geocode?" + params, { signal: pending.signal })
      .then((r) => r.json().then((body) => ({ ok: r.ok, body: body })))
      .then(({ ok, body }) => {
        if (!ok) {
          close();
          const why = (body.errors && body.errors[0] ? body.errors[0].msg : body.detail) || "Recherche d'adresse indisponible.";
          status.textContent = why + " Placez le site sur la carte, ou indiquez sa commune : il sera placé en son centre.";
          return;
        }
        show(body.addresses);
      })
      .catch((e) => {
        if (e.name === "AbortError") return;
        close();
        status.textContent = "Recherche d'adresse indisponible (hors connexion ?). Placez le site sur la carte, ou indiquez sa commune.";
      });
  }

  function show(addresses) {
    found = addresses.filter((a) => a.precision !== "commune");
    list.replaceChildren();
    active = -1;
    if (!found.length) {
      close();
      status.textContent = "Aucune adresse trouvée : vérifiez-la, ou placez le site sur la carte.";
      return;
    }
    found.forEach((a, i) => {
      const li = document.createElement("li");
      li.id = "cf-address-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.textContent = a.label + (a.precision === "street" ? " (rue)" : "");
      li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(i); });
      list.append(li);
    });
    list.hidden = false;
    street.setAttribute("aria-expanded", "true");
    status.textContent = found.length + (found.length > 1 ? " adresses proposées" : " adresse proposée") +
      " : flèches pour parcourir, Entrée pour choisir.";
  }

  function highlight(i) {
    const options = list.children;
    if (!options.length) return;
    active = (i + options.length) % options.length;
    for (const [n, option] of Array.from(options).entries()) option.setAttribute("aria-selected", String(n === active));
    street.setAttribute("aria-activedescendant", options[active].id);
  }

  function choose(i) {
    const a = found[i];
    close();
    street.value = a.street;
    if (postcode) postcode.value = a.postcode;
    if (commune && a.commune) commune.value = a.commune;
    if (picker) picker.dispatchEvent(new CustomEvent("carto:place", { detail: { lat: a.lat, lon: a.lon, precision: a.precision } }));
    status.textContent = "Adresse choisie : " + a.label + ". Le repère est placé sur la carte" +
      (a.precision === "street" ? " (au niveau de la rue)" : "") + " ; vous pouvez le déplacer.";
  }

  street.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, 300);
  });
  street.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); highlight(active + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active - 1); }
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(active); }
    else if (e.key === "Escape") { e.preventDefault(); close(); }
  });
  street.addEventListener("blur", () => setTimeout(close, 150));
})();
