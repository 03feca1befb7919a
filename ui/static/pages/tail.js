// Live tail of a topic (all partitions or one) over Server-Sent Events
// (GET /api/v1/topics/{t}/tail, docs/API.md, live tail and search).  New records appear on
// top (the newest 500 are kept on the page).  Pause closes the stream and
// remembers the next offset of each partition; Resume reopens it there
// (positions=), so nothing retention kept is missed and a paused tail
// costs the broker nothing.  When the page reads too slowly the broker
// skips records and says how many: the "dropped" counter.
// Also exports messageDetail(), the message view search.js uses too.
import { api, el, sse, onLeave, table, fmtTime, b64bytes, views, preview, useCss } from '../lib.js';

const MAX_ROWS = 500;

// The detail of one record (as the message browser shows it): key,
// timestamp, headers, the value as text / JSON / hex / base64, "load
// full" for a value the stream cut.
export function messageDetail(box, topic, m) {
  const enc = encodeURIComponent(topic);
  const k = b64bytes(m.key);
  const v = b64bytes(m.value);
  let view = 'text';
  const pre = el('pre', { id: 'value' });
  const render = () => {
    const vs = views(v, m.value);
    pre.textContent = view === 'json' ? (vs.json ?? '(not JSON)') : vs[view];
  };
  const buttons = ['text', 'json', 'hex', 'base64'].map((name) =>
    el('button', { type: 'button', 'data-view': name, onclick: () => { view = name; render(); } }, name));
  const full = m.truncated
    ? el('button', { type: 'button', onclick: async () => {
      const p = await api(`topics/${enc}/partitions/${m.partition}/messages?offset=${m.offset}&limit=1&max_value=4194304`);
      if (p.messages[0]) messageDetail(box, topic, p.messages[0]);
    } }, `load full (${m.value_size} bytes)`)
    : null;
  box.replaceChildren(...[
    el('h2', {}, `Partition ${m.partition}, offset ${m.offset}`),
    el('p', {}, fmtTime(m.timestamp), ' ', el('span', { class: 'muted' }, m.timestamp_type)),
    el('p', {}, 'key: ', el('span', { class: 'mono', id: 'key' }, k === null ? 'null' : new TextDecoder().decode(k))),
    el('div', { class: 'toolbar' }, buttons, full,
      el('a', { class: 'button', href: `#/topic/${enc}/${m.partition}` }, 'Open in browser'),
      el('a', { class: 'button', href: `#/produce?topic=${enc}&partition=${m.partition}&offset=${m.offset}` }, 'Produce a copy…')),
    pre,
    m.headers.length ? table(['header', 'value'], m.headers.map((h) => el('tr', {}, el('td', { class: 'mono' }, h.key),
      el('td', { class: 'mono' }, preview(b64bytes(h.value), 200))))) : null,
  ].filter(Boolean));
  render();
}

// A table row for one record; click or Enter shows it in box.
export function messageRow(topic, m, box, list) {
  const k = b64bytes(m.key);
  const v = b64bytes(m.value);
  const size = (m.value_size < 0 ? 0 : m.value_size) + (m.key_size < 0 ? 0 : m.key_size);
  const tr = el('tr', { class: 'msg', tabindex: 0 },
    el('td', { class: 'num' }, m.partition), el('td', { class: 'num' }, m.offset),
    el('td', {}, fmtTime(m.timestamp)),
    el('td', { class: 'mono' }, preview(k, 30)), el('td', { class: 'mono' }, preview(v)),
    el('td', { class: 'num' }, size));
  const open = () => {
    list.querySelectorAll('tr.sel').forEach((x) => x.classList.remove('sel'));
    tr.classList.add('sel');
    messageDetail(box, topic, m);
  };
  tr.addEventListener('click', open);
  tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
  return tr;
}

export const messageHeaders = [{ label: 'partition', num: 1 }, { label: 'offset', num: 1 }, 'timestamp', 'key', 'value', { label: 'size', num: 1 }];

export async function tail(topic) {
  useCss('pages/tail.css');
  const enc = encodeURIComponent(topic);
  const t = await api('topics/' + enc);
  const part = el('select', { id: 'tail-partition', 'aria-label': 'partition' },
    el('option', { value: '' }, 'all partitions'),
    t.partitions.map((p) => el('option', { value: p.partition }, `partition ${p.partition}`)));
  const from = el('select', { id: 'tail-from', 'aria-label': 'start from' },
    el('option', { value: 'end' }, 'new records only'),
    el('option', { value: 'latest-20' }, 'the last 20, then new'),
    el('option', { value: 'latest-200' }, 'the last 200, then new'));
  const pause = el('button', { type: 'button', id: 'pause' }, 'Pause');
  const clear = el('button', { type: 'button', id: 'clear' }, 'Clear');
  const state = el('span', { id: 'tail-state', class: 'tail-state' }, 'connecting…');
  const received = el('span', { id: 'received' }, '0');
  const dropped = el('span', { id: 'dropped' }, '0');
  const droppedBox = el('span', { class: 'tail-count', id: 'dropped-box', title: 'records the broker skipped because this page read too slowly' },
    el('b', {}, dropped), ' dropped');
  const tbody = el('tbody', {});
  const list = el('div', { id: 'tail-messages' },
    el('table', {}, el('thead', {}, el('tr', {}, messageHeaders.map((h) => el('th', { class: h.num ? 'num' : null }, h.label || h)))), tbody));
  const detail = el('div', { id: 'detail' });
  const empty = el('p', { class: 'muted', id: 'tail-empty' }, 'Waiting for records…');

  let ctl = null;
  let paused = false;
  let next = {}; // partition -> next offset
  let nrecv = 0;
  let ndropped = 0; // of earlier streams of this page (each stream counts from 0)
  let queue = [];
  let frame = 0;

  // Rows are added once per animation frame, so a burst costs one layout.
  function flush() {
    frame = 0;
    const batch = queue;
    queue = [];
    if (!batch.length) return;
    empty.remove();
    const rows = batch.slice(-MAX_ROWS).reverse().map((m) => messageRow(topic, m, detail, list));
    tbody.prepend(...rows);
    while (tbody.children.length > MAX_ROWS) tbody.lastElementChild.remove();
    received.textContent = nrecv.toLocaleString('en-US');
  }

  function open(query) {
    const base = ndropped; // a new stream counts its drops from 0
    state.textContent = 'connecting…';
    state.dataset.state = 'connecting';
    ctl = sse(`topics/${enc}/tail?${query}`, {
      start(d) {
        for (const p of d.partitions) if (next[p.partition] === undefined || next[p.partition] < p.offset) next[p.partition] = p.offset;
        state.textContent = 'live';
        state.dataset.state = 'live';
      },
      message(m) {
        nrecv++;
        next[m.partition] = m.offset + 1;
        queue.push(m);
        if (queue.length > MAX_ROWS) queue.splice(0, queue.length - MAX_ROWS);
        if (!frame) frame = requestAnimationFrame(flush);
      },
      dropped(d) {
        ndropped = base + d.dropped;
        dropped.textContent = ndropped.toLocaleString('en-US');
        droppedBox.classList.toggle('warn', ndropped > 0);
      },
      end(d) {
        if (paused) return;
        state.textContent = 'ended' + (d && d.reason ? ': ' + d.reason : '');
        state.dataset.state = 'ended';
      },
      error(e) { // a failed request (ApiError) or the broker's error event
        state.textContent = 'error: ' + (e.message || e.error);
        state.dataset.state = 'error';
      },
    });
  }

  function start() {
    next = {};
    const q = new URLSearchParams({ from: from.value });
    if (part.value !== '') q.set('partition', part.value);
    open(q.toString());
  }

  pause.addEventListener('click', () => {
    if (!paused) {
      paused = true;
      if (ctl) ctl.abort();
      ctl = null;
      pause.textContent = 'Resume';
      state.textContent = 'paused';
      state.dataset.state = 'paused';
      return;
    }
    paused = false;
    pause.textContent = 'Pause';
    const pos = Object.entries(next).map(([p, o]) => `${p}:${o}`).join(',');
    open(pos ? 'positions=' + encodeURIComponent(pos) : new URLSearchParams({ from: 'end', ...(part.value !== '' ? { partition: part.value } : {}) }).toString());
  });
  clear.addEventListener('click', () => {
    queue = [];
    tbody.replaceChildren();
    detail.replaceChildren();
    nrecv = 0;
    received.textContent = '0';
  });
  const restart = () => {
    if (ctl) ctl.abort();
    paused = false;
    pause.textContent = 'Pause';
    start();
  };
  part.addEventListener('change', restart);
  from.addEventListener('change', restart);
  onLeave(() => { if (ctl) ctl.abort(); if (frame) cancelAnimationFrame(frame); });

  const root = el('section', { id: 'tail-page' },
    el('p', {}, el('a', { href: '#/topic/' + enc }, '← ' + topic)),
    el('h1', {}, `Live tail: ${topic}`),
    el('div', { class: 'toolbar' }, part, from, pause, clear, state,
      el('span', { class: 'tail-count' }, el('b', {}, received), ' received'),
      droppedBox,
      el('a', { class: 'button', href: `#/search/${enc}` }, 'Search…')),
    empty, list, detail);
  start();
  return root;
}
