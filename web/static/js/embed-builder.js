/* Carto ESS — the embed builder (/embed/builder).
 *
 * Reads the options the partner ticks, asks the server for the snippet (/api/embed/snippet: the
 * rules live in carto.embed, not here), shows it, reloads the live preview and keeps the builder's
 * own address in step (a partner may bookmark or share it). Without JavaScript the form submits
 * to the builder, which renders the same code.
 */
(function () {
  "use strict";
  const form = document.getElementById("embed-options");
  const code = document.getElementById("embed-code");
  const preview = document.getElementById("embed-preview");
  const openLink = document.getElementById("embed-open");
  const copyButton = document.getElementById("embed-copy");
  const copyStatus = document.getElementById("embed-copy-status");
  const DELAY_MS = 300;
  const domains = Array.from(form.querySelectorAll(".carto-domain"));
  const boxesOf = (block) => Array.from(block.querySelectorAll('input[name="activity"]'));
  const checked = (name) => form.querySelector('input[name="' + name + '"][type="checkbox"]').checked;

  /* Whole domains as domain=…, partial ones as activity=…; nothing when all or none are ticked. */
  function activityParams(p) {
    const pairs = [];
    let whole = 0;
    for (const block of domains) {
      const boxes = boxesOf(block);
      const on = boxes.filter((b) => b.checked);
      if (on.length === boxes.length) { whole += 1; pairs.push(["domain", block.dataset.domain]); }
      else on.forEach((b) => pairs.push(["activity", b.value]));
    }
    if (whole < domains.length) pairs.forEach(([k, v]) => p.append(k, v));
  }

  function params() {
    const p = new URLSearchParams();
    activityParams(p);
    form.querySelectorAll("select[data-level]").forEach((s) => { if (s.value) p.set(s.name, s.value); });
    if (checked("lock")) p.set("lock", "1");
    p.set("view", form.elements.view.value || "map");
    p.set("legend", checked("legend") ? "1" : "0");
    p.set("contrib", checked("contrib") ? "1" : "0");
    if (checked("header")) p.set("header", "1");
    p.set("lang", form.elements.lang.value);
    p.set("title", form.elements.title.value);
    p.set("height", form.elements.height.value);
    if (checked("resize")) p.set("resize", "1");
    return p;
  }

  let timer = null, pending = null;
  function update() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const p = params();
      if (pending) pending.abort();
      pending = new AbortController();
      fetch("/api/embed/snippet?" + p, { signal: pending.signal, headers: { Accept: "application/json" } })
        .then((r) => { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then((data) => {
          code.value = data.snippet;
          if (preview.getAttribute("src") !== data.preview) preview.src = data.preview;
          preview.style.height = data.height + "px";
          openLink.href = data.preview;
          copyStatus.textContent = "";
          history.replaceState(null, "", window.location.pathname + "?" + p);
        })
        .catch((e) => { if (e.name !== "AbortError") copyStatus.textContent = "Le code n'a pas pu être mis à jour. Réessayez."; });
    }, DELAY_MS);
  }

  function syncDomain(block) {
    const boxes = boxesOf(block);
    const on = boxes.filter((b) => b.checked).length;
    const box = block.querySelector(".embed-domain-box");
    box.checked = on === boxes.length;
    box.indeterminate = on > 0 && on < boxes.length;
  }

  for (const block of domains) {
    block.querySelector(".embed-domain-box").addEventListener("change", (e) => {
      boxesOf(block).forEach((b) => { b.checked = e.target.checked; });
    });
    boxesOf(block).forEach((b) => b.addEventListener("change", () => syncDomain(block)));
    syncDomain(block);
  }

  // One territory at a time: choosing one clears the others.
  const levels = Array.from(form.querySelectorAll("select[data-level]"));
  levels.forEach((select) => select.addEventListener("change", () => {
    if (select.value) levels.forEach((other) => { if (other !== select) other.value = ""; });
  }));

  form.addEventListener("change", update);
  form.addEventListener("input", (e) => { if (e.target.type === "text" || e.target.type === "number") update(); });
  form.addEventListener("submit", (e) => { e.preventDefault(); update(); });
  form.querySelector(".embed-submit").hidden = true;

  copyButton.hidden = false;
  copyButton.addEventListener("click", () => {
    const done = () => { copyStatus.textContent = "Code copié : collez-le dans votre page."; };
    const byHand = () => {
      code.focus();
      code.select();
      if (document.execCommand && document.execCommand("copy")) done();
      else copyStatus.textContent = "Le code est sélectionné : copiez-le (Ctrl+C ou ⌘+C).";
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(code.value).then(done, byHand);
    else byHand();
  });
})();
