/* Carto ESS — a SIRET typed in the contribution and moderation forms is looked up in Sirene
 * (/api/sirene/{siret}): the establishment's name, address, commune and legal form fill the fields
 * still empty (nothing typed is replaced), and its state is said (« Sirene : actif, ESS : oui… »).
 * Without the service the form works as before: only the SIRET's key is checked when sent. */
(function () {
  "use strict";
  const siret = document.getElementById("f-siret");
  const status = document.getElementById("cf-siret-status");
  if (!siret || !status) return;
  let asked = "";

  function fillIfEmpty(id, value) {
    const input = document.getElementById(id);
    if (!input || !value || input.value.trim()) return false;
    input.value = value;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function say(text, link) {
    status.replaceChildren(text);
    if (link) {
      const a = document.createElement("a");
      a.href = link;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = "fiche sur l'Annuaire des entreprises";
      status.append(" — ", a);
    }
  }

  function lookUp() {
    const digits = siret.value.replace(/[\s.]/g, "");
    if (!/^\d{14}$/.test(digits) || digits === asked) return;
    asked = digits;
    say("Recherche dans Sirene…");
    fetch("/api/sirene/" + digits)
      .then((r) => r.json().then((body) => ({ ok: r.ok, body: body })))
      .then(({ ok, body }) => {
        if (!ok) {
          say(body.errors && body.errors[0] ? body.errors[0].msg + "." : (body.detail || "Sirene indisponible."));
          return;
        }
        const filled = [
          fillIfEmpty("f-name", body.name) && "nom",
          fillIfEmpty("f-street", body.street) && "adresse",
          fillIfEmpty("f-postcode", body.postcode) && "code postal",
          fillIfEmpty("f-commune", body.commune) && "commune",
          fillIfEmpty("f-legal_form", body.legal_form) && "forme juridique",
        ].filter(Boolean);
        const done = filled.length ? " Pré-rempli : " + filled.join(", ") + "." : "";
        say(body.summary + " (NAF " + (body.naf || "?") + ")." + done, body.annuaire_url);
      })
      .catch(() => say("Sirene injoignable (hors connexion ?) : le SIRET sera seulement contrôlé à l'envoi."));
  }

  siret.addEventListener("change", lookUp);
  siret.addEventListener("blur", lookUp);
})();
