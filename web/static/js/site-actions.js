/* Carto ESS — sharing an address and keeping favourites, on the site page and in map popups.
 *
 * Buttons come hidden from the server (they need this script) and are shown by enhance():
 * - [data-share="URL"] copies URL (empty: the page's current address) or, on phones that can,
 *   opens the system's share sheet; [data-share-title] names what is shared;
 * - [data-favourite="ID"] [data-favourite-name="…"] adds or removes the site from the favourites,
 *   kept in this browser only (localStorage), never sent anywhere.
 * Buttons sit in a ul.carto-site-links followed by its p.carto-action-message (role="status").
 * window.CartoFavourites lets the map list the favourites and follow their changes.
 */
(function () {
  "use strict";
  const KEY = "carto-favoris";
  const listeners = [];

  function read() {
    try {
      const list = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(list) ? list.filter((f) => f && /^\d+$/.test(String(f.id))) : [];
    } catch (e) {
      return []; // storage refused (private mode) or edited by hand: no favourites rather than a broken page
    }
  }

  function write(list) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(list));
      return true;
    } catch (e) {
      return false;
    }
  }

  const favourites = {
    list: read,
    has: (id) => read().some((f) => String(f.id) === String(id)),
    /* Returns the new state, or null when the browser refuses to store it. */
    toggle(id, name) {
      const list = read();
      const kept = list.filter((f) => String(f.id) !== String(id));
      const added = kept.length === list.length;
      if (added) kept.push({ id: String(id), name: name });
      if (!write(kept)) return null;
      listeners.forEach((fn) => fn(kept));
      return added;
    },
    onChange: (fn) => listeners.push(fn),
  };
  window.CartoFavourites = favourites;
  window.addEventListener("storage", (e) => { if (e.key === KEY) listeners.forEach((fn) => fn(read())); });

  /* Every group of buttons (.carto-site-links) is followed by its message line. */
  function say(button, text) {
    const message = button.closest(".carto-site-links").nextElementSibling;
    message.textContent = text;
  }

  function showFavourite(button) {
    const on = favourites.has(button.dataset.favourite);
    button.setAttribute("aria-pressed", String(on));
    button.classList.toggle("is-on", on);
    button.querySelector("span").textContent = on ? "Dans mes favoris" : "Ajouter à mes favoris";
  }

  const canShare = typeof navigator.share === "function" && window.matchMedia("(pointer: coarse)").matches;

  function enhance(root) {
    root.querySelectorAll("[data-share]").forEach((b) => {
      b.hidden = false;
      if (canShare) b.querySelector("span").textContent = "Partager";
    });
    root.querySelectorAll("[data-favourite]").forEach((b) => { b.hidden = false; showFavourite(b); });
  }

  function share(button) {
    const url = button.dataset.share || window.location.href;
    if (canShare) {
      navigator.share({ title: button.dataset.shareTitle || document.title, url: url })
        .catch((e) => { if (e.name !== "AbortError") say(button, "Le partage n'a pas abouti : " + url); });
      return;
    }
    if (!navigator.clipboard) { say(button, "Copiez ce lien : " + url); return; }
    navigator.clipboard.writeText(url).then(
      () => say(button, "Lien copié dans le presse-papiers."),
      () => say(button, "Le navigateur a refusé la copie ; copiez ce lien : " + url));
  }

  document.addEventListener("click", (e) => {
    const shareButton = e.target.closest("[data-share]");
    if (shareButton) { share(shareButton); return; }
    const star = e.target.closest("[data-favourite]");
    if (!star) return;
    const added = favourites.toggle(star.dataset.favourite, star.dataset.favouriteName);
    if (added === null) { say(star, "Ce navigateur ne permet pas de garder des favoris (navigation privée ?)."); return; }
    document.querySelectorAll('[data-favourite="' + star.dataset.favourite + '"]').forEach(showFavourite);
    say(star, added ? "Ajouté à vos favoris (gardés dans ce navigateur)." : "Retiré de vos favoris.");
  });

  window.CartoActions = { enhance: enhance };
  enhance(document);
})();
