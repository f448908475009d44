// The rating page: blind A/B screens, each side rated on the study's criteria (1-5), plus a preference.
// The page never learns which version is where: it asks for images by (rater, pair, side) and the server
// maps sides to versions. Every answer is on disk before the next pair shows, so a reload resumes.
"use strict";

const $ = (id) => document.getElementById(id);
const SIDES = ["left", "right"];
const state = { study: null, rater: null, pair: null, values: null, pref: null, row: 0, side: 0,
                shownAt: 0, busy: false, nagging: false };
const NA = null;  // a "not applicable" answer (a picture without text), stored as null

async function api(path, options) {
  const res = await fetch(path, options);
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

function show(id) {
  for (const s of ["start", "rate", "done"]) $(s).hidden = s !== id;
}

function buildGrids() {
  for (const side of SIDES) {
    const grid = $(`grid-${side}`);
    state.study.criteria.forEach((crit, row) => {
      const line = document.createElement("div");
      line.className = "row";
      line.dataset.row = row;
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = crit.label;
      line.append(label);
      for (let v = 1; v <= 5; v++) line.append(scoreButton(side, row, v, v, state.study.scale[v]));
      // the sixth column: N/A where the criterion allows it, an empty cell elsewhere to keep the grid
      line.append(crit.na ? scoreButton(side, row, NA, "N/A", "Not applicable (key 0)")
                          : document.createElement("span"));
      grid.append(line);
    });
  }
}

function scoreButton(side, row, value, text, title) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.title = title;
  b.dataset.value = value === NA ? "na" : value;
  b.addEventListener("click", () => { state.row = row; state.side = SIDES.indexOf(side); rate(value); });
  return b;
}

function render() {
  state.study.criteria.forEach((crit, row) => {
    SIDES.forEach((side, s) => {
      const line = $(`grid-${side}`).children[row];
      line.classList.toggle("focus", row === state.row && s === state.side);
      for (const b of line.querySelectorAll("button")) {
        const given = state.values[side];
        const on = crit.id in given && given[crit.id] === (b.dataset.value === "na" ? NA : Number(b.dataset.value));
        b.classList.toggle("on", on);
        b.setAttribute("aria-pressed", on);
      }
    });
  });
  for (const b of document.querySelectorAll(".pref")) b.classList.toggle("on", b.dataset.pref === state.pref);
  if (state.nagging) nag();  // the "still to answer" line follows the answers, and goes when none is left
}

function message(text, isError) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "";
}

function move(step) {  // through the lines in reading order: A then B on each criterion
  const n = state.study.criteria.length * 2;
  const pos = Math.min(n - 1, Math.max(0, state.row * 2 + state.side + step));
  state.row = Math.floor(pos / 2);
  state.side = pos % 2;
}

function rate(v) {
  state.values[SIDES[state.side]][state.study.criteria[state.row].id] = v;
  move(1);
  render();
}

function missing() {
  const out = [];
  for (const crit of state.study.criteria) {
    SIDES.forEach((side, s) => {
      if (!(crit.id in state.values[side])) out.push({ crit, s });
    });
  }
  return out;
}

function nag() {  // say what is still to answer; false when nothing is
  const gaps = missing();
  const what = (gaps.length ? [`${gaps.length} rating(s), the first highlighted`] : [])
    .concat(state.pref ? [] : ["which you prefer (A/B/N)"]);
  state.nagging = what.length > 0;
  message(state.nagging ? `Still to answer: ${what.join(" and ")}` : "", state.nagging);
  return state.nagging;
}

async function submit() {
  if (state.busy) return;
  const gaps = missing();
  if (nag()) {
    if (gaps.length) { state.row = state.study.criteria.indexOf(gaps[0].crit); state.side = gaps[0].s; render(); }
    return;
  }
  state.busy = true;
  message("saving...", false);
  try {
    const next = await api("/api/answer", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ rater: state.rater, pair: state.pair, left: state.values.left,
                             right: state.values.right, preference: state.pref,
                             elapsed_ms: Math.max(0, Math.round(performance.now() - state.shownAt)) }),
    });
    advance(next);
  } catch (err) {
    message(`Not saved: ${err.message}. Press Enter to try again.`, true);
  } finally {
    state.busy = false;
  }
}

function advance(progress) {
  if (progress.pair === null) {
    $("done-text").textContent = `All ${progress.total} pairs are rated and saved. You can close this page.`;
    show("done");
    return;
  }
  Object.assign(state, { pair: progress.pair, values: { left: {}, right: {} }, pref: null, row: 0, side: 0,
                         nagging: false });
  $("progress").textContent = `pair ${progress.done + 1} / ${progress.total}`;
  $("bar").max = progress.total;
  $("bar").value = progress.done;
  message("", false);
  let loading = 2;
  for (const side of SIDES) {
    const img = $(`img-${side}`);
    img.classList.remove("ready");
    img.onload = () => { img.classList.add("ready"); if (--loading === 0) state.shownAt = performance.now(); };
    img.onerror = () => message("An image failed to load: is the server still running?", true);
    const q = new URLSearchParams({ rater: state.rater, pair: progress.pair, side });
    img.src = `/api/image?${q}`;
  }
  show("rate");
  render();
}

function onKey(e) {
  if ($("rate").hidden || e.ctrlKey || e.metaKey || e.altKey) return;
  const key = e.key.toLowerCase();
  const moves = { arrowleft: [0, -1], arrowright: [0, 1], arrowup: [-1, 0], arrowdown: [1, 0] };
  if (/^[1-5]$/.test(key)) rate(Number(key));
  else if (key === "0" && state.study.criteria[state.row].na) rate(NA);
  else if (key in moves) {
    const [dr, ds] = moves[key];
    state.row = Math.min(state.study.criteria.length - 1, Math.max(0, state.row + dr));
    state.side = Math.min(1, Math.max(0, state.side + ds));
  } else if (key === "tab") move(e.shiftKey ? -1 : 1);
  else if (key === "a" || key === "b" || key === "n") state.pref = { a: "left", b: "right", n: "none" }[key];
  else if (key === "enter") submit();
  else if (key === "z") $("views").classList.toggle("actual");  // 1:1 (the default) or fit to the window
  else return;
  e.preventDefault();
  render();
}

function syncScroll() {  // in 1:1 mode (the default) both sides show the same region as either is panned
  const frames = document.querySelectorAll(".frame");
  frames.forEach((f, i) => f.addEventListener("scroll", () => {
    const other = frames[1 - i];
    if (other.scrollLeft !== f.scrollLeft || other.scrollTop !== f.scrollTop) {
      other.scrollLeft = f.scrollLeft;
      other.scrollTop = f.scrollTop;
    }
  }));
}

function dragToPan() {  // at 1:1 the mouse pans by dragging (a click without a drag still toggles fit)
  for (const frame of document.querySelectorAll(".frame")) {
    let from = null;
    frame.addEventListener("pointerdown", (e) => {
      from = { x: e.clientX, y: e.clientY, left: frame.scrollLeft, top: frame.scrollTop };
      state.dragged = false;
    });
    frame.addEventListener("pointermove", (e) => {
      if (!from || !$("views").classList.contains("actual")) return;
      const dx = e.clientX - from.x, dy = e.clientY - from.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) state.dragged = true;
      frame.scrollLeft = from.left - dx;
      frame.scrollTop = from.top - dy;
    });
    for (const end of ["pointerup", "pointerleave"]) frame.addEventListener(end, () => { from = null; });
  }
}

async function start(e) {
  e.preventDefault();
  const rater = $("rater").value.trim();
  try {
    const progress = await api(`/api/next?${new URLSearchParams({ rater })}`);
    state.rater = rater;
    $("who").textContent = `rater ${rater}`;
    history.replaceState(null, "", `?${new URLSearchParams({ rater })}`);  // a reload resumes this rater
    advance(progress);
  } catch (err) {
    $("start-error").textContent = err.message;
  }
}

async function init() {
  state.study = await api("/api/study");
  document.title = state.study.name;
  $("study-name").textContent = state.study.name;
  for (const r of state.study.raters) {
    const o = document.createElement("option");
    o.value = r;
    $("rater-ids").append(o);
  }
  buildGrids();
  for (const b of document.querySelectorAll(".pref")) {
    b.addEventListener("click", () => { state.pref = b.dataset.pref; render(); });
  }
  $("submit").addEventListener("click", submit);
  for (const img of document.querySelectorAll(".frame img")) {
    img.addEventListener("click", () => { if (!state.dragged) $("views").classList.toggle("actual"); });
  }
  dragToPan();
  syncScroll();
  $("start-form").addEventListener("submit", start);
  document.addEventListener("keydown", onKey);
  const preset = new URLSearchParams(location.search).get("rater");
  if (preset) { $("rater").value = preset; $("start-form").requestSubmit(); }
}

init().catch((err) => { $("start-error").textContent = `Cannot reach the study server: ${err.message}`; });
