/* Carto ESS — « Autour de moi » on the list page: the visitor's position sorts the list (near=lon,lat),
 * as the map's centre does; the list works without this script. */
(function () {
  "use strict";
  const button = document.getElementById("carto-list-locate");
  const message = document.getElementById("carto-list-locate-message");
  if (!button || !navigator.geolocation) return;
  const form = button.form;
  button.hidden = false;

  button.addEventListener("click", () => {
    message.textContent = "Recherche de votre position…";
    navigator.geolocation.getCurrentPosition((pos) => {
      let near = form.elements.near;
      if (!near) {
        near = document.createElement("input");
        near.type = "hidden";
        near.name = "near";
        form.appendChild(near);
      }
      near.value = pos.coords.longitude.toFixed(5) + "," + pos.coords.latitude.toFixed(5);
      form.elements.autour.value = ""; // a typed place would win over the position
      form.submit();
    }, (err) => {
      message.textContent = err.code === err.PERMISSION_DENIED
        ? "Vous n'avez pas autorisé l'accès à votre position." : "Votre position n'a pas pu être déterminée.";
    }, { timeout: 15000, maximumAge: 60000 });
  });
})();
