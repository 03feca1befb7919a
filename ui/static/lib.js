// Small helpers shared by the pages: API calls, element building, time and
// byte formatting, the decoded views of a message's bytes.

export const prefs = {
  get theme() { return localStorage.getItem('odradek.theme') || 'system'; },
  set theme(v) { localStorage.setItem('odradek.theme', v); },
  get utc() { return localStorage.getItem('odradek.utc') !== 'false'; },
  set utc(v) { localStorage.setItem('odradek.utc', String(v)); },
};

export async function api(path) {
  const r = await fetch('/api/v1/' + path, { headers: { Accept: 'application/json' } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
  return body;
}

// el('tag', {attr: value, onclick: fn}, child, 'text', ...)
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function table(headers, rows) {
  return el('table', {},
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { class: h.num ? 'num' : null }, h.label || h)))),
    el('tbody', {}, rows));
}

export function fmtTime(ms) {
  if (ms === undefined || ms < 0) return '';
  const d = new Date(ms);
  if (prefs.utc) return d.toISOString().replace('T', ' ').replace('Z', ' UTC');
  return d.toLocaleString();
}

export function fmtBytes(n) {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
}

export function fmtNum(n) { return Number(n).toLocaleString('en-US'); }

export function b64bytes(s) {
  if (s === null || s === undefined) return null;
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// The views of a byte string: text (UTF-8), json (pretty, if it parses),
// hex (hex + ASCII, 16 per line) and base64.
export function views(bytes, b64) {
  if (bytes === null) return { text: 'null', json: null, hex: 'null', base64: 'null' };
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  let json = null;
  try { json = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.slice(i, i + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const asc = Array.from(row, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(i.toString(16).padStart(8, '0') + '  ' + hex.padEnd(47) + '  ' + asc);
  }
  return { text, json, hex: lines.join('\n'), base64: b64 };
}

export function preview(bytes, max = 80) {
  if (bytes === null) return 'null';
  const t = new TextDecoder().decode(bytes.slice(0, max * 4));
  return t.length > max ? t.slice(0, max) + '…' : t;
}
