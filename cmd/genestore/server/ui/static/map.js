// The map page: a WebGL scatter of a stored UMAP map (genestore layout),
// coloured by an obs column, dataset, cluster or a gene's expression; hover
// names the point, drag pans, the wheel zooms, and the lasso asks the
// server for the top genes of the cells drawn round.
import { api, h, fmt } from './api.js';

// Categorical palette (Tableau 20, reordered so neighbours differ).
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
  '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d', '#9edae5'];
// Viridis at five stops, interpolated for values.
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
const MISSING = [200, 200, 200, 90];

const hex = (s) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));

function ramp(t) {
  const x = Math.min(Math.max(t, 0), 1) * (RAMP.length - 1);
  const i = Math.min(Math.floor(x), RAMP.length - 2), f = x - i;
  return RAMP[i].map((c, k) => Math.round(c + f * (RAMP[i + 1][k] - c)));
}

// RGBA per categorical code (cycling through the palette) and per value
// code 0..255, worked out once.
const CAT_RGBA = new Uint8Array(PALETTE.flatMap((c) => [...hex(c), 220]));
const VAL_RGBA = new Uint8Array(Array.from({ length: 256 }, (_, v) => [...ramp(v / 255), 220]).flat());

const VS = `attribute vec2 a_pos; attribute vec4 a_col;
uniform vec2 u_center; uniform vec2 u_scale; uniform float u_size;
varying vec4 v_col;
void main() { gl_Position = vec4((a_pos - u_center) * u_scale, 0.0, 1.0); gl_PointSize = u_size; v_col = a_col; }`;
const FS = `precision mediump float; varying vec4 v_col;
void main() { vec2 d = gl_PointCoord - 0.5; if (dot(d, d) > 0.25) discard; gl_FragColor = vec4(v_col.rgb * v_col.a, v_col.a); }`;

function shader(gl, type, src) {
  const s = gl.createShader(type);
  gl.shaderSource(s, src);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
  return s;
}

// Scatter draws n points with WebGL and keeps the view (centre, zoom).
class Scatter {
  // xy holds x0 y0 x1 y1 ...
  constructor(canvas, xy) {
    const gl = canvas.getContext('webgl', { antialias: false, preserveDrawingBuffer: true });
    if (!gl) throw new Error('this browser has no WebGL');
    this.gl = gl; this.canvas = canvas; this.n = xy.length / 2;
    const p = gl.createProgram();
    gl.attachShader(p, shader(gl, gl.VERTEX_SHADER, VS));
    gl.attachShader(p, shader(gl, gl.FRAGMENT_SHADER, FS));
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(p));
    gl.useProgram(p);
    this.u = { center: gl.getUniformLocation(p, 'u_center'), scale: gl.getUniformLocation(p, 'u_scale'), size: gl.getUniformLocation(p, 'u_size') };
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < xy.length; i += 2) {
      const x = xy[i], y = xy[i + 1];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    this.bounds = this.n ? [x0, y0, x1, y1] : [0, 0, 1, 1];
    const aPos = gl.getAttribLocation(p, 'a_pos'), aCol = gl.getAttribLocation(p, 'a_col');
    gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
    gl.bufferData(gl.ARRAY_BUFFER, xy, gl.STATIC_DRAW);
    gl.enableVertexAttribArray(aPos);
    gl.vertexAttribPointer(aPos, 2, gl.FLOAT, false, 0, 0);
    this.colBuf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.colBuf);
    gl.bufferData(gl.ARRAY_BUFFER, new Uint8Array(4 * this.n), gl.DYNAMIC_DRAW);
    gl.enableVertexAttribArray(aCol);
    gl.vertexAttribPointer(aCol, 4, gl.UNSIGNED_BYTE, true, 0, 0);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    this.fit();
  }

  // fit centres the map with a margin.
  fit() {
    const [x0, y0, x1, y1] = this.bounds;
    this.cx = (x0 + x1) / 2; this.cy = (y0 + y1) / 2;
    this.span = Math.max(x1 - x0, y1 - y0, 1e-6) * 1.08; // data units across the shorter side
  }

  // dispose gives the context up at once, its buffers and program with it:
  // a browser keeps only so many WebGL contexts (Chromium 16) and, left to
  // its collector, would drop the oldest with a warning after as many
  // visits. Drawing afterwards does nothing.
  dispose() {
    this.gl?.getExtension('WEBGL_lose_context')?.loseContext();
    this.gl = null;
  }

  setColours(rgba) {
    const gl = this.gl;
    if (!gl) return;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.colBuf);
    gl.bufferData(gl.ARRAY_BUFFER, rgba, gl.DYNAMIC_DRAW);
  }

  // pixels per data unit (device pixels)
  ppu() { return Math.min(this.canvas.width, this.canvas.height) / this.span; }

  toData(px, py) { // CSS pixels from the canvas's top left → data
    const d = devicePixelRatio, k = this.ppu();
    return [this.cx + (px * d - this.canvas.width / 2) / k, this.cy - (py * d - this.canvas.height / 2) / k];
  }

  toScreen(x, y) { // data → CSS pixels
    const d = devicePixelRatio, k = this.ppu();
    return [((x - this.cx) * k + this.canvas.width / 2) / d, (this.canvas.height / 2 - (y - this.cy) * k) / d];
  }

  draw() {
    const gl = this.gl, c = this.canvas, k = this.ppu();
    if (!gl) return 0;
    gl.viewport(0, 0, c.width, c.height);
    gl.clearColor(1, 1, 1, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.uniform2f(this.u.center, this.cx, this.cy);
    gl.uniform2f(this.u.scale, 2 * k / c.width, 2 * k / c.height);
    const base = Math.min(8, Math.max(2, 420 / Math.sqrt(Math.max(this.n, 1))));
    const zoom = Math.sqrt(Math.max(1, (this.bounds[2] - this.bounds[0]) * 1.08 / this.span));
    gl.uniform1f(this.u.size, Math.min(24, base * zoom) * devicePixelRatio);
    gl.drawArrays(gl.POINTS, 0, this.n);
    return this.n;
  }
}

// Grid finds the point nearest a position among those in nearby cells.
class Grid {
  constructor(x, y, bounds, cells = 256) {
    const [x0, y0, x1, y1] = bounds;
    this.x = x; this.y = y; this.x0 = x0; this.y0 = y0; this.g = cells;
    this.w = Math.max(x1 - x0, 1e-9) / cells; this.hgt = Math.max(y1 - y0, 1e-9) / cells;
    const count = new Uint32Array(cells * cells + 1);
    const cell = new Uint32Array(x.length);
    for (let i = 0; i < x.length; i++) { cell[i] = this.cell(x[i], y[i]); count[cell[i] + 1]++; }
    for (let i = 1; i < count.length; i++) count[i] += count[i - 1];
    this.start = count.slice();
    this.idx = new Uint32Array(x.length);
    const fill = count.slice();
    for (let i = 0; i < x.length; i++) this.idx[fill[cell[i]]++] = i;
  }
  clampCell(v, o, w) { return Math.min(this.g - 1, Math.max(0, Math.floor((v - o) / w))); }
  cell(x, y) { return this.clampCell(y, this.y0, this.hgt) * this.g + this.clampCell(x, this.x0, this.w); }
  nearest(x, y, r) {
    let best = -1, bd = r * r;
    const cx0 = this.clampCell(x - r, this.x0, this.w), cx1 = this.clampCell(x + r, this.x0, this.w);
    const cy0 = this.clampCell(y - r, this.y0, this.hgt), cy1 = this.clampCell(y + r, this.y0, this.hgt);
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const c = cy * this.g + cx;
        for (let j = this.start[c]; j < this.start[c + 1]; j++) {
          const i = this.idx[j], dx = this.x[i] - x, dy = this.y[i] - y, d = dx * dx + dy * dy;
          if (d < bd) { bd = d; best = i; }
        }
      }
    }
    return best;
  }
}

function inPolygon(poly, x, y) {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i], [xj, yj] = poly[j];
    if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// mapPage renders the map of space into view; by names the first colouring.
// overview is a promise of GET /v1/ui/overview: the coordinates (float32
// pairs) and, when by is given, the first colouring are asked for at the
// same time, one round trip saved on the way to the first paint.
export async function mapPage(view, space, by, overview) {
  const t0 = performance.now();
  window.genestoreMap = null; // the previous map's state is gone
  const colourURL = (what) => `/v1/maps/${encodeURIComponent(space)}/colour?by=${encodeURIComponent(what)}`;
  const coords = api('/v1/maps/' + encodeURIComponent(space) + '/coords', 'binary');
  let firstColour = by ? api(colourURL(by)) : null;
  for (const p of [coords, firstColour]) p?.catch(() => {}); // reported when awaited
  const ref = (await overview).maps.find((m) => m.space === space);
  if (!view.isConnected) return; // the user has gone to another page
  view.replaceChildren(h('h1', {}, space === 'cells' ? 'Cell map' : 'Gene map'));
  if (!ref) {
    view.append(h('p', { class: 'muted' }, `No stored map of ${space}: run genestore layout --space ${space}.`));
    return;
  }
  const first = by || (ref.colours.includes('cluster') ? 'cluster' : ref.colours.includes('module') ? 'module' : ref.colours[0]);
  firstColour = firstColour || api(colourURL(first));
  firstColour.catch(() => {});
  const xy = new Float32Array(await coords);
  if (!view.isConnected) return; // the user has gone to another page
  if (xy.length !== 2 * ref.points) throw new Error(`the map changed while loading (${xy.length / 2} points, ${ref.points} listed): reload`);
  const m = { ...ref, x: new Float32Array(ref.points), y: new Float32Array(ref.points) };
  for (let i = 0; i < ref.points; i++) { m.x[i] = xy[2 * i]; m.y[i] = xy[2 * i + 1]; }
  const canvas = h('canvas', { id: 'map', 'data-space': space });
  const overlay = h('canvas', { class: 'overlay' });
  const tip = h('div', { class: 'tip', hidden: '' });
  const holder = h('div', { class: 'mapcanvas' }, canvas, overlay, tip);
  const select = h('select', { id: 'colour-by', 'aria-label': 'colour by' }, h('option', { value: '', disabled: '' }, 'a gene →'),
    ...m.colours.map((c) => h('option', { value: c }, c)));
  const geneBox = h('input', { id: 'colour-gene', placeholder: 'or a gene, e.g. CD79A', size: 16, spellcheck: 'false' });
  const lassoBtn = h('button', { id: 'lasso', type: 'button', title: 'Draw round cells to list their top genes (or shift-drag)' }, 'Lasso');
  const resetBtn = h('button', { type: 'button' }, 'Reset view');
  const legend = h('ul', { id: 'legend' });
  const status = h('p', { class: 'muted', id: 'map-status' });
  const selection = h('div', { id: 'selection' }, h('p', { class: 'muted' }, space === 'cells' ? 'Lasso a group of cells to list its top genes.' : 'The lasso lists markers of cells only.'));
  const toolbar = h('div', { class: 'toolbar' }, 'Colour by', select, geneBox, lassoBtn, resetBtn);
  view.append(toolbar, h('div', { class: 'mapwrap' }, holder,
    h('div', { class: 'side' }, h('section', {}, h('h2', {}, 'Legend'), h('div', { id: 'legend-title', class: 'muted' }), legend),
      h('section', {}, h('h2', {}, 'Selection'), selection), h('section', {}, status))));
  status.textContent = `${fmt(m.points)} points, model ${m.model_version}${m.stale ? ' (stale: vectors written since; run genestore layout)' : ''}`;
  if (m.space === 'genes') lassoBtn.disabled = true;

  const marks = { coords: performance.now() };
  const sc = new Scatter(canvas, xy);
  marks.gl = performance.now();
  const observer = new ResizeObserver(() => resize());
  // the router calls view.leave when another page replaces this one
  view.leave = () => { observer.disconnect(); sc.dispose(); };
  let grid = null; // built on the first hover
  let colouring = null, base = new Uint8Array(4 * m.points), chosen = null;
  const state = { space, points: m.points, drawn: 0, firstPaintMs: null, colourBy: null, legend: 0 };
  window.genestoreMap = state;

  const redraw = () => { state.drawn = sc.draw(); canvas.dataset.drawn = String(state.drawn); };
  let painted = false; // nothing is drawn before the first colours
  const resize = () => {
    const d = devicePixelRatio;
    canvas.width = overlay.width = Math.max(1, Math.round(holder.clientWidth * d));
    canvas.height = overlay.height = Math.max(1, Math.round(holder.clientHeight * d));
    if (painted) redraw();
  };
  observer.observe(holder);

  const paintColours = () => {
    const rgba = chosen ? base.slice() : base;
    if (chosen) for (let i = 0; i < m.points; i++) if (!chosen[i]) rgba[4 * i + 3] = 50;
    sc.setColours(rgba);
    redraw();
  };

  let colourSeq = 0; // the colouring asked for last is the one drawn
  async function colourBy(what, answer) {
    const my = ++colourSeq;
    const c = await (answer || api(colourURL(what))).catch((err) => { if (my === colourSeq) throw err; });
    if (my !== colourSeq) return; // a later choice was made meanwhile: its answer (or error) wins
    if (!view.isConnected) return; // the user has gone to another page (perhaps another map)
    colouring = c;
    const table = c.kind === 'value' ? VAL_RGBA : CAT_RGBA, cycle = table.length / 4;
    for (let i = 0; i < m.points; i++) {
      const code = c.codes[i], o = 4 * i;
      if (code < 0) { base[o] = MISSING[0]; base[o + 1] = MISSING[1]; base[o + 2] = MISSING[2]; base[o + 3] = MISSING[3]; continue; }
      const t = 4 * (code % cycle);
      base[o] = table[t]; base[o + 1] = table[t + 1]; base[o + 2] = table[t + 2]; base[o + 3] = table[t + 3];
    }
    painted = true;
    paintColours();
    const title = document.getElementById('legend-title');
    if (c.kind === 'value') {
      title.textContent = `${what}: log-normalised expression`;
      legend.replaceChildren(h('li', {}, h('div', { class: 'ramp', style: 'flex:1' })),
        h('li', {}, h('span', {}, fmt(c.min)), h('span', { style: 'margin-left:auto' }, fmt(c.max))));
    } else {
      title.textContent = what;
      // no point with a value: the server omits categories and counts (empty)
      const cats = c.categories || [], counts = c.counts || [];
      const shown = cats.slice(0, 60);
      legend.replaceChildren(...shown.map((name, i) => h('li', { 'data-category': name },
        h('span', { class: 'swatch', style: `background:${PALETTE[i % PALETTE.length]}` }), name, h('span', { class: 'muted', style: 'margin-left:auto' }, fmt(counts[i])))),
      ...(cats.length > shown.length ? [h('li', { class: 'muted' }, `… ${cats.length - shown.length} more`)] : []),
      ...(cats.length ? [] : [h('li', { class: 'muted' }, 'no point has a value')]));
    }
    state.colourBy = what;
    state.legend = legend.children.length;
    canvas.dataset.colourBy = what;
    history.replaceState(null, '', `#/map${space === 'cells' ? '' : '/' + space}?by=${encodeURIComponent(what)}`);
  }

  if (m.colours.includes(first)) select.value = first;
  else if (first.startsWith('gene:')) { geneBox.value = first.slice(5); select.value = ''; }
  resize();
  try { await colourBy(first, firstColour); } catch (err) { status.textContent = err.message; painted = true; redraw(); }
  if (!view.isConnected) return; // left while the colours loaded: the context is given up
  // first paint: the map drawn in its colours and the frame presented
  marks.coloured = performance.now();
  sc.gl.finish();
  marks.finished = performance.now();
  await new Promise((r) => requestAnimationFrame(() => r()));
  state.firstPaintMs = performance.now();
  state.pageMs = performance.now() - t0;
  state.marks = marks;
  canvas.dataset.firstPaintMs = String(Math.round(state.firstPaintMs));

  select.addEventListener('change', () => { geneBox.value = ''; colourBy(select.value).catch((e) => { status.textContent = e.message; }); });
  geneBox.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || !geneBox.value.trim()) return;
    select.value = '';
    colourBy('gene:' + geneBox.value.trim()).catch((err) => { status.textContent = err.message; });
  });
  resetBtn.addEventListener('click', () => { sc.fit(); chosen = null; paintColours(); clearOverlay(); });

  // ---- interaction: pan, zoom, hover, lasso
  let lassoMode = false, drag = null, lasso = null;
  lassoBtn.addEventListener('click', () => { lassoMode = !lassoMode; lassoBtn.classList.toggle('on', lassoMode); });
  const ctx2d = overlay.getContext('2d');
  const clearOverlay = () => ctx2d.clearRect(0, 0, overlay.width, overlay.height);
  const local = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };

  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const [px, py] = local(e);
    const [x, y] = sc.toData(px, py);
    const f = Math.exp(e.deltaY * 0.0015);
    sc.span *= f;
    sc.cx = x + (sc.cx - x) * f; sc.cy = y + (sc.cy - y) * f;
    redraw();
  }, { passive: false });

  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    const p = local(e);
    if ((lassoMode || e.shiftKey) && space === 'cells') lasso = [p];
    else drag = { p, cx: sc.cx, cy: sc.cy };
    hideTip();
  });
  canvas.addEventListener('pointermove', (e) => {
    const p = local(e);
    if (drag) {
      const k = sc.ppu() / devicePixelRatio;
      sc.cx = drag.cx - (p[0] - drag.p[0]) / k; sc.cy = drag.cy + (p[1] - drag.p[1]) / k;
      redraw();
    } else if (lasso) {
      lasso.push(p);
      const d = devicePixelRatio;
      clearOverlay();
      ctx2d.beginPath();
      lasso.forEach(([x, y], i) => (i ? ctx2d.lineTo(x * d, y * d) : ctx2d.moveTo(x * d, y * d)));
      ctx2d.closePath();
      ctx2d.fillStyle = '#2b6cb022'; ctx2d.strokeStyle = '#2b6cb0'; ctx2d.lineWidth = 1.5 * d;
      ctx2d.fill(); ctx2d.stroke();
    } else hover(p);
  });
  canvas.addEventListener('pointerup', async (e) => {
    const click = drag && Math.hypot(...local(e).map((v, k) => v - drag.p[k])) < 3;
    drag = null;
    if (click) { openPoint(local(e)); return; }
    if (!lasso) return;
    const poly = lasso.map(([x, y]) => sc.toData(x, y));
    lasso = null;
    if (poly.length < 3) { clearOverlay(); return; }
    await select_(poly);
  });
  canvas.addEventListener('pointerleave', () => hideTip());

  // select_ marks the cells inside poly (data coordinates) and lists their
  // top genes, as the server finds them.
  let selectSeq = 0; // the lasso drawn last is the one listed
  async function select_(poly) {
    const my = ++selectSeq;
    chosen = new Uint8Array(m.points);
    let n = 0;
    for (let i = 0; i < m.points; i++) if (inPolygon(poly, m.x[i], m.y[i])) { chosen[i] = 1; n++; }
    paintColours();
    if (!n) { selection.replaceChildren(h('p', { class: 'muted' }, 'No cells inside.')); chosen = null; paintColours(); return; }
    const step = Math.max(1, Math.ceil(poly.length / 200));
    const pts = poly.filter((_, i) => i % step === 0);
    const q = pts.map(([x, y]) => `${x.toPrecision(7)},${y.toPrecision(7)}`).join(',');
    selection.replaceChildren(h('p', { class: 'muted' }, `${fmt(n)} cells; finding their top genes…`));
    try {
      const a = await api(`/v1/maps/cells/markers?k=12&polygon=${encodeURIComponent(q)}`);
      if (my !== selectSeq) return; // a later lasso was drawn meanwhile
      const top = a.markers.genes.length ? a.markers.genes[0].score : 1;
      selection.replaceChildren(
        h('p', {}, `${fmt(a.selected)} cells (`, Object.entries(a.datasets).map(([d, c]) => `${d} ${fmt(c)}`).join(', '), `), model ${a.markers.model_version}`),
        h('table', { id: 'markers' }, h('tbody', {}, ...a.markers.genes.map((g) => h('tr', {},
          h('td', { class: 'num' }, String(g.rank)), h('td', {}, h('a', { href: '#/gene/' + encodeURIComponent(g.symbol) }, g.symbol)),
          h('td', { class: 'num' }, fmt(g.score)), h('td', {}, h('span', { class: 'bar', style: `width:${Math.max(1, Math.round(50 * g.score / (top || 1)))}px` })))))));
    } catch (err) {
      if (my === selectSeq) selection.replaceChildren(h('p', { class: 'error' }, err.message));
    }
  }
  state.selectPolygon = select_; // for tests and the console
  state.screenOf = (i) => sc.toScreen(m.x[i], m.y[i]);
  state.colourCode = (i) => (colouring ? colouring.codes[i] : -1);

  // openPoint goes to the page of the point under p: a cell's or a gene's.
  async function openPoint(p) {
    const i = nearestTo(p);
    if (i < 0) return;
    let pt;
    try {
      pt = await api(`/v1/maps/${encodeURIComponent(space)}/points/${i}`);
    } catch (err) { // e.g. the map was recomputed with fewer points
      status.textContent = `Cannot open that point: ${err.message}`;
      return;
    }
    if (!view.isConnected) return; // the user went elsewhere meanwhile
    location.hash = space === 'cells' ? `#/cell/${encodeURIComponent(pt.dataset)}/${encodeURIComponent(pt.name)}` : `#/gene/${encodeURIComponent(pt.name)}`;
  }
  function nearestTo(p) {
    const [x, y] = sc.toData(p[0], p[1]);
    grid = grid || new Grid(m.x, m.y, sc.bounds);
    return grid.nearest(x, y, 6 * devicePixelRatio / sc.ppu());
  }

  const cache = new Map();
  let hoverSeq = 0, hoverTimer = 0;
  // cancelHover drops a point lookup still pending: its answer would show
  // another point's tip where the pointer has moved on.
  function cancelHover() { hoverSeq++; clearTimeout(hoverTimer); }
  function hideTip() { cancelHover(); tip.hidden = true; }
  function hover(p) {
    const i = nearestTo(p);
    if (i < 0) { hideTip(); return; }
    const [sx, sy] = sc.toScreen(m.x[i], m.y[i]);
    tip.style.left = `${sx + 12}px`; tip.style.top = `${sy + 12}px`;
    const value = colouring ? colouring.codes[i] : -1;
    const shown = !colouring ? '' : value < 0 ? 'NA' : colouring.kind === 'value'
      ? fmt(colouring.min + value / 255 * (colouring.max - colouring.min)) : colouring.categories[value];
    const show = (pt) => {
      const rows = [['dataset', pt.dataset], [space === 'cells' ? 'barcode' : 'gene', pt.name]];
      if (colouring) rows.push([colouring.by, shown]);
      for (const [k, v] of Object.entries(pt.fields || {})) if (k !== colouring?.by) rows.push([k, v]);
      tip.replaceChildren(h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
      tip.hidden = false;
      tip.dataset.index = String(i);
    };
    cancelHover();
    if (cache.has(i)) { show(cache.get(i)); return; }
    const my = hoverSeq;
    hoverTimer = setTimeout(async () => {
      try {
        const pt = await api(`/v1/maps/${encodeURIComponent(space)}/points/${i}`);
        cache.set(i, pt);
        if (my === hoverSeq) show(pt);
      } catch { /* the map changed under us */ }
    }, 60);
  }
}
