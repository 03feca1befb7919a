// The message browser of one partition: seek by offset, by time (through
// the broker's time index) or to the newest N; page forward; a message's
// key, value and headers as text, JSON, hex, base64 or Avro (with the
// topic's local schema, when the broker has one).
import { api, cluster, el, table, fmtTime, timeEl, fmtBytes, fmtNum, b64bytes, views, preview } from '../lib.js';
import { parseSchema, decodeAvro } from '../avro.js';

export async function browse(topic, partition) {
  const enc = encodeURIComponent(topic);
  const base = `topics/${enc}/partitions/${partition}/messages`;
  const mode = el('select', { 'aria-label': 'seek mode' },
    el('option', { value: 'offset' }, 'from offset'),
    el('option', { value: 'oldest' }, 'oldest'),
    el('option', { value: 'timestamp' }, 'from time (ISO or ms)'),
    el('option', { value: 'newest' }, 'newest N'));
  const where = el('input', { id: 'seek', placeholder: '0', size: 26, 'aria-label': 'where to start' });
  const limit = el('input', { type: 'number', min: 1, max: 500, value: 50, 'aria-label': 'messages per page', class: 'narrow' });
  const go = el('button', { type: 'button', id: 'go' }, 'Show');
  const back = el('button', { type: 'button', id: 'back', disabled: true }, '← Previous page');
  const more = el('button', { type: 'button', id: 'more', disabled: true }, 'Next page →');
  const status = el('span', { class: 'muted', id: 'status' });
  const list = el('div', { id: 'messages' });
  const detail = el('div', { id: 'detail' });
  // downloads of the partition from the first record shown to its end
  // (streamed by the broker; a plain link, so basic auth applies)
  const ui = (await cluster()).ui;
  const downloads = ui.allow_export ? [['NDJSON', 'ndjson'], ['CSV', 'csv']].map(([label, fmt]) =>
    [el('a', { class: 'button', id: 'export-' + fmt, download: '' }, label), fmt]) : [];
  let next = null;
  let first = null; // offset of the first record shown
  let start = 0;
  // local Avro schemas (http.avro.schema.dir): a schema that does not parse
  // is reported in the avro view instead of hiding the view
  const schemas = await api(`topics/${enc}/schema`).catch(() => ({}));
  const avro = {};
  for (const part of ['key', 'value']) {
    if (!schemas[part]) continue;
    try { avro[part] = parseSchema(JSON.parse(schemas[part])); } catch (e) { avro[part] = e; }
  }
  const avroText = (bytes, schema) => {
    if (bytes === null) return 'null';
    if (schema instanceof Error) return 'schema error: ' + schema.message;
    try { return decodeAvro(bytes, schema); } catch (e) { return '(not Avro of this schema: ' + e.message + ')'; }
  };

  function query() {
    const v = where.value.trim();
    const l = `limit=${Number(limit.value) || 50}`;
    if (mode.value === 'newest') return `${base}?newest=${Number(v) || 10}&${l}`;
    if (mode.value === 'oldest') return `${base}?${l}`;
    if (mode.value === 'timestamp') {
      const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
      if (Number.isNaN(ms)) throw new Error('not a time: ' + v);
      return `${base}?timestamp=${ms}&${l}`;
    }
    return `${base}?offset=${Number(v) || 0}&${l}`;
  }

  async function show(q) {
    const page = await api(q);
    next = page.next_offset < page.high_watermark ? page.next_offset : null;
    more.disabled = next === null;
    first = page.messages.length ? page.messages[0].offset : null;
    start = page.log_start_offset;
    back.disabled = first === null || first <= start;
    const from = first === null ? start : first;
    for (const [a, fmt] of downloads) a.href = `/api/v1/${base.replace(/messages$/, 'export')}?from=${from}&format=${fmt}`;
    status.textContent = `offsets ${page.log_start_offset}–${page.high_watermark - 1}; ${page.messages.length} shown`;
    list.replaceChildren(table([{ label: 'offset', num: 1 }, 'timestamp', 'key', 'value', { label: 'size', num: 1 }],
      page.messages.map((m) => {
        const k = b64bytes(m.key);
        const v = b64bytes(m.value);
        const tr = el('tr', { class: 'msg', tabindex: 0 },
          el('td', { class: 'num' }, m.offset), el('td', {}, timeEl(m.timestamp)),
          el('td', { class: 'mono' }, preview(k, 30)), el('td', { class: 'mono' }, preview(v)),
          el('td', { class: 'num' }, (m.value_size < 0 ? 0 : m.value_size) + (m.key_size < 0 ? 0 : m.key_size)));
        const open = () => {
          list.querySelectorAll('tr.sel').forEach((x) => x.classList.remove('sel'));
          tr.classList.add('sel');
          showMessage(m, k, v);
        };
        tr.addEventListener('click', open);
        tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
        return tr;
      })));
    if (!page.messages.length) list.append(el('p', { class: 'muted' }, 'no messages here'));
  }

  function showMessage(m, k, v) {
    let view = avro.value ? 'avro' : 'text';
    const pre = el('pre', { id: 'value' });
    const render = () => {
      for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.view === view));
      if (view === 'avro') {
        pre.textContent = m.truncated ? '(truncated: load full first)' : avroText(v, avro.value);
        return;
      }
      const vs = views(v, m.value);
      pre.textContent = view === 'json' ? (vs.json ?? '(not JSON)') : vs[view];
    };
    const names = ['text', 'json', 'hex', 'base64'].concat(avro.value ? ['avro'] : []);
    const buttons = names.map((name) =>
      el('button', { type: 'button', 'data-view': name, onclick: () => { view = name; render(); } }, name));
    const full = m.truncated
      ? el('button', { type: 'button', onclick: async () => {
        const p = await api(`${base}?offset=${m.offset}&limit=1&max_value=4194304`);
        const mm = p.messages[0];
        showMessage(mm, b64bytes(mm.key), b64bytes(mm.value));
      } }, `load full (${m.value_size} bytes)`)
      : null;
    const again = el('a', { class: 'button', id: 'produce-from',
      href: `#/produce?topic=${enc}&partition=${partition}&offset=${m.offset}` }, 'Produce a copy…');
    detail.replaceChildren(...[
      el('h2', {}, `Offset ${m.offset}`),
      el('p', {}, timeEl(m.timestamp), ' ', el('span', { class: 'muted' }, m.timestamp_type)),
      el('p', {}, 'key: ', el('span', { class: 'mono', id: 'key' },
        avro.key ? avroText(k, avro.key) : (k === null ? 'null' : new TextDecoder().decode(k)))),
      el('div', { class: 'toolbar' }, buttons, full, again),
      pre,
      m.headers.length ? table(['header', 'value'], m.headers.map((h) => el('tr', {}, el('td', { class: 'mono' }, h.key),
        el('td', { class: 'mono' }, preview(b64bytes(h.value), 200))))) : null,
    ].filter(Boolean));
    render();
  }

  go.addEventListener('click', () => show(query()).catch((e) => { status.textContent = e.message; }));
  where.addEventListener('keydown', (e) => { if (e.key === 'Enter') go.click(); });
  more.addEventListener('click', () => show(`${base}?offset=${next}&limit=${Number(limit.value) || 50}`));
  back.addEventListener('click', () => {
    const n = Number(limit.value) || 50;
    show(`${base}?offset=${Math.max(start, first - n)}&limit=${n}`);
  });
  // the partition itself: leader, bounds, segments (newest last)
  const t = await api('topics/' + enc);
  const p = t.partitions[partition];
  const segs = p && p.segments ? p.segments : [];
  const info = p ? el('details', { id: 'partition-info' },
    el('summary', {}, `leader ${p.leader} · epoch ${p.leader_epoch} · offsets ${fmtNum(p.log_start_offset)}–${fmtNum(p.high_watermark)} · `,
      `${fmtBytes(p.size)} in ${p.segment_count} segment${p.segment_count === 1 ? '' : 's'}`),
    table([{ label: 'base offset', num: 1 }, { label: 'next offset', num: 1 }, { label: 'size', num: 1 }, 'created', 'newest record', ''],
      segs.map((g) => el('tr', {},
        el('td', { class: 'num' }, fmtNum(g.base_offset)), el('td', { class: 'num' }, fmtNum(g.next_offset)),
        el('td', { class: 'num' }, fmtBytes(g.size)), el('td', {}, fmtTime(g.created_ms)),
        el('td', {}, g.max_timestamp >= 0 ? fmtTime(g.max_timestamp) : ''),
        el('td', {}, g.active ? 'active' : ''))))) : null;
  const root = el('section', { id: 'browse-page' },
    el('p', {}, el('a', { href: '#/topic/' + enc }, '← ' + topic)),
    el('h1', {}, `${topic} / partition ${partition}`),
    info,
    downloads.length ? el('p', { class: 'toolbar' }, 'Download from the first row shown to the end: ',
      downloads.map(([a]) => a)) : null,
    el('div', { class: 'toolbar' }, mode, where, limit, go, back, more, status),
    el('div', { class: 'browse-body' }, list, detail));
  await show(`${base}?limit=50`);
  return root;
}
