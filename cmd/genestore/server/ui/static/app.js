// genestore's browser UI: a hash router over pages built from the server's
// JSON API. Every request goes to this server (the page's
// Content-Security-Policy allows no other host). Store data is only ever
// inserted as text, never as HTML.
import { api, h, fmt } from './api.js';
import { mapPage } from './map.js';

const main = document.getElementById('view');
// getOverview reads GET /v1/ui/overview afresh for each page shown: a map
// laid out or a dataset appended while the page is open shows up.
const getOverview = () => api('/v1/ui/overview');

// section draws a titled card and fills it with what fill returns (a node),
// or the error's message.
function section(parent, title, fill) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const card = h('section', { class: 'card' }, h('h2', {}, title), body);
  parent.append(card);
  Promise.resolve().then(fill).then(
    (node) => body.replaceChildren(node),
    (err) => body.replaceChildren(h('p', { class: 'muted' }, String(err.message || err))),
  );
  return card;
}

function table(head, rows) {
  return h('table', {}, h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) =>
      c instanceof Node ? h('td', {}, c) : h('td', { class: typeof c === 'number' ? 'num' : '' }, c === null || c === undefined ? '–' : typeof c === 'number' ? fmt(c) : String(c)))))));
}

const geneLink = (sym) => h('a', { href: '#/gene/' + encodeURIComponent(sym) }, sym);
const bar = (v, maxV) => h('span', { class: 'bar', style: `width:${Math.max(1, Math.round(60 * Math.abs(v) / (maxV || 1)))}px` });
const enc = encodeURIComponent;

// ---- search with completion

function setupSearch() {
  const input = document.getElementById('search');
  const list = document.getElementById('suggest');
  let items = [], sel = -1, seq = 0;
  const close = () => { list.hidden = true; input.setAttribute('aria-expanded', 'false'); sel = -1; };
  const go = (sym) => { close(); input.value = sym; location.hash = '#/gene/' + enc(sym); };
  const paint = () => {
    list.replaceChildren(...items.map((c, i) => {
      const li = h('li', { role: 'option', 'aria-selected': String(i === sel), 'data-symbol': c.symbol },
        c.symbol, c.alias ? h('span', { class: 'alias' }, 'alias ' + c.alias) : '');
      li.addEventListener('mousedown', (e) => { e.preventDefault(); go(c.symbol); });
      return li;
    }));
    list.hidden = items.length === 0;
    input.setAttribute('aria-expanded', String(!list.hidden));
  };
  input.addEventListener('input', async () => {
    const q = input.value.trim();
    const my = ++seq;
    if (!q) { items = []; paint(); return; }
    try {
      const got = await api('/v1/genes?limit=12&prefix=' + enc(q));
      if (my !== seq) return; // a later keystroke answered first
      items = got; sel = -1; paint();
    } catch { if (my === seq) { items = []; paint(); } } // an earlier keystroke's failure does not clear later suggestions
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && items.length) { sel = (sel + 1) % items.length; paint(); e.preventDefault(); }
    else if (e.key === 'ArrowUp' && items.length) { sel = (sel - 1 + items.length) % items.length; paint(); e.preventDefault(); }
    else if (e.key === 'Enter') { const q = sel >= 0 ? items[sel].symbol : input.value.trim(); if (q) go(q); }
    else if (e.key === 'Escape') close();
  });
  input.addEventListener('blur', () => setTimeout(close, 100));
}

// ---- pages

async function homePage(view) {
  const o = await getOverview();
  view.replaceChildren(h('h1', {}, 'genestore'));
  const grid = h('div', { class: 'grid' });
  view.append(grid);
  section(grid, 'Maps', () => o.maps.length ? table(['space', 'points', ''], o.maps.map((m) =>
    [h('a', { href: m.space === 'cells' ? '#/map' : '#/map/genes' }, m.space), m.points, m.stale ? 'stale: vectors written since' : ''])) :
    h('p', { class: 'muted' }, 'No stored map: run genestore layout --space cells.'));
  section(grid, 'Datasets', () => datasetTable(o.datasets));
  section(grid, 'Look up a gene', () => h('p', {}, 'Type a symbol or alias in the search box, e.g. ', geneLink('CD79A'), ', ', geneLink('MS4A1'), ' or ', geneLink('NKG7'), '.'));
  section(grid, 'Annotations', () => h('p', {}, 'Gene-set collections: ', o.collections.join(', ') || 'none', '. Regulatory networks: ', o.networks.join(', ') || 'none', '.'));
}

function datasetTable(ds) {
  return table(['dataset', 'cells', 'genes', 'modality', 'species', 'values'], ds.map((d) =>
    [h('a', { href: '#/dataset/' + enc(d.name) }, d.name), d.cells, d.genes, d.modality, d.species || 'home', d.values]));
}

async function datasetsPage(view) {
  const o = await getOverview();
  view.replaceChildren(h('h1', {}, 'Datasets'), datasetTable(o.datasets));
}

async function datasetPage(view, name) {
  const o = await getOverview();
  const d = o.datasets.find((x) => x.name === name);
  if (!d) throw new Error(`no dataset ${name}`);
  view.replaceChildren(h('h1', {}, d.name));
  const grid = h('div', { class: 'grid' });
  view.append(grid);
  section(grid, 'Shape', () => table(['', ''], [
    ['cells', d.cells], ['genes', d.genes], ['non-zeros', d.nnz],
    ['density', d.cells && d.genes ? (100 * d.nnz / d.cells / d.genes).toFixed(2) + ' %' : '–'],
    ['values', d.values], ['spots with coordinates', d.spots || 0]]));
  section(grid, 'Modality and species', () => table(['', ''], [
    ['modality', d.modality], ['species', d.species || 'the store\'s home species'], ['gene join', d.gene_join || 'by symbol'],
    ['batch key', d.batch_key || 'none'], ['duplicate symbols', d.duplicate_symbols]]));
  section(grid, 'Provenance', () => table(['', ''], [
    ['format', d.format], ['source', h('code', {}, d.source)], ['sha256', h('code', {}, d.sha256)], ['added', d.added], ['id', d.id]]));
  section(grid, 'Quality control', async () => {
    const qc = await api(`/v1/datasets/${enc(d.name)}/qc`);
    return h('div', { class: 'qc' }, ...qc.panels.map(histogram));
  });
  section(grid, 'Obs columns', () => (d.obs_columns || []).length ? h('div', {}, ...d.obs_columns.map((c, i) =>
    h('span', {}, i ? ', ' : '', h('a', { href: '#/map?by=' + enc(c) }, c)))) : h('p', { class: 'muted' }, 'none'));
}

async function genePage(view, sym) {
  const o = await getOverview();
  const s = enc(sym);
  view.replaceChildren(h('h1', {}, sym));
  const grid = h('div', { class: 'grid' });
  view.append(grid);
  section(grid, 'Nearest genes (consensus)', async () => {
    const a = await api(`/v1/genes/${s}/neighbors?k=12`);
    const top = a.neighbors.length ? a.neighbors[0].score : 1;
    return h('div', {}, h('p', { class: 'muted' }, `cosine similarity of ${a.from} vectors, model ${a.model_version}`),
      h('div', { id: 'neighbors' }, table(['#', 'gene', 'cosine', ''], a.neighbors.map((n) => [n.rank, geneLink(n.symbol), n.score, bar(n.score, top)]))));
  });
  section(grid, 'Nearest genes per dataset', async () => {
    // asked of every dataset at once; one that does not measure the gene answers 404
    const got = await Promise.all(o.datasets.map((d) => api(`/v1/genes/${s}/neighbors?k=8&dataset=${enc(d.name)}`).then(
      (a) => [d.name, a.neighbors.map((n) => n.symbol)], () => null)));
    const cols = got.filter(Boolean);
    if (!cols.length) return h('p', { class: 'muted' }, 'No dataset has a vector of this gene.');
    return table(['dataset', 'nearest genes'], cols.map(([d, gs]) =>
      [d, h('span', {}, ...gs.map((g, i) => h('span', {}, i ? ', ' : '', geneLink(g))))]));
  });
  section(grid, 'Co-expression partners', async () => {
    const a = await api(`/v1/genes/${s}/coexpr?k=15`);
    return h('div', {}, h('p', { class: 'muted' }, `over ${a.datasets.join(', ')}; conserved = datasets with the edge`),
      network(sym, a.partners),
      table(['gene', 'sign', 'mean weight', 'conserved', 'cosine'], a.partners.map((p) =>
        [geneLink(p.symbol), h('span', { class: p.sign === '+' ? 'pos' : 'neg' }, p.sign), p.mean_weight, p.conserved, p.cosine])));
  });
  section(grid, 'Module and enrichment', async () => {
    const coll = o.collections[0];
    const a = await api(`/v1/genes/${s}/cluster?max=40&terms=8` + (coll ? '&enrich=' + enc(coll) : ''));
    const out = h('div', {}, h('p', {}, `module ${a.cluster} of ${a.clustering} (${a.size} genes${a.stale ? ', stale' : ''}): `,
      ...a.members.map((m, i) => h('span', {}, i ? ', ' : '', geneLink(m.symbol))), a.truncated ? ', …' : ''));
    if (a.enrichment) out.append(h('p', { class: 'muted' }, `enrichment in ${a.collection}`),
      table(['term', 'overlap', 'FDR'], a.enrichment.map((e) => [`${e.name} (${e.set_id})`, `${e.overlap}/${e.size}`, e.fdr])));
    return out;
  });
  section(grid, 'Predicted GO terms', async () => {
    if (!o.collections.length) return h('p', { class: 'muted' }, 'No gene-set collection loaded (genestore annotations load).');
    const out = h('div', {});
    for (const c of o.collections) {
      const a = await api(`/v1/genes/${s}/annotations?collection=${enc(c)}&top=8`);
      const terms = a.genes.length ? a.genes[0].terms : [];
      out.append(h('p', { class: 'muted' }, `${c}, from the ${a.k} nearest genes`),
        table(['term', 'score', 'known', 'evidence'], terms.map((t) => [`${t.name} (${t.term})`, t.score, t.known ? 'yes' : 'new', (t.evidence || []).join(', ')])));
    }
    return out;
  });
  for (const dir of ['regulators', 'targets']) {
    section(grid, dir === 'regulators' ? 'Regulators' : 'Targets', async () => {
      if (!o.networks.length) return h('p', { class: 'muted' }, 'No regulatory network stored (genestore train grn).');
      const a = await api(`/v1/genes/${s}/${dir}?k=10`);
      if (!a.edges.length) return h('p', { class: 'muted' }, `none in network ${a.network}`);
      return h('div', {}, h('p', { class: 'muted' }, `network ${a.network} (${a.method})`),
        table(['gene', 'score', 'sign', 'cosine'], a.edges.map((e) => [geneLink(e.symbol), e.score, e.sign, e.cosine])));
    });
  }
  section(grid, 'Expression', async () => {
    const got = await Promise.all(o.datasets.map((d) => api(`/v1/genes/${s}/predicted?dataset=${enc(d.name)}`).then(
      (a) => [d.name, a.layer, a.cells, a.mean, a.median, a.max], () => null))); // 404: no predicted layer there
    const rows = got.filter(Boolean);
    const link = h('p', {}, h('a', { href: '#/map?by=' + enc('gene:' + sym) }, 'Show measured expression on the cell map'));
    if (!rows.length) return h('div', {}, link, h('p', { class: 'muted' }, 'No predicted-expression layer (genestore predict).'));
    return h('div', {}, link, table(['dataset', 'layer', 'cells', 'mean', 'median', 'max'], rows));
  });
  section(grid, 'Cells most associated', async () => {
    const a = await api(`/v1/genes/${s}/cells?k=8`);
    return table(['dataset', 'barcode', 'score'], a.cells.map((c) => [c.dataset, cellLink(c.dataset, c.barcode), c.score]));
  });
}

// histogram draws a QC panel as an SVG bar chart with its range and median.
function histogram(p) {
  const W = 300, H = 90, svg = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs) => {
    const e = document.createElementNS(svg, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  };
  const chart = el('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': p.title });
  const top = Math.max(1, ...p.counts), bw = W / p.counts.length;
  p.counts.forEach((c, i) => {
    const bh = (H - 4) * c / top;
    chart.append(el('rect', { x: i * bw + 0.5, y: H - bh, width: Math.max(0.5, bw - 1), height: bh, fill: '#2b6cb0', opacity: 0.7 }));
  });
  if (p.max > p.min) {
    const mx = W * (p.median - p.min) / (p.max - p.min);
    chart.append(el('line', { x1: mx, x2: mx, y1: 0, y2: H, stroke: '#a12a2a', 'stroke-dasharray': '3 2' }));
  }
  return h('figure', {}, h('figcaption', {}, p.title), chart,
    h('div', { class: 'muted' }, `${fmt(p.min)} – ${fmt(p.max)}, median ${fmt(p.median)}`));
}

// network draws a gene's co-expression partners round it, as plot coexpr
// does: edge colour the sign, width the number of datasets conserving it;
// a partner's name opens its page.
function network(centre, partners) {
  const W = 380, H = 260, R = 100, ns = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text) e.textContent = text;
    return e;
  };
  const chart = el('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': `co-expression network of ${centre}`, class: 'network' });
  const maxC = Math.max(1, ...partners.map((p) => p.conserved));
  const pos = partners.map((_, i) => {
    const a = 2 * Math.PI * i / Math.max(1, partners.length) - Math.PI / 2;
    return [W / 2 + R * 1.45 * Math.cos(a), H / 2 + R * Math.sin(a)];
  });
  partners.forEach((p, i) => chart.append(el('line', { x1: W / 2, y1: H / 2, x2: pos[i][0], y2: pos[i][1],
    stroke: p.sign === '+' ? '#1f7a3a' : '#a12a2a', 'stroke-width': 0.8 + 3 * p.conserved / maxC, opacity: 0.6 })));
  partners.forEach((p, i) => {
    const link = el('a', { href: '#/gene/' + enc(p.symbol) });
    link.append(el('circle', { cx: pos[i][0], cy: pos[i][1], r: 4, fill: '#2b6cb0' }),
      el('text', { x: pos[i][0], y: pos[i][1] - 7, 'text-anchor': 'middle', 'font-size': 10, fill: '#1d2433' }, p.symbol));
    chart.append(link);
  });
  chart.append(el('circle', { cx: W / 2, cy: H / 2, r: 7, fill: '#1d2433' }),
    el('text', { x: W / 2, y: H / 2 + 20, 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 700, fill: '#1d2433' }, centre));
  return chart;
}

const cellLink = (ds, bc) => h('a', { href: `#/cell/${enc(ds)}/${enc(bc)}` }, bc);

// cellPage answers what the CLI answers for a cell: its nearest cells, its
// top genes, its cluster with the cluster's markers.
async function cellPage(view, ds, bc) {
  const c = `${enc(ds)}/${enc(bc)}`;
  view.replaceChildren(h('h1', {}, `${bc} `, h('span', { class: 'muted' }, 'of ', h('a', { href: '#/dataset/' + enc(ds) }, ds))));
  const grid = h('div', { class: 'grid' });
  view.append(grid);
  section(grid, 'Nearest cells', async () => {
    const a = await api(`/v1/cells/${c}/neighbors?k=12`);
    return h('div', {}, h('p', { class: 'muted' }, `cosine similarity of cell vectors, model ${a.model_version}`),
      table(['#', 'dataset', 'barcode', 'cosine'], a.neighbors.map((n) => [n.rank, n.dataset, cellLink(n.dataset, n.barcode), n.score])));
  });
  section(grid, 'Top genes', async () => {
    const a = await api(`/v1/cells/${c}/genes?k=12`);
    const top = a.genes.length ? a.genes[0].score : 1;
    return table(['#', 'gene', 'score', ''], a.genes.map((g) => [g.rank, geneLink(g.symbol), g.score, bar(g.score, top)]));
  });
  section(grid, 'Cluster', async () => {
    const a = await api(`/v1/cells/${c}/cluster?max=12`);
    const mk = await api(`/v1/clusters/cells/${a.cluster}/markers?k=10`).catch(() => null);
    return h('div', {}, h('p', {}, `cluster ${a.cluster} of ${a.clustering} (${a.size} cells${a.stale ? ', stale' : ''})`),
      table(['dataset', 'barcode'], a.members.map((m) => [m.dataset, cellLink(m.dataset, m.barcode || m.symbol)])),
      mk ? h('p', {}, 'markers: ', ...mk.genes.map((g, i) => h('span', {}, i ? ', ' : '', geneLink(g.symbol)))) : '');
  });
}

// ---- router

let shown = null; // the page element on screen; its leave(), if set, frees what the page holds

async function route() {
  window.genestoreMap = null; // set by the map page once its map is drawn
  // Each visit draws into its own element: a page whose answers come after
  // the user has moved on writes into a detached element, not over the
  // page now shown.
  const view = h('div', { class: 'page' }, h('p', { class: 'muted' }, 'Loading…'));
  shown?.leave?.();
  shown = view;
  main.replaceChildren(view);
  try {
    // inside the try: a malformed escape (#/gene/%E0) throws URIError
    const [path, qs] = location.hash.replace(/^#/, '').split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const q = new URLSearchParams(qs || '');
    if (parts[0] === 'gene' && parts[1]) await genePage(view, parts[1]);
    else if (parts[0] === 'dataset' && parts[1]) await datasetPage(view, parts[1]);
    else if (parts[0] === 'cell' && parts[2]) await cellPage(view, parts[1], parts[2]);
    else if (parts[0] === 'datasets') await datasetsPage(view);
    else if (parts[0] === 'map') await mapPage(view, parts[1] || 'cells', q.get('by'), getOverview());
    else await homePage(view);
  } catch (err) {
    view.replaceChildren(h('p', { class: 'error' }, String(err.message || err)));
  }
}

setupSearch();
window.addEventListener('hashchange', route);
route();
