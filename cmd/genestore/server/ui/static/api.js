// Requests to this server's JSON API, and a small DOM builder.

const tokenKey = 'genestore-token';

// askToken shows a form for the server's bearer token (a server started
// with --token answers 401 without it) and resolves once one is entered.
// The token is kept in this tab's sessionStorage only.
function askToken() {
  return new Promise((resolve) => {
    const input = h('input', { type: 'password', placeholder: 'bearer token', autocomplete: 'off' });
    const form = h('form', { class: 'token' }, 'This server needs its token:', input, h('button', { type: 'submit' }, 'Use'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      sessionStorage.setItem(tokenKey, input.value.trim());
      form.remove();
      resolve();
    });
    document.body.prepend(form);
    input.focus();
  });
}

let asking = null;

// api GETs path and returns its JSON (an ArrayBuffer when as is
// 'binary'); a non-2xx answer throws the server's {"error": ...} message.
export async function api(path, as = 'json') {
  for (;;) {
    const tok = sessionStorage.getItem(tokenKey);
    const r = await fetch(path, { headers: tok ? { Authorization: 'Bearer ' + tok } : {} });
    if (r.status === 401) {
      asking = asking || askToken().finally(() => { asking = null; });
      await asking;
      continue;
    }
    if (r.ok && as === 'binary') return r.arrayBuffer();
    const body = await r.json().catch(() => ({ error: r.statusText }));
    if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
    return body;
  }
}

// h builds an element: attributes (on* keys are listeners) and children
// (strings become text nodes; null and false are skipped).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'style') el.style.cssText = v; // CSSOM: the page's CSP refuses style attributes
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// fmt prints a number compactly: integers as they are, others to 3
// significant digits (scientific below 0.001).
export function fmt(v) {
  if (Number.isInteger(v)) return v.toLocaleString('en');
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
  return v.toPrecision(3);
}
