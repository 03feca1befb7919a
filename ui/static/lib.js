// Small helpers shared by the pages: API calls, element building, time and
// byte formatting, the decoded views of a message's bytes.

export const prefs = {
  get theme() { return localStorage.getItem('odradek.theme') || 'system'; },
  set theme(v) { localStorage.setItem('odradek.theme', v); },
  get utc() { return localStorage.getItem('odradek.utc') !== 'false'; },
  set utc(v) { localStorage.setItem('odradek.utc', String(v)); },
};

// Bearer token for http.auth=token (kept for this tab only).
export const auth = {
  get token() { return sessionStorage.getItem('odradek.token') || ''; },
  set token(v) { sessionStorage.setItem('odradek.token', v); },
};

function headers(extra = {}) {
  const h = { Accept: 'application/json', ...extra };
  if (auth.token) h.Authorization = 'Bearer ' + auth.token;
  return h;
}

export class ApiError extends Error {
  constructor(status, msg) { super(msg); this.status = status; }
}

// api('topics') GETs /api/v1/topics; api('topics', {method: 'POST', body: {...}})
// sends JSON.  Throws ApiError with the server's message.
export async function api(path, opts = {}) {
  const init = { method: opts.method || 'GET', headers: headers() };
  if (opts.body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  if (opts.signal) init.signal = opts.signal;
  const r = await fetch('/api/v1/' + path, init);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    if (r.status === 401 && /^Bearer/i.test(r.headers.get('WWW-Authenticate') || '')) {
      window.dispatchEvent(new CustomEvent('odradek-auth'));
    }
    throw new ApiError(r.status, body.error || `${r.status} ${r.statusText}`);
  }
  return body;
}

// Server-Sent Events over fetch (so the Authorization header goes along):
// sse('topics/t/tail', {message(data) {...}, progress(data) {...}}) calls
// the handler named by each event with its parsed JSON data.  Returns an
// AbortController: abort() closes the stream (the server stops its work).
// handlers.error(e) runs if the stream fails; handlers.end() when it ends.
export function sse(path, handlers) {
  const ctl = new AbortController();
  (async () => {
    try {
      const r = await fetch('/api/v1/' + path, {
        headers: headers({ Accept: 'text/event-stream' }), signal: ctl.signal,
      });
      if (!r.ok) {
        const body = await r.json().catch(() => ({}));
        throw new ApiError(r.status, body.error || `${r.status} ${r.statusText}`);
      }
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let ev = 'message';
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) ev = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length && handlers[ev]) handlers[ev](JSON.parse(data.join('\n')));
        }
      }
      if (handlers.end) handlers.end();
    } catch (e) {
      if (e.name !== 'AbortError' && handlers.error) handlers.error(e);
    }
  })();
  return ctl;
}

// Pages that hold resources (streams, timers) register what to do when the
// user navigates away; the router runs it before the next page renders.
let leaving = [];
export function onLeave(fn) { leaving.push(fn); }
export function leave() {
  const fns = leaving;
  leaving = [];
  for (const fn of fns) { try { fn(); } catch (_) { /* page gone anyway */ } }
}

// The broker's /api/v1/cluster, fetched once per page load (what the UI
// may offer: ui.read_only, ui.allow_produce, ...).
let clusterInfo = null;
export async function cluster(refresh = false) {
  if (!clusterInfo || refresh) clusterInfo = await api('cluster');
  return clusterInfo;
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
  // ISO 8601 in local time, with the offset
  const p = (n, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:` +
    `${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)} ` +
    `${off < 0 ? '-' : '+'}${p(Math.trunc(off / 60))}:${p(off % 60)}`;
}

// "3 min ago", "in 2 h": for titles next to absolute times.
export function fmtAgo(ms) {
  if (ms === undefined || ms < 0) return '';
  const s = (Date.now() - ms) / 1000;
  const a = Math.abs(s);
  const [n, u] = a < 60 ? [a, 's'] : a < 3600 ? [a / 60, 'min'] : a < 86400 ? [a / 3600, 'h'] : [a / 86400, 'd'];
  const v = `${Math.round(n)} ${u}`;
  return s >= 0 ? v + ' ago' : 'in ' + v;
}

// A <time> element: absolute (UTC or local, ISO 8601), relative on hover.
export function timeEl(ms) {
  if (ms === undefined || ms < 0) return el('time', {}, '');
  return el('time', { datetime: new Date(ms).toISOString(), title: fmtAgo(ms) }, fmtTime(ms));
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

// A page's own stylesheet (pages/<name>.css), linked once.
export function useCss(href) {
  if (!document.querySelector(`link[href="${href}"]`)) {
    document.head.append(el('link', { rel: 'stylesheet', href }));
  }
}
