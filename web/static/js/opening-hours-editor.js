/* Carto ESS — day-by-day opening hours editor for the contribution and moderation forms.
 * The OpenStreetMap text field stays the value that is sent: the table writes it (up to two time
 * slots a day, closed days, « sur rendez-vous », public holidays), and a value typed in the field
 * fills the table back when it can be described day by day. Without JavaScript, the field alone
 * works as before. Everything shown is set with textContent. */
(function () {
  "use strict";
  const field = document.getElementById("f-opening_hours");
  const box = document.getElementById("oh-editor");
  if (!field || !box) return;

  const DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
  const NAMES = ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"];
  const APPOINTMENT = '"sur rendez-vous"';
  const TIME = "([0-2]?[0-9]):([0-5][0-9])";
  const SPAN = new RegExp("^" + TIME + "-" + TIME + "$");
  const DAY_LIST = /^(?:Mo|Tu|We|Th|Fr|Sa|Su)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?(?:,(?:Mo|Tu|We|Th|Fr|Sa|Su)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?)*$/;

  // --- the value: { days: [{ mode: "closed"|"open"|"appointment", slots: [[from, to]…] }×7], holidaysOff }

  function emptyWeek() {
    return { days: DAYS.map(() => ({ mode: "closed", slots: [] })), holidaysOff: false };
  }

  function signature(day) {
    if (day.mode === "appointment") return APPOINTMENT;
    return day.slots.map((s) => s[0] + "-" + s[1]).join(",");
  }

  function daySelector(indexes) {
    const runs = [];
    for (const i of indexes) {
      const last = runs[runs.length - 1];
      if (last && last[1] === i - 1) last[1] = i; else runs.push([i, i]);
    }
    return runs.map(([a, b]) => (a === b ? DAYS[a] : DAYS[a] + "-" + DAYS[b])).join(",");
  }

  function toOsm(week) {
    const groups = new Map();  // signature → days, in the order of their first day
    week.days.forEach((day, i) => {
      if (day.mode === "closed") return;
      const key = signature(day);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(i);
    });
    const rules = [];
    if (groups.size === 1 && groups.has(APPOINTMENT) && groups.get(APPOINTMENT).length === 7) {
      rules.push(APPOINTMENT);
    } else {
      for (const [key, indexes] of groups) rules.push(daySelector(indexes) + " " + key);
    }
    if (week.holidaysOff && rules.length) rules.push("PH off");
    return rules.join("; ");
  }

  function pad(time) {
    const m = new RegExp("^" + TIME + "$").exec(time);
    return m ? m[1].padStart(2, "0") + ":" + m[2] : null;
  }

  function expandDays(list) {
    const out = [];
    for (const part of list.split(",")) {
      const [a, b] = part.split("-").map((d) => DAYS.indexOf(d));
      if (b === undefined) { out.push(a); continue; }
      if (b < a) return null;  // a range across Sunday: left to the text field
      for (let i = a; i <= b; i++) out.push(i);
    }
    return out;
  }

  function parseSpans(text) {
    const slots = [];
    for (const part of text.split(",")) {
      const m = SPAN.exec(part.trim());
      if (!m) return null;
      slots.push([pad(m[1] + ":" + m[2]), pad(m[3] + ":" + m[4])]);
    }
    return slots.length <= 2 ? slots : null;
  }

  /** The week a value describes, or null when it says more than the table can show. */
  function fromOsm(text) {
    const week = emptyWeek();
    const rules = text.trim().replace(/;\s*$/, "").split(";").map((r) => r.trim()).filter(Boolean);
    for (const rule of rules) {
      if (rule === "PH off" || rule === "PH closed") { week.holidaysOff = true; continue; }
      if (rule === APPOINTMENT) {
        week.days.forEach((d) => { d.mode = "appointment"; d.slots = []; });
        continue;
      }
      const m = /^(\S+)\s+(.+)$/.exec(rule);
      if (!m || !DAY_LIST.test(m[1])) return null;
      const indexes = expandDays(m[1]);
      if (!indexes) return null;
      let day;
      if (m[2] === APPOINTMENT) day = { mode: "appointment", slots: [] };
      else if (m[2] === "off" || m[2] === "closed") day = { mode: "closed", slots: [] };
      else {
        const slots = parseSpans(m[2]);
        if (!slots) return null;
        day = { mode: "open", slots: slots };
      }
      for (const i of indexes) week.days[i] = { mode: day.mode, slots: day.slots.slice() };
    }
    return week;
  }

  // --- the table

  function element(tag, props, children) {
    const el = document.createElement(tag);
    Object.assign(el, props || {});
    for (const child of children || []) el.append(child);
    return el;
  }

  function labelled(el, label) {
    el.setAttribute("aria-label", label);
    return el;
  }

  function timeInput(label) {
    return labelled(element("input", { type: "time", step: 300, className: "oh-time" }), label);
  }

  const rows = NAMES.map((name) => {
    const mode = labelled(element("select", { className: "oh-mode" }, [
      element("option", { value: "closed", textContent: "Fermé" }),
      element("option", { value: "open", textContent: "Ouvert" }),
      element("option", { value: "appointment", textContent: "Sur rendez-vous" }),
    ]), name + " : ouverture");
    const slots = [1, 2].map((n) => [timeInput(name + ", plage " + n + " : de"), timeInput(name + ", plage " + n + " : à")]);
    const cells = slots.map(([from, to]) => element("td", { className: "oh-slot" }, [from, " – ", to]));
    const tr = element("tr", {}, [element("th", { scope: "row", textContent: name }), element("td", {}, [mode]), ...cells]);
    return { tr, mode, slots, cells };
  });

  const holidays = element("input", { type: "checkbox", id: "oh-holidays" });
  const copy = element("button", { type: "button", className: "carto-button-light",
    textContent: "Recopier les horaires du lundi sur mardi à vendredi" });
  const status = element("p", { className: "oh-status", id: "oh-status" });
  status.setAttribute("aria-live", "polite");
  const head = element("tr", {}, ["Jour", "Ouverture", "Plage 1", "Plage 2 (facultative)"].map(
    (t) => element("th", { scope: "col", textContent: t })));
  box.append(
    element("table", { className: "oh-table" }, [element("thead", {}, [head]), element("tbody", {}, rows.map((r) => r.tr))]),
    element("div", { className: "cf-check" }, [holidays, element("label", { htmlFor: "oh-holidays", textContent: "Fermé les jours fériés" })]),
    copy, status);
  box.hidden = false;

  function show(week) {
    rows.forEach((row, i) => {
      const day = week.days[i];
      row.mode.value = day.mode;
      row.slots.forEach(([from, to], n) => {
        from.value = day.slots[n] ? day.slots[n][0] : "";
        to.value = day.slots[n] ? day.slots[n][1] : "";
      });
    });
    holidays.checked = week.holidaysOff;
    showModes();
  }

  function showModes() {
    for (const row of rows) {
      const open = row.mode.value === "open";
      for (const cell of row.cells) cell.hidden = !open;
    }
  }

  /** The week of the table, or a French message saying which day is wrong. */
  function read() {
    const week = emptyWeek();
    week.holidaysOff = holidays.checked;
    for (let i = 0; i < 7; i++) {
      const row = rows[i];
      const day = week.days[i];
      day.mode = row.mode.value;
      if (day.mode !== "open") continue;
      for (const [n, [from, to]] of row.slots.entries()) {
        if (!from.value && !to.value) continue;
        if (!from.value || !to.value) return NAMES[i] + ", plage " + (n + 1) + " : indiquez l'heure de début et l'heure de fin.";
        if (to.value <= from.value) return NAMES[i] + ", plage " + (n + 1) + " : l'heure de fin doit suivre l'heure de début.";
        day.slots.push([from.value, to.value]);
      }
      if (!day.slots.length) return NAMES[i] + " : indiquez au moins une plage horaire, ou choisissez « Fermé ».";
      if (day.slots.length === 2 && day.slots[1][0] < day.slots[0][1]) return NAMES[i] + " : la plage 2 doit commencer après la fin de la plage 1.";
    }
    return week;
  }

  function say(text, problem) {
    status.textContent = text;
    status.classList.toggle("oh-problem", Boolean(problem));
  }

  function write() {
    showModes();
    const week = read();
    if (typeof week === "string") { say(week + " Le champ ci-dessous n'a pas été modifié.", true); return; }
    field.value = toOsm(week);
    say(field.value ? "Horaires écrits dans le champ ci-dessous : " + field.value : "Aucun horaire : le champ ci-dessous est vide.", false);
  }

  function load() {
    const week = field.value.trim() ? fromOsm(field.value) : emptyWeek();
    if (week) { show(week); say("", false); return; }
    say("Ces horaires ne se décrivent pas jour par jour : modifiez-les dans le champ ci-dessous (modifier le tableau les remplacerait).", true);
  }

  box.addEventListener("change", write);
  copy.addEventListener("click", () => {
    const monday = rows[0];
    for (const row of rows.slice(1, 5)) {
      row.mode.value = monday.mode.value;
      row.slots.forEach(([from, to], n) => { from.value = monday.slots[n][0].value; to.value = monday.slots[n][1].value; });
    }
    write();
  });
  field.addEventListener("input", load);
  load();
})();
