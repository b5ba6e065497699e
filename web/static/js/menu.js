/* Carto ESS — on phones, the site's sections (« Acheteurs publics », « Territoires »…) behind a
 * « Menu » button in the header; the button stays hidden where there is room (carto.css). */
(function () {
  "use strict";
  const header = document.querySelector(".carto-header");
  const button = header && header.querySelector(".carto-menu-toggle");
  if (!button) return;
  const nav = document.getElementById(button.getAttribute("aria-controls"));
  header.classList.add("has-menu");
  button.hidden = false;

  function setOpen(open) {
    nav.classList.toggle("is-open", open);
    button.setAttribute("aria-expanded", String(open));
  }
  button.addEventListener("click", () => {
    const open = !nav.classList.contains("is-open");
    setOpen(open);
    if (open) nav.querySelector("a").focus();
  });
  nav.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { setOpen(false); button.focus(); }
  });
  document.addEventListener("click", (e) => {
    if (nav.classList.contains("is-open") && !header.contains(e.target)) setOpen(false);
  });
})();
