// Encoder enhancements: live search as you type, arrow keys through the
// results, Enter to open a code. Without JavaScript the form still works.
(function () {
  "use strict";
  const input = document.getElementById("encoder-q");
  const date = document.getElementById("encoder-date");
  const list = document.getElementById("encoder-results");
  const status = document.getElementById("encoder-status");
  const detail = document.getElementById("encoder-detail");
  if (!input || !list) return;
  let active = -1;
  let timer = null;
  let seq = 0;

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function options() { return Array.from(list.querySelectorAll("[role=option]")); }

  function highlight(i) {
    const opts = options();
    if (!opts.length) return;
    active = (i + opts.length) % opts.length;
    opts.forEach((o, n) => o.setAttribute("aria-selected", n === active ? "true" : "false"));
    input.setAttribute("aria-activedescendant", opts[active].id);
    opts[active].scrollIntoView({ block: "nearest" });
  }

  function render(results) {
    list.replaceChildren();
    results.forEach((hit, i) => {
      const li = el("li", { role: "option", id: "hit-" + i, "data-code": hit.code, "aria-selected": "false" });
      const a = el("a", { href: "#" });
      a.append(el("code", {}, hit.code), document.createTextNode(" " + hit.description));
      a.addEventListener("click", (ev) => { ev.preventDefault(); open(hit.code); });
      li.append(a);
      list.append(li);
    });
    active = -1;
    input.removeAttribute("aria-activedescendant");
    input.setAttribute("aria-expanded", results.length ? "true" : "false");
    status.textContent = results.length + " results";
  }

  async function search() {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) { render([]); status.textContent = ""; return; }
    const res = await fetch("/api/v1/codes/search?limit=30&q=" + encodeURIComponent(q), { credentials: "same-origin" });
    if (mine !== seq) return;
    if (!res.ok) { status.textContent = "Search failed (" + res.status + ")"; return; }
    render((await res.json()).results);
  }

  async function open(code) {
    const clean = code.replace(/-$/, "");
    const when = date && date.value ? "?date=" + encodeURIComponent(date.value) : "";
    const res = await fetch("/api/v1/codes/icd10cm/" + encodeURIComponent(clean) + when, { credentials: "same-origin" });
    if (!res.ok) { detail.replaceChildren(el("h2", { id: "detail-heading" }, clean), el("p", { class: "invalid" }, "No such code in this release.")); return; }
    const d = await res.json();
    const parts = [el("h2", { id: "detail-heading" })];
    parts[0].append(el("code", {}, d.code), document.createTextNode(" " + d.description));
    parts.push(el("p", { class: d.validity.billable ? "valid" : "invalid" }, d.validity.message));
    if (d.never_first_listed) parts.push(el("p", { class: "warning" }, "May not be listed first."));
    const path = el("ol", { class: "path", "aria-label": "Hierarchy" });
    d.path.forEach((s) => { const li = el("li"); li.append(el("code", {}, s.code), document.createTextNode(" " + s.description)); path.append(li); });
    parts.push(path);
    if (d.seventh_characters.length) {
      parts.push(el("h3", {}, "7th characters"));
      const ul = el("ul");
      d.seventh_characters.forEach((s) => { const li = el("li"); li.append(el("code", {}, s.character), document.createTextNode(" " + s.meaning)); ul.append(li); });
      parts.push(ul);
    }
    if (d.notes.length) {
      parts.push(el("h3", {}, "Notes"));
      const ul = el("ul", { class: "notes" });
      d.notes.forEach((n) => { const li = el("li"); li.append(el("span", { class: "note-kind" }, n.kind), document.createTextNode(" " + n.text + " (at " + n.from + ")")); ul.append(li); });
      parts.push(ul);
    }
    if (d.billable_children.length) {
      parts.push(el("h3", {}, "Billable codes under it"));
      const p = el("p", { class: "children" });
      d.billable_children.forEach((c) => { const a = el("a", { href: "#" }); a.append(el("code", {}, c)); a.addEventListener("click", (ev) => { ev.preventDefault(); open(c); }); p.append(a, document.createTextNode(" ")); });
      parts.push(p);
    }
    detail.replaceChildren(...parts);
  }

  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 120); });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown") { ev.preventDefault(); highlight(active + 1); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); highlight(active - 1); }
    else if (ev.key === "Enter" && active >= 0) { ev.preventDefault(); open(options()[active].dataset.code); }
    else if (ev.key === "Escape") { render([]); }
  });
  document.getElementById("encoder-form").addEventListener("submit", (ev) => {
    if (active >= 0) { ev.preventDefault(); open(options()[active].dataset.code); }
  });
})();
