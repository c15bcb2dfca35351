// wordlab serve: the page. Plain JavaScript, no dependencies; talks to the JSON API under /api/.
"use strict";
const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const headers = (extra) => Object.assign(token ? { Authorization: "Bearer " + token } : {}, extra || {});
const SVGNS = "http://www.w3.org/2000/svg";
let models = [];
let limits = {};

async function api(path, body) {
  const opts = body === undefined ? { headers: headers() }
    : { method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body) };
  const r = await fetch("/api" + path, opts);
  const j = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw new Error(j.error || r.statusText);
  return j;
}

function status(text, bad) { const s = $("status"); s.textContent = text; s.className = bad ? "error" : ""; }
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function fill(select, kind) {
  select.replaceChildren(...models.filter((m) => !kind || m.kind === kind).map((m) => el("option", { value: m.name }, m.name)));
}
function guard(fn) {
  return async (ev) => { if (ev) ev.preventDefault(); try { await fn(ev); } catch (e) { status(e.message, true); } };
}

// ---- bars: neighbours, analogy answers, class probabilities -------------------------------------
function bars(list, rows, key, onPick) {
  const ol = $(list);
  ol.replaceChildren();
  const max = Math.max(1e-9, ...rows.map((r) => Math.abs(r[key])));
  for (const r of rows) {
    const li = el("li");
    const name = r.word ?? r.label;
    const b = el("button", { class: "word", type: "button", title: name }, name);
    if (onPick) b.addEventListener("click", () => onPick(name)); else b.disabled = true;
    const bar = el("div", { class: "bar" });
    bar.style.width = (100 * Math.max(0, r[key]) / max).toFixed(1) + "%";
    li.append(b, el("div", {}, ""), el("span", { class: "val" }, r[key].toFixed(3)));
    li.children[1].append(bar);
    ol.append(li);
  }
}

// ---- vectors -------------------------------------------------------------------------------------
const vname = () => $("vectors-model").value;
let completeTimer = null;
$("search").addEventListener("input", () => {
  clearTimeout(completeTimer);
  const prefix = $("search").value.trim();
  if (!prefix) return;
  completeTimer = setTimeout(async () => {
    try {
      const j = await api(`/vectors/${encodeURIComponent(vname())}/complete?limit=10&prefix=${encodeURIComponent(prefix)}`);
      $("completions").replaceChildren(...j.words.map((w) => el("option", { value: w })));
    } catch (e) { /* completion is a convenience */ }
  }, 120);
});

async function search(word) {
  $("search").value = word;
  const topn = Math.min(+$("topn").value || 10, limits.max_topn || 100);
  const j = await api(`/vectors/${encodeURIComponent(vname())}/neighbours`, { word, topn });
  bars("neighbours", j.neighbours, "similarity", (w) => guard(() => search(w))());
  status(`${j.neighbours.length} neighbours of “${word}”`);
  highlight([word, ...j.neighbours.map((n) => n.word)]);
}
$("search-form").addEventListener("submit", guard(() => search($("search").value.trim())));

$("analogy-form").addEventListener("submit", guard(async () => {
  const [a, b, c] = ["a", "b", "c"].map((k) => $("analogy-" + k).value.trim());
  const j = await api(`/vectors/${encodeURIComponent(vname())}/analogy`,
    { positive: [b, c], negative: [a], method: $("analogy-method").value, topn: 10 });
  bars("analogy-result", j.answers, "similarity", (w) => guard(() => search(w))());
  status(`${a} : ${b} :: ${c} : ${j.answers.length ? j.answers[0].word : "?"}`);
  highlight([a, b, c, ...j.answers.slice(0, 3).map((x) => x.word)]);
}));

// ---- map: canvas with hover, zoom (wheel, buttons, keys) and pan (drag, arrows) --------------------
const map = { words: [], x: [], y: [], view: { s: 1, dx: 0, dy: 0 }, marked: new Set(), index: new Map() };
async function drawMap() {
  const n = Math.min(+$("map-n").value || 500, limits.max_map || 5000);
  const j = await api(`/vectors/${encodeURIComponent(vname())}/map?n=${n}&method=${$("map-method").value}`);
  Object.assign(map, j);
  map.index = new Map(j.words.map((w, i) => [w, i]));
  map.view = { s: 1, dx: 0, dy: 0 };
  renderMap();
  status(`map of the first ${j.words.length} words (${j.method.toUpperCase()})`);
}
function project(i, W, H) {
  const xs = map.x, ys = map.y;
  if (!map.bounds) {
    const pad = (a) => { const lo = Math.min(...a), hi = Math.max(...a); return [lo, (hi - lo) || 1]; };
    map.bounds = [pad(xs), pad(ys)];
  }
  const [[x0, xw], [y0, yw]] = map.bounds;
  const v = map.view;
  const px = 20 + (W - 40) * (xs[i] - x0) / xw, py = H - 20 - (H - 40) * (ys[i] - y0) / yw;
  return [(px - W / 2) * v.s + W / 2 + v.dx, (py - H / 2) * v.s + H / 2 + v.dy];
}
function renderMap() {
  const c = $("map"), dpr = window.devicePixelRatio || 1;
  const W = c.clientWidth, H = c.clientHeight;
  c.width = W * dpr; c.height = H * dpr;
  const g = c.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  map.bounds = null;
  g.font = "11px system-ui, sans-serif";
  for (let i = 0; i < map.words.length; i++) {
    const [x, y] = project(i, W, H);
    if (x < -5 || y < -5 || x > W + 5 || y > H + 5) continue;
    const hot = map.marked.has(map.words[i]);
    g.fillStyle = hot ? "#e0533d" : "#2f6fdf88";
    g.beginPath(); g.arc(x, y, hot ? 4.5 : 2.5, 0, 7); g.fill();
    if (hot || (map.view.s > 3 && i < 400)) { g.fillStyle = hot ? "#a3241a" : "#445"; g.fillText(map.words[i], x + 5, y - 4); }
  }
  c.dataset.drawn = String(map.words.length);
}
function highlight(words) {
  map.marked = new Set(words);
  if (map.words.length) renderMap();
}
function zoom(f, cx, cy) {
  const c = $("map"), v = map.view;
  cx = cx ?? c.clientWidth / 2; cy = cy ?? c.clientHeight / 2;
  v.dx = (v.dx - (cx - c.clientWidth / 2)) * f + (cx - c.clientWidth / 2);
  v.dy = (v.dy - (cy - c.clientHeight / 2)) * f + (cy - c.clientHeight / 2);
  v.s *= f;
  renderMap();
}
$("map-go").addEventListener("click", guard(drawMap));
$("zoom-in").addEventListener("click", () => zoom(1.5));
$("zoom-out").addEventListener("click", () => zoom(1 / 1.5));
$("zoom-reset").addEventListener("click", () => { map.view = { s: 1, dx: 0, dy: 0 }; renderMap(); });
$("map").addEventListener("wheel", (e) => { e.preventDefault(); const r = e.target.getBoundingClientRect(); zoom(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - r.left, e.clientY - r.top); }, { passive: false });
$("map").addEventListener("keydown", (e) => {
  const step = 40, v = map.view;
  const acts = { "+": () => zoom(1.5), "=": () => zoom(1.5), "-": () => zoom(1 / 1.5), ArrowLeft: () => { v.dx += step; renderMap(); },
    ArrowRight: () => { v.dx -= step; renderMap(); }, ArrowUp: () => { v.dy += step; renderMap(); }, ArrowDown: () => { v.dy -= step; renderMap(); } };
  if (acts[e.key]) { e.preventDefault(); acts[e.key](); }
});
let drag = null;
$("map").addEventListener("mousedown", (e) => { drag = [e.clientX, e.clientY]; });
window.addEventListener("mouseup", () => { drag = null; });
$("map").addEventListener("mousemove", (e) => {
  const c = $("map"), r = c.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top;
  if (drag) { map.view.dx += e.clientX - drag[0]; map.view.dy += e.clientY - drag[1]; drag = [e.clientX, e.clientY]; renderMap(); return; }
  let best = -1, bd = 64;
  for (let i = 0; i < map.words.length; i++) {
    const [x, y] = project(i, c.clientWidth, c.clientHeight);
    const d = (x - mx) ** 2 + (y - my) ** 2;
    if (d < bd) { bd = d; best = i; }
  }
  const tip = $("tooltip");
  if (best < 0) { tip.hidden = true; return; }
  tip.hidden = false; tip.textContent = map.words[best];
  tip.style.left = (mx + 10) + "px"; tip.style.top = (my - 24) + "px";
});
$("map").addEventListener("mouseleave", () => { $("tooltip").hidden = true; });
$("map").addEventListener("dblclick", (e) => { const w = $("tooltip").textContent; if (!$("tooltip").hidden && w) guard(() => search(w))(); });
window.addEventListener("resize", () => { if (map.words.length) renderMap(); });

// ---- generation: server-sent events read from a fetch stream (so the token header can be sent) ----
let genAbort = null;
$("gen-form").addEventListener("submit", guard(async () => {
  if (genAbort) genAbort.abort();
  const out = $("gen-output");
  const prompt = $("gen-prompt").value;
  out.replaceChildren(el("span", { class: "prompt" }, prompt));
  const body = { prompt, temperature: +$("gen-temp").value, top_k: +$("gen-topk").value, top_p: +$("gen-topp").value,
    max_tokens: Math.min(+$("gen-max").value || 40, limits.max_tokens || 500),
    banned: $("gen-banned").value.split(/\s+/).filter(Boolean) };
  genAbort = new AbortController();
  $("gen-go").disabled = true; $("gen-stop").disabled = false;
  let n = 0;
  try {
    const r = await fetch(`/api/lm/${encodeURIComponent($("lm-model").value)}/generate`, {
      method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body), signal: genAbort.signal });
    if (!r.ok) { const j = await r.json().catch(() => ({})); throw new Error(j.error || r.statusText); }
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut); buf = buf.slice(cut + 2);
        const ev = /event: (\w+)/.exec(block), data = /data: (.*)/.exec(block);
        if (!ev || !data) continue;
        const d = JSON.parse(data[1]);
        if (ev[1] === "token") {
          let t = d.text;  // the first word after a prompt that does not end in a space or line break
          if (n === 0 && prompt && !/\s$/.test(prompt) && !/^\s/.test(t)) t = " " + t;
          out.append(el("span", { class: "token" }, t)); n++;
        }
        else if (ev[1] === "error") throw new Error(d.error);
      }
    }
    status(`generated ${n} tokens`);
  } catch (e) {
    if (e.name === "AbortError") status(`stopped after ${n} tokens`); else throw e;
  } finally {
    $("gen-go").disabled = false; $("gen-stop").disabled = true; genAbort = null;
  }
}));
$("gen-stop").addEventListener("click", () => { if (genAbort) genAbort.abort(); });

// ---- translation + attention heat-map (SVG) ---------------------------------------------------------
$("tr-form").addEventListener("submit", guard(async () => {
  const j = await api(`/translate/${encodeURIComponent($("tr-model").value)}`,
    { text: $("tr-text").value, beam: Math.min(+$("tr-beam").value || 1, limits.max_beam || 8) });
  $("tr-output").textContent = j.text;
  const box = $("heatmap");
  box.replaceChildren();
  if (!j.attention) { box.textContent = "(this model has no attention)"; return; }
  const rows = j.attention_rows, cols = j.source, cell = Math.max(10, Math.min(30, Math.floor(420 / rows.length))), left = 70, top = 60;
  const s = svg("svg", { viewBox: `0 0 ${left + cols.length * cell + 4} ${top + rows.length * cell + 4}`,
    width: left + cols.length * cell + 4, role: "img", "aria-label": "attention: output rows by source columns" });
  cols.forEach((w, c) => s.append(cell >= 24 && w.length <= 3
    ? svg("text", { x: left + c * cell + cell / 2, y: top - 6, "text-anchor": "middle" }, w)
    : svg("text", { x: left + c * cell + cell / 2, y: top - 6, transform: `rotate(-45 ${left + c * cell + cell / 2} ${top - 6})` }, w)));
  rows.forEach((w, r) => {
    s.append(svg("text", { x: left - 6, y: top + r * cell + cell * 0.65, "text-anchor": "end" }, w));
    j.attention[r].forEach((a, c) => {
      const rect = svg("rect", { x: left + c * cell, y: top + r * cell, width: cell - 1, height: cell - 1,
        fill: `rgba(47,111,223,${Math.max(0.03, a).toFixed(3)})`, class: "cell" });
      rect.append(svg("title", {}, `${w} ← ${cols[c]}: ${a.toFixed(3)}`));
      s.append(rect);
    });
  });
  box.append(s);
  status(`translated (score ${j.score.toFixed(2)})`);
}));

// ---- classification ------------------------------------------------------------------------------------
$("cls-form").addEventListener("submit", guard(async () => {
  const j = await api(`/classify/${encodeURIComponent($("cls-model").value)}`, { text: $("cls-text").value });
  bars("cls-result", j.probabilities, "probability");
  status(`label: ${j.label}`);
}));

// ---- training curves -------------------------------------------------------------------------------------
async function showHistory() {
  const j = await api(`/models/${encodeURIComponent($("hist-model").value)}`);
  $("config").textContent = JSON.stringify(j.config, null, 1);
  const box = $("curves");
  box.replaceChildren();
  const rows = j.history || [];
  const keys = rows.length ? Object.keys(rows[0]).filter((k) => /loss|ppl|perplexity|acc|bleu/i.test(k) && rows.every((r) => typeof r[k] === "number" && isFinite(r[k]))) : [];
  if (!keys.length) { box.textContent = "(no training history beside this model)"; return; }
  const groups = {};  // losses share an axis, perplexities another, anything else its own
  for (const k of keys) { const g = /loss/i.test(k) ? "loss" : /ppl|perplexity/i.test(k) ? "perplexity" : k; (groups[g] = groups[g] || []).push(k); }
  for (const [title, ks] of Object.entries(groups)) box.append(curve(title, ks, rows));
}
function curve(title, keys, rows) {
  const W = 340, H = 200, L = 48, B = 30;
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, role: "img", "aria-label": `training curve: ${title}` });
  const colors = ["#2f6fdf", "#e0533d", "#2a9d5c", "#a050c8", "#c88a00"];
  const all = keys.flatMap((k) => rows.map((r) => r[k]));
  const lo = Math.min(...all), hi = Math.max(...all), span = (hi - lo) || 1;
  const X = (i) => L + (W - L - 10) * (rows.length > 1 ? i / (rows.length - 1) : 0.5);
  const Y = (v) => H - B - (H - B - 24) * (v - lo) / span;
  s.append(svg("line", { x1: L, y1: H - B, x2: W - 10, y2: H - B, stroke: "#999" }), svg("line", { x1: L, y1: 24, x2: L, y2: H - B, stroke: "#999" }));
  s.append(svg("text", { x: L - 4, y: 28, "text-anchor": "end" }, hi.toPrecision(3)), svg("text", { x: L - 4, y: H - B, "text-anchor": "end" }, lo.toPrecision(3)));
  s.append(svg("text", { x: (W + L) / 2, y: H - 8, "text-anchor": "middle" }, `epoch (1–${rows.length})`));
  keys.forEach((k, n) => {
    const col = colors[n % colors.length];
    s.append(svg("polyline", { points: rows.map((r, i) => `${X(i)},${Y(r[k])}`).join(" "), fill: "none", stroke: col, "stroke-width": 2 }));
    rows.forEach((r, i) => { const c = svg("circle", { cx: X(i), cy: Y(r[k]), r: 3, fill: col }); c.append(svg("title", {}, `${k} epoch ${i + 1}: ${r[k].toPrecision(4)}`)); s.append(c); });
    s.append(svg("text", { x: L + 4 + n * 100, y: 14, fill: col }, k));
  });
  return s;
}
$("hist-model").addEventListener("change", guard(showHistory));

// ---- start -------------------------------------------------------------------------------------------------
(async () => {
  try {
    const j = await api("/models");
    models = j.models; limits = j.limits;
    const has = (k) => models.some((m) => m.kind === k);
    for (const [panel, kind, sel] of [["vectors-panel", "vectors", "vectors-model"], ["analogy-panel", "vectors"], ["map-panel", "vectors"],
      ["lm-panel", "lm", "lm-model"], ["tr-panel", "translator", "tr-model"], ["cls-panel", "classifier", "cls-model"]]) {
      $(panel).hidden = !has(kind);
      if (sel) fill($(sel), kind);
    }
    fill($("hist-model"));
    $("hist-panel").hidden = !models.length;
    $("vectors-model").addEventListener("change", () => { map.words = []; $("neighbours").replaceChildren(); });
    status(models.map((m) => `${m.name} (${m.kind})`).join(" · "));
    if (models.length) await showHistory();
  } catch (e) { status(e.message, true); }
})();
