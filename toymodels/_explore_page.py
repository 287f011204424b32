"""The HTML, CSS and script of ``toymodels explore`` (kept in a .py file so that it installs with
the package). The script draws precomputed numbers only; see toymodels/explore.py."""

PAGE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
:root { --ink:#1d2330; --muted:#5d6675; --line:#dde1e8; --bg:#f5f6f8; --card:#fff; --accent:#1f5fbf; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; color:var(--ink); background:var(--bg); }
header { padding:14px 24px 10px; background:var(--card); border-bottom:1px solid var(--line); }
h1 { font-size:18px; margin:0 0 2px; font-weight:600; }
.sub { color:var(--muted); font-size:12.5px; }
main { display:flex; gap:18px; padding:18px 24px; align-items:flex-start; flex-wrap:wrap; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; }
#mapcard { flex:0 0 auto; max-width:560px; }
select { max-width:470px; }
#panel { flex:1 1 620px; min-width:560px; }
h2 { font-size:16px; margin:0 0 6px; font-weight:600; }
h3 { font-size:12.5px; margin:0 0 6px; font-weight:600; color:var(--muted); }
.controls { display:flex; gap:12px; align-items:center; margin-bottom:8px; flex-wrap:wrap; }
select { font:inherit; padding:3px 6px; border:1px solid var(--line); border-radius:5px; background:#fff; }
label { color:var(--muted); font-size:12.5px; }
.hint { color:var(--muted); font-size:12px; margin:6px 0 0; }
svg text { font-family:inherit; }
.cell { cursor:pointer; }
.cell:hover { stroke:#000; stroke-width:1; }
.stats { display:flex; gap:18px; flex-wrap:wrap; margin:6px 0 8px; }
.stat .k { color:var(--muted); font-size:11.5px; display:block; }
.stat .v { font-size:15px; font-weight:600; font-variant-numeric:tabular-nums; }
.structures { background:#eef3fb; border-left:3px solid var(--accent); padding:6px 10px; border-radius:4px; margin-bottom:12px; }
.plots { display:flex; gap:22px; flex-wrap:wrap; margin-bottom:12px; }
table { border-collapse:collapse; font-size:12.5px; font-variant-numeric:tabular-nums; }
th { text-align:right; color:var(--muted); font-weight:600; padding:3px 8px; border-bottom:1px solid var(--line); position:sticky; top:0; background:#fff; }
td { text-align:right; padding:2px 8px; border-bottom:1px solid #f0f1f4; }
td.l, th.l { text-align:left; }
.tablewrap { max-height:360px; overflow:auto; }
.chip { display:inline-block; padding:0 7px; border-radius:9px; font-size:11.5px; color:#fff; }
.bar { display:inline-block; height:8px; border-radius:2px; vertical-align:middle; margin-right:6px; }
.factors { color:var(--muted); font-size:12px; margin:-6px 0 12px; }
</style>
</head>
<body>
<header><h1 id="title"></h1><div class="sub" id="subtitle"></div></header>
<main>
<section class="card" id="mapcard">
  <div class="controls">
    <span id="bucket-control" style="flex-basis:100%"><label for="bucket">bucket</label> <select id="bucket"></select></span>
    <label for="metric">colour</label> <select id="metric"></select>
  </div>
  <svg id="map" role="img" aria-label="grid map"></svg>
  <p class="hint" id="map-hint">Click a cell to show its best seed (lowest eval loss).</p>
</section>
<section class="card" id="panel">
  <h2 id="cell-title"></h2>
  <div class="stats" id="cell-stats"></div>
  <div class="structures" id="cell-structures"></div>
  <div class="factors" id="cell-factors"></div>
  <div class="plots">
    <figure style="margin:0"><h3 id="features-caption">Feature directions</h3><svg id="features"></svg></figure>
    <figure style="margin:0"><h3 id="wtw-caption">WᵀW and bias b</h3><svg id="wtw"></svg></figure>
  </div>
  <h3>Per feature</h3>
  <div class="tablewrap"><table id="feature-table"></table></div>
</section>
</main>
<script>
"use strict";
const DATA = /*__DATA__*/null;
const NS = "http://www.w3.org/2000/svg";
const STATUS_COLORS = ["#9aa0a6", "#4c72b0", "#dd8452", "#8c5fb3"];
const PHASE_COLORS = ["#d9d9d9", "#4c72b0", "#dd8452"];
const VIRIDIS = ["#440154","#482878","#3e4989","#31688e","#26828e","#1f9e89","#35b779","#6ece58","#b5de2b","#fde725"];

function el(tag, attrs, parent, text) {
  const e = document.createElementNS(NS, tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function h(tag, attrs, parent, text) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function hex(c) { return [1, 3, 5].map(i => parseInt(c.slice(i, i + 2), 16)); }
function mix(a, b, t) { const A = hex(a), B = hex(b); return "rgb(" + A.map((v, i) => Math.round(v + (B[i] - v) * t)).join(",") + ")"; }
function viridis(t) {
  if (t === null || !isFinite(t)) return "#ffffff";
  t = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  return mix(VIRIDIS[i], VIRIDIS[i + 1], t - i);
}
function diverging(v, vmax) {  // blue (negative) - white - red (positive), like matplotlib's RdBu_r
  if (v === null) return "#ffffff";
  const t = Math.max(-1, Math.min(1, v / (vmax || 1)));
  return t >= 0 ? mix("#f7f7f7", "#b2182b", t) : mix("#f7f7f7", "#2166ac", -t);
}
function fmt(v, d) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(2);
  return v.toPrecision(d || 3).replace(/\.?0+$/, m => m.startsWith(".") || m === "" ? "" : m);
}
function axisName(n) { return {density: "density 1−S", relative_importance: "relative importance r", importance_decay: "importance decay"}[n] || n.replace(/_/g, " "); }
function textColor(fill) {
  const m = fill.match(/\d+/g); if (!m) return "#000";
  const [r, g, b] = m.map(Number); return (0.299 * r + 0.587 * g + 0.114 * b) > 140 ? "#111" : "#fff";
}

const state = {bucket: 0, cell: 0, metric: null};

function parseHash() {
  const q = new URLSearchParams(location.hash.replace(/^#/, ""));
  const b = parseInt(q.get("bucket") || "0", 10), c = parseInt(q.get("cell") || "0", 10);
  state.bucket = (b >= 0 && b < DATA.buckets.length) ? b : 0;
  const n = DATA.buckets[state.bucket].cells.length;
  state.cell = (c >= 0 && c < n) ? c : 0;
  if (q.get("metric")) state.metric = q.get("metric");
}
function writeHash() {
  const parts = [];
  if (DATA.buckets.length > 1) parts.push("bucket=" + state.bucket);
  parts.push("cell=" + state.cell);
  history.replaceState(null, "", "#" + parts.join("&"));
}

function metricOptions(B) {
  const opts = [];
  if (B.phase) {
    opts.push(["phase:empirical", "extra feature's phase: trained (worst seed dropped)"]);
    opts.push(["phase:best", "extra feature's phase: best seed"]);
    opts.push(["phase:theory", "extra feature's phase: theory (Wattenberg)"]);
  }
  for (const k in B.maps) opts.push([k, B.maps[k]]);
  return opts;
}

function drawControls() {
  const bsel = document.getElementById("bucket");
  bsel.innerHTML = "";
  DATA.buckets.forEach((B, i) => h("option", {value: i}, bsel, "b" + B.index + ": " + B.label));
  bsel.value = state.bucket;
  document.getElementById("bucket-control").style.display = DATA.buckets.length > 1 ? "" : "none";
  bsel.onchange = () => { state.bucket = +bsel.value; state.cell = 0; state.metric = null; render(); };
  const B = DATA.buckets[state.bucket], msel = document.getElementById("metric");
  msel.innerHTML = "";
  const opts = metricOptions(B);
  if (!state.metric || !opts.some(o => o[0] === state.metric)) state.metric = opts[0][0];
  opts.forEach(([k, label]) => h("option", {value: k}, msel, label));
  msel.value = state.metric;
  msel.onchange = () => { state.metric = msel.value; drawMap(); };
}

function cellValues(B) {
  if (state.metric.startsWith("phase:")) return B.phase[state.metric.slice(6)];
  return B.cells.map(c => c[state.metric]);
}

function drawMap() {
  const B = DATA.buckets[state.bucket], svg = document.getElementById("map");
  svg.innerHTML = "";
  const vals = cellValues(B), isPhase = state.metric.startsWith("phase:");
  const finite = vals.filter(v => v !== null && isFinite(v));
  const useLog = state.metric === "eval_loss" && finite.length && Math.min(...finite) > 0;
  const tf = v => useLog ? Math.log10(v) : v;
  let lo = Math.min(...finite.map(tf)), hi = Math.max(...finite.map(tf));
  if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
  // a non-finite number (stored as null: a diverged run, D* of W = 0) is drawn white
  const color = i => isPhase ? PHASE_COLORS[vals[i]] : (vals[i] === null ? "#ffffff" : viridis((tf(vals[i]) - lo) / (hi - lo)));
  // Layout: 2 value axes -> heat-map (axis 0 on y, axis 1 on x, values increasing up and right);
  // 1 axis -> a strip in the sweep's order; more axes -> a strip over the flattened cells.
  const A = B.axes, n = B.cells.length;
  let nx, ny, pos, xTicks, yTicks, xName = "", yName = "";
  if (A.length === 2) {
    const ny0 = A[0].values.length, nx0 = A[1].values.length;
    const yOrd = [...A[0].values.keys()].sort((a, b) => A[0].values[a] - A[0].values[b]);
    const xOrd = [...A[1].values.keys()].sort((a, b) => A[1].values[a] - A[1].values[b]);
    nx = nx0; ny = ny0;
    pos = i => { const r = Math.floor(i / nx0), c = i % nx0; return [xOrd.indexOf(c), ny0 - 1 - yOrd.indexOf(r)]; };
    xTicks = xOrd.map(c => fmt(A[1].values[c], 2)); yTicks = yOrd.map(r => fmt(A[0].values[r], 2)).reverse();
    xName = axisName(A[1].name); yName = axisName(A[0].name);
  } else {
    nx = n; ny = 1; pos = i => [i, 0];
    xTicks = A.length === 1 ? A[0].values.map(v => fmt(v, 2)) : (n === 1 ? [""] : B.cells.map((c, i) => String(i)));
    xName = A.length === 1 ? axisName(A[0].name) : (A.length ? "cell (" + A.map(a => a.name).join(" × ") + ")" : "");
    yTicks = [""];
  }
  const maxW = 470, cs = Math.max(14, Math.min(64, Math.floor(maxW / nx), A.length === 2 ? Math.floor(470 / ny) : 64));
  const left = ny > 1 ? 64 : 16, top = 8, gw = cs * nx, gh = cs * ny;
  const legendH = isPhase ? 22 * B.phase.names.length + 44 : 58;
  const W = Math.max(left + gw + 16, 330), H = top + gh + 48 + legendH;
  svg.setAttribute("width", W); svg.setAttribute("height", H);
  const showText = cs >= 34 && !isPhase;
  for (let i = 0; i < n; i++) {
    const [x, y] = pos(i), fill = color(i);
    const r = el("rect", {x: left + x * cs, y: top + y * cs, width: cs - 1, height: cs - 1, fill: fill, class: "cell", "data-cell": i}, svg);
    el("title", {}, r, B.cells[i].name + "\n" + (isPhase ? B.phase.names[vals[i]] : fmt(vals[i], 4)) + "\n" + B.cells[i].structures);
    r.addEventListener("click", () => select(i));
    if (isPhase && state.metric !== "phase:theory" && B.phase.theory[i] !== vals[i])  // theory disagrees: its phase as a dot
      el("circle", {cx: left + x * cs + cs / 2, cy: top + y * cs + cs / 2, r: Math.max(2.5, cs / 7), fill: PHASE_COLORS[B.phase.theory[i]], stroke: "#fff", "stroke-width": 1, "pointer-events": "none"}, svg);
    if (showText) el("text", {x: left + x * cs + cs / 2, y: top + y * cs + cs / 2 + 4, "text-anchor": "middle", "font-size": 11, fill: textColor(fill), "pointer-events": "none"}, svg, fmt(vals[i], 2));
  }
  const [sx, sy] = pos(state.cell);
  el("rect", {x: left + sx * cs - 1.5, y: top + sy * cs - 1.5, width: cs + 2, height: cs + 2, fill: "none", stroke: "#000", "stroke-width": 3, "pointer-events": "none", id: "selected-cell"}, svg);
  const step = Math.ceil(30 / cs);
  xTicks.forEach((t, j) => { if (j % step === 0) el("text", {x: left + j * cs + cs / 2, y: top + gh + 14, "text-anchor": "middle", "font-size": 11, fill: "#444"}, svg, t); });
  if (ny > 1) yTicks.forEach((t, j) => { if (j % Math.ceil(16 / cs) === 0) el("text", {x: left - 6, y: top + j * cs + cs / 2 + 4, "text-anchor": "end", "font-size": 11, fill: "#444"}, svg, t); });
  el("text", {x: left + gw / 2, y: top + gh + 32, "text-anchor": "middle", "font-size": 12, fill: "#222"}, svg, xName);
  if (yName) el("text", {x: 12, y: top + gh / 2, "text-anchor": "middle", "font-size": 12, fill: "#222", transform: `rotate(-90 12 ${top + gh / 2})`}, svg, yName);
  // legend
  const ly = top + gh + 48;
  if (isPhase) {
    B.phase.names.forEach((name, k) => {
      el("rect", {x: left, y: ly + 22 * k, width: 14, height: 14, fill: PHASE_COLORS[k], stroke: "#999"}, svg);
      el("text", {x: left + 20, y: ly + 22 * k + 11, "font-size": 12}, svg, name);
    });
    el("text", {x: left, y: ly + 22 * B.phase.names.length + 12, "font-size": 12, fill: "#444"}, svg,
       "trained (worst seed dropped) vs theory: " + Math.round(100 * B.phase.agreement) + "% of cells agree");
    if (state.metric !== "phase:theory")
      el("text", {x: left, y: ly + 22 * B.phase.names.length + 30, "font-size": 12, fill: "#444"}, svg, "dot: the theory's phase where it differs");
  } else if (n === 1) {
    el("text", {x: left, y: ly + 4, "font-size": 12, fill: "#222"}, svg, B.maps[state.metric] + ":");
    el("text", {x: left, y: ly + 22, "font-size": 12, fill: "#222"}, svg, fmt(vals[0], 4) + " (a single cell)");
  } else {
    const gid = "grad" + Math.random().toString(36).slice(2), defs = el("defs", {}, svg), g = el("linearGradient", {id: gid}, defs);
    for (let k = 0; k <= 10; k++) el("stop", {offset: (k * 10) + "%", "stop-color": viridis(k / 10)}, g);
    const lw = Math.min(260, W - left - 16);
    el("rect", {x: left, y: ly, width: lw, height: 12, fill: `url(#${gid})`}, svg);
    const inv = v => useLog ? Math.pow(10, v) : v;
    el("text", {x: left, y: ly + 26, "font-size": 11, fill: "#444"}, svg, fmt(inv(lo), 3));
    el("text", {x: left + lw, y: ly + 26, "font-size": 11, "text-anchor": "end", fill: "#444"}, svg, fmt(inv(hi), 3));
    el("text", {x: left, y: ly + 42, "font-size": 12, fill: "#222"}, svg, B.maps[state.metric] + (useLog ? " (log scale)" : ""));
  }
}

function drawFeatures(B, C) {
  const svg = document.getElementById("features"); svg.innerHTML = "";
  const imp = C.importance_F, iLo = Math.min(...imp), iHi = Math.max(...imp);
  const impColor = i => viridis(iHi > iLo ? (imp[i] - iLo) / (iHi - iLo) : 0.35);
  const Wm = C.W_HxF, m = Wm.length, nF = Wm[0].length;
  if (m === 2) {
    document.getElementById("features-caption").textContent = "Feature directions W_i in the hidden plane";
    const S = 300, c = S / 2, R = Math.max(1.2, 1.1 * Math.max(...C.norms_F)), k = (S / 2 - 22) / R;
    svg.setAttribute("width", S); svg.setAttribute("height", S + 40);
    el("line", {x1: 8, y1: c, x2: S - 8, y2: c, stroke: "#e3e5ea"}, svg);
    el("line", {x1: c, y1: 8, x2: c, y2: S - 8, stroke: "#e3e5ea"}, svg);
    el("circle", {cx: c, cy: c, r: k, fill: "none", stroke: "#c8ccd4", "stroke-dasharray": "4 3"}, svg);
    el("text", {x: c + k * 0.72 + 4, y: c - k * 0.72 - 4, "font-size": 10, fill: "#8a909b"}, svg, "‖W_i‖ = 1");
    const order = [...Array(nF).keys()].sort((a, b) => C.norms_F[a] - C.norms_F[b]);
    for (const i of order) {
      const x = c + k * Wm[0][i], y = c - k * Wm[1][i], rep = C.norms_F[i] > 0.5;
      const g = el("g", {}, svg);
      el("title", {}, g, `feature ${i}: ‖W_i‖=${fmt(C.norms_F[i])}, D_i=${fmt(C.D_F[i])}, importance ${fmt(imp[i])}`);
      el("line", {x1: c, y1: c, x2: x, y2: y, stroke: impColor(i), "stroke-width": rep ? 2.5 : 1.5, "stroke-dasharray": rep ? "" : "3 3"}, g);
      if (rep) el("circle", {cx: x, cy: y, r: 4.5, fill: impColor(i)}, g);
      else el("text", {x: x, y: y + 4, "text-anchor": "middle", "font-size": 12, fill: impColor(i)}, g, "×");
      const L = Math.hypot(x - c, y - c) || 1;
      el("text", {x: x + 11 * (x - c) / L, y: y + 11 * (y - c) / L + 4, "text-anchor": "middle", "font-size": 11, fill: "#333"}, g, String(i));
    }
    const ly = S + 10;
    const gid = "gi" + Math.random().toString(36).slice(2), defs = el("defs", {}, svg), gr = el("linearGradient", {id: gid}, defs);
    for (let q = 0; q <= 10; q++) el("stop", {offset: (q * 10) + "%", "stop-color": viridis(q / 10)}, gr);
    if (iHi > iLo) {
      el("rect", {x: 40, y: ly, width: 120, height: 8, fill: `url(#${gid})`}, svg);
      el("text", {x: 36, y: ly + 8, "text-anchor": "end", "font-size": 10, fill: "#555"}, svg, fmt(iLo, 2));
      el("text", {x: 164, y: ly + 8, "font-size": 10, fill: "#555"}, svg, fmt(iHi, 2) + "   colour: importance I_i");
    } else el("text", {x: 8, y: ly + 8, "font-size": 10, fill: "#555"}, svg, "equal importance");
    el("text", {x: 8, y: ly + 26, "font-size": 10, fill: "#555"}, svg, "dashed line, ×: not represented (‖W_i‖ ≤ 0.5)");
  } else {
    document.getElementById("features-caption").textContent = `${B.kind === "abs" ? "Input weights W₁" : "Weights W"} (${m} hidden × ${nF} features)`;
    heatmap(svg, Wm, null, "W", "hidden dim", "feature i");
  }
}

function heatmap(svg, M, extraCol, label, rowLabel, colLabel) {
  const nr = M.length, nc = M[0].length;
  let vmax = 0; M.forEach(r => r.forEach(v => { if (v !== null) vmax = Math.max(vmax, Math.abs(v)); }));
  if (extraCol) extraCol.forEach(v => { if (v !== null) vmax = Math.max(vmax, Math.abs(v)); });
  vmax = vmax || 1;
  const cs = Math.max(2, Math.min(40, Math.floor(280 / Math.max(nr, nc)))), left = 34, top = 18;
  const gw = cs * nc, gh = cs * nr, ex = extraCol ? cs + 8 : 0;
  svg.setAttribute("width", left + gw + ex + 70); svg.setAttribute("height", Math.max(top + gh + 30, 150));
  const g = el("g", {}, svg);
  for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
    const rect = el("rect", {x: left + c * cs, y: top + r * cs, width: cs, height: cs, fill: diverging(M[r][c], vmax)}, g);
    if (nr * nc <= 1600) el("title", {}, rect, `${label}[${r},${c}] = ${fmt(M[r][c], 4)}`);
  }
  el("rect", {x: left, y: top, width: gw, height: gh, fill: "none", stroke: "#bbb"}, svg);
  if (extraCol) {
    for (let r = 0; r < nr; r++) {
      const rect = el("rect", {x: left + gw + 8, y: top + r * cs, width: cs, height: cs, fill: diverging(extraCol[r], vmax)}, g);
      el("title", {}, rect, `b[${r}] = ${fmt(extraCol[r], 4)}`);
    }
    el("rect", {x: left + gw + 8, y: top, width: cs, height: gh, fill: "none", stroke: "#bbb"}, svg);
    el("text", {x: left + gw + 8 + cs / 2, y: top - 5, "text-anchor": "middle", "font-size": 10, fill: "#555"}, svg, "b");
  }
  const tick = Math.ceil(14 / cs);
  for (let c = 0; c < nc; c += tick) el("text", {x: left + c * cs + cs / 2, y: top - 5, "text-anchor": "middle", "font-size": 10, fill: "#555"}, svg, String(c));
  for (let r = 0; r < nr; r += tick) el("text", {x: left - 4, y: top + r * cs + cs / 2 + 3.5, "text-anchor": "end", "font-size": 10, fill: "#555"}, svg, String(r));
  el("text", {x: left + gw / 2, y: top + gh + 16, "text-anchor": "middle", "font-size": 11, fill: "#333"}, svg, colLabel);
  el("text", {x: 10, y: top + gh / 2, "text-anchor": "middle", "font-size": 11, fill: "#333", transform: `rotate(-90 10 ${top + gh / 2})`}, svg, rowLabel);
  // colour bar
  const cx = left + gw + ex + 16, ch = Math.max(gh, 100);
  const gid = "gd" + Math.random().toString(36).slice(2), defs = el("defs", {}, svg), gr = el("linearGradient", {id: gid, x1: 0, y1: 0, x2: 0, y2: 1}, defs);
  for (let q = 0; q <= 10; q++) el("stop", {offset: (q * 10) + "%", "stop-color": diverging(vmax * (1 - q / 5), vmax)}, gr);
  el("rect", {x: cx, y: top, width: 10, height: ch, fill: `url(#${gid})`, stroke: "#bbb"}, svg);
  el("text", {x: cx + 14, y: top + 9, "font-size": 10, fill: "#555"}, svg, "+" + fmt(vmax, 2));
  el("text", {x: cx + 14, y: top + ch / 2 + 3, "font-size": 10, fill: "#555"}, svg, "0");
  el("text", {x: cx + 14, y: top + ch, "font-size": 10, fill: "#555"}, svg, "−" + fmt(vmax, 2));
  svg.setAttribute("height", Math.max(top + Math.max(gh, ch) + 24, 150));
}

function drawPanel() {
  const B = DATA.buckets[state.bucket], C = B.cells[state.cell];
  document.getElementById("cell-title").textContent = `Cell ${state.cell}: ${C.name}`;
  const stats = document.getElementById("cell-stats"); stats.innerHTML = "";
  const items = [["best seed (lowest loss)", `${C.best_seed} of ${B.n_seeds} seeds`], ["eval loss", fmt(C.eval_loss, 4)], ["D* = m/‖W‖²_F", fmt(C.D_star, 3)],
                 ["Σ D_i", fmt(C.D_sum, 3)], ["represented", `${C.n_represented} of ${B.n_features}`]];
  if (B.phase) items.push(["extra feature: trained / theory", `${B.phase.names[B.phase.empirical[state.cell]]} / ${B.phase.names[B.phase.theory[state.cell]]}`]);
  for (const [k, v] of items) { const s = h("div", {class: "stat"}, stats); h("span", {class: "k"}, s, k); h("span", {class: "v"}, s, v); }
  document.getElementById("cell-structures").textContent = "Geometry: " + C.structures;
  const fac = C.factors.filter(f => f.features.length > 1).map(f => `${f.name}: features ${f.features.join(", ")}`);
  document.getElementById("cell-factors").textContent = fac.length ? fac.join(" · ") : "";
  drawFeatures(B, C);
  const svg = document.getElementById("wtw"); svg.innerHTML = "";
  const withBias = B.kind === "relu" || B.kind === "linear";
  document.getElementById("wtw-caption").textContent = B.kind === "abs" ? "W₁ᵀW₁ (input weights)" : (withBias ? "WᵀW and bias b" : "WᵀW");
  if (C.WtW_FxF === null) { svg.setAttribute("width", 260); svg.setAttribute("height", 40); el("text", {x: 4, y: 20, "font-size": 12, fill: "#555"}, svg, `left out: n = ${B.n_features} features (n² numbers)`); }
  else heatmap(svg, C.WtW_FxF, withBias ? C.b_F : null, "WᵀW", "feature i", "feature j");
  const t = document.getElementById("feature-table"); t.innerHTML = "";
  const hr = h("tr", {}, t);
  ["i", "importance", "‖W_i‖", "D_i", "fraction", "superposition", "status", "b_i"].forEach((x, j) => h("th", {class: j === 6 ? "l" : ""}, hr, x));
  const nmax = Math.max(1.0, ...C.norms_F);
  for (let i = 0; i < B.n_features; i++) {
    const r = h("tr", {}, t);
    h("td", {}, r, String(i));
    h("td", {}, r, fmt(C.importance_F[i], 3));
    const tn = h("td", {}, r); h("span", {class: "bar", style: `width:${Math.round(50 * C.norms_F[i] / nmax)}px;background:${C.norms_F[i] > 0.5 ? "#4c72b0" : "#bbb"}`}, tn); tn.appendChild(document.createTextNode(fmt(C.norms_F[i], 3)));
    h("td", {}, r, fmt(C.D_F[i], 3));
    h("td", {}, r, C.D_fraction_F[i] || "–");
    h("td", {}, r, fmt(C.superposition_F[i], 3));
    const ts = h("td", {class: "l"}, r); h("span", {class: "chip", style: "background:" + STATUS_COLORS[C.status_F[i]]}, ts, B.status_names[C.status_F[i]]);
    h("td", {}, r, fmt(C.b_F[i], 3));
  }
}

function drawTitle() { document.getElementById("title").textContent = DATA.buckets[state.bucket].title; }
function select(i) { state.cell = i; writeHash(); drawMap(); drawPanel(); }
function render() { drawTitle(); drawControls(); drawMap(); drawPanel(); writeHash(); }

document.getElementById("subtitle").textContent = DATA.run + " · " + DATA.subtitle;
parseHash();
render();
window.addEventListener("hashchange", () => { parseHash(); drawTitle(); drawControls(); drawMap(); drawPanel(); });
// ?click=K dispatches a real click on map cell K after loading: how a headless browser, which
// cannot click from its command line, exercises the click path (tests/test_explore.py).
const clickParam = new URLSearchParams(location.search).get("click");
if (clickParam !== null) {
  const target = document.querySelector(`#map rect.cell[data-cell="${parseInt(clickParam, 10)}"]`);
  if (target) target.dispatchEvent(new MouseEvent("click", {bubbles: true}));
}
</script>
</body>
</html>
"""
