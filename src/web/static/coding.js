// Coding workspace enhancements: the claim edits run as the claim is typed,
// the draft saves itself, an encoder lookup fills the focused field, and a
// heartbeat while the student is active measures time on task. Without
// JavaScript the form's buttons do all of this on request.
(function () {
  "use strict";
  const form = document.getElementById("claim-form");
  if (!form) return;
  const encounter = form.dataset.encounter;
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const live = document.getElementById("live-edits");
  const saved = document.getElementById("draft-status");
  const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
  let checkTimer = null, saveTimer = null, seq = 0;

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const words = (v) => v.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

  // The claim as typed, in the interchange shape the API takes.
  // Diagnosis fields in letter order, and the first gap before a filled
  // one (the form refuses a claim with a gap, so the live check says so).
  function dxFields() { return Array.from(form.querySelectorAll("input[name^=dx_]")); }
  function dxGap() {
    const f = dxFields();
    const last = f.map((i) => i.value.trim() !== "").lastIndexOf(true);
    const gap = f.findIndex((i, n) => n < last && !i.value.trim());
    return gap >= 0 ? f[gap] : null;
  }

  function claim() {
    const diagnoses = [];
    dxFields().forEach((i) => { if (i.value.trim()) diagnoses.push(i.value.trim()); });
    const lines = [];
    for (let n = 0; form.elements["code_" + n]; n++) {
      const code = form.elements["code_" + n].value.trim();
      if (!code) continue;
      const units = parseInt(form.elements["units_" + n].value || "1", 10);
      lines.push({
        code,
        modifiers: words(form.elements["mods_" + n].value),
        units: Number.isFinite(units) ? units : 0,
        pointers: form.elements["ptrs_" + n].value.toUpperCase().replace(/[^A-L]/g, "").split(""),
        pos: form.dataset.pos,
      });
    }
    return {
      date_of_service: form.dataset.dos,
      patient: { sex: form.dataset.sex, birth_date: form.dataset.birth },
      diagnoses,
      lines,
    };
  }

  // Which input a finding points at: diagnosis letters A–L, lines 1–n.
  function inputFor(target) {
    if (target.kind === "diagnosis") {
      return dxFields().filter((i) => i.value.trim())[target.index] || null;
    }
    if (target.kind === "line") {
      let seen = -1;
      for (let n = 0; form.elements["code_" + n]; n++) {
        if (form.elements["code_" + n].value.trim()) seen++;
        if (seen === target.index) return form.elements["code_" + n];
      }
    }
    return null;
  }

  const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");

  function clearMarks() {
    form.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
  }

  function show(report) {
    clearMarks();
    const parts = [el("h3", {}, "Claim edits (live)")];
    if (report.error) {
      parts.push(el("p", { class: "error" }, report.error));
    } else if (!report.findings.length) {
      parts.push(el("p", { class: "valid" }, "No findings: the claim passes every edit."));
    } else {
      const ul = el("ul", { class: "findings" });
      report.findings.forEach((f) => {
        const li = el("li", { class: "finding finding-" + f.severity });
        li.append(el("strong", {}, f.severity), document.createTextNode(" "), el("code", {}, f.rule), document.createTextNode(" " + f.message));
        ul.append(li);
        const input = inputFor(f.target);
        if (input && f.severity === "error") input.setAttribute("aria-invalid", "true");
      });
      parts.push(ul);
      const c = report.counts;
      parts.push(el("p", { class: "muted" }, plural(c.error, "error") + ", " + plural(c.warning, "warning") + ", " + plural(c.info, "note")));
    }
    live.replaceChildren(...parts);
  }

  async function check() {
    const mine = ++seq;
    const body = claim();
    if (!body.diagnoses.length && !body.lines.length) { clearMarks(); live.replaceChildren(); return; }
    const gap = dxGap();
    if (gap) {
      show({ error: "Fill the diagnoses in order from A: " + gap.name.slice(3) + " is empty." });
      gap.setAttribute("aria-invalid", "true");
      return;
    }
    try {
      const res = await fetch("/api/v1/claims/check", { method: "POST", credentials: "same-origin", headers, body: JSON.stringify(body) });
      if (mine !== seq) return;
      const data = await res.json();
      if (mine !== seq) return;
      if (res.ok) show(data);
      else show({ error: (data.error.field ? data.error.field + ": " : "") + data.error.message });
    } catch (e) {
      show({ error: "Could not reach the server to check the claim." });
    }
  }

  async function saveDraft() {
    try {
      const res = await fetch("/api/v1/encounters/" + encounter + "/claim-draft", { method: "PUT", credentials: "same-origin", headers, body: JSON.stringify(claim()) });
      if (saved) saved.textContent = res.ok ? "Draft saved " + new Date().toLocaleTimeString() : "Draft not saved (" + res.status + ")";
    } catch (e) {
      if (saved) saved.textContent = "Draft not saved (offline)";
    }
  }

  form.addEventListener("input", () => {
    clearTimeout(checkTimer);
    clearTimeout(saveTimer);
    checkTimer = setTimeout(check, 250);
    saveTimer = setTimeout(saveDraft, 2000);
  });

  // Time on task: a heartbeat every 30 s while the page is visible and the
  // student typed, clicked or scrolled within the last minute.
  let lastActivity = Date.now();
  ["keydown", "pointerdown", "scroll", "input"].forEach((t) => document.addEventListener(t, () => { lastActivity = Date.now(); }, { passive: true }));
  function beat() {
    if (document.visibilityState === "visible" && Date.now() - lastActivity < 60000) {
      fetch("/api/v1/encounters/" + encounter + "/heartbeat", { method: "POST", credentials: "same-origin", headers, body: "{}" }).catch(() => {});
    }
  }
  setInterval(beat, 30000);

  // Encoder lookup: results fill the code field that last had focus.
  const q = document.getElementById("lookup-q");
  const list = document.getElementById("lookup-results");
  let target = form.elements["dx_A"];
  let active = -1, lookupTimer = null, lookupSeq = 0;
  form.addEventListener("focusin", (ev) => {
    if (ev.target.name && (ev.target.name.startsWith("dx_") || ev.target.name.startsWith("code_"))) target = ev.target;
  });
  function options() { return Array.from(list.querySelectorAll("[role=option]")); }
  function highlight(i) {
    const opts = options();
    if (!opts.length) return;
    active = (i + opts.length) % opts.length;
    opts.forEach((o, n) => o.setAttribute("aria-selected", n === active ? "true" : "false"));
    q.setAttribute("aria-activedescendant", opts[active].id);
  }
  function closeList() {
    list.replaceChildren();
    active = -1;
    q.setAttribute("aria-expanded", "false");
    q.removeAttribute("aria-activedescendant");
  }
  function use(code) {
    if (!target) return;
    if (code.endsWith("-")) {
      // A family, not a billable code: narrow the search to its children.
      q.value = code.slice(0, -1);
      lookup();
      return;
    }
    closeList();
    q.value = "";
    target.value = code;
    target.dispatchEvent(new Event("input", { bubbles: true }));
    target.focus();
  }
  async function lookup() {
    const text = q.value.trim();
    const mine = ++lookupSeq;
    if (!text) { list.replaceChildren(); return; }
    const res = await fetch("/api/v1/codes/search?limit=10&q=" + encodeURIComponent(text), { credentials: "same-origin" });
    if (mine !== lookupSeq || !res.ok) return;
    const hits = (await res.json()).results;
    list.replaceChildren();
    hits.forEach((h, i) => {
      const li = el("li", { role: "option", id: "lookup-" + i, "aria-selected": "false", "data-code": h.code });
      li.append(el("code", {}, h.code), document.createTextNode(" " + h.description));
      li.addEventListener("click", () => use(h.code));
      list.append(li);
    });
    active = -1;
    q.setAttribute("aria-expanded", hits.length ? "true" : "false");
  }
  if (q && list) {
    q.addEventListener("input", () => { clearTimeout(lookupTimer); lookupTimer = setTimeout(lookup, 150); });
    q.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowDown") { ev.preventDefault(); highlight(active + 1); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); highlight(active - 1); }
      else if (ev.key === "Escape") { closeList(); }
      else if (ev.key === "Enter") {
        ev.preventDefault();
        const opts = options();
        if (opts.length) use(opts[Math.max(active, 0)].dataset.code);
      }
    });
  }
})();
