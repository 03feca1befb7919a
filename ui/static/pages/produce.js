// Produce one message: topic, partition (or Kafka's default partitioner:
// the key's murmur2, round-robin without a key), key, value, headers, as
// text or base64.  #/produce?topic=T&partition=P&offset=O pre-fills the
// form from that message ("produce a copy").
import { api, cluster, el, useCss } from '../lib.js';

// Bytes of a base64 field as text when they are valid UTF-8, else null.
function utf8(b64) {
  if (b64 === null || b64 === undefined) return null;
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  try { return new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch (_) { return undefined; }
}

export async function produce(params) {
  useCss('pages/produce.css');
  const c = await cluster();
  const topics = await api('topics?limit=1000&internal=0').catch(() => ({ topics: [] }));
  const topic = el('input', { id: 'p-topic', list: 'p-topics', required: true, autocomplete: 'off', value: params.get('topic') || '' });
  const partition = el('input', { id: 'p-partition', type: 'number', min: 0, class: 'narrow', placeholder: 'auto', value: params.get('partition') || '' });
  const encoding = el('select', { id: 'p-encoding' },
    el('option', { value: 'text' }, 'text (UTF-8)'), el('option', { value: 'base64' }, 'base64'));
  const key = el('input', { id: 'p-key', size: 40 });
  const keyNull = el('input', { id: 'p-key-null', type: 'checkbox' });
  const value = el('textarea', { id: 'p-value', rows: 10, cols: 80 });
  const valueNull = el('input', { id: 'p-value-null', type: 'checkbox' });
  const headers = el('div', { id: 'p-headers' });
  const addHeader = el('button', { type: 'button', id: 'p-add-header' }, 'Add header');
  const send = el('button', { type: 'submit', id: 'p-send' }, 'Produce');
  const out = el('div', { id: 'p-result', 'aria-live': 'polite' });
  let hn = 0;

  function headerRow(k = '', v = '') {
    const i = hn++;
    const hk = el('input', { class: 'h-key', id: `p-hk-${i}`, value: k, size: 20 });
    const hv = el('input', { class: 'h-value', id: `p-hv-${i}`, value: v, size: 40 });
    const rm = el('button', { type: 'button', 'aria-label': `remove header ${i + 1}` }, '×');
    const row = el('div', { class: 'h-row' },
      el('label', { for: hk.id }, 'key '), hk, el('label', { for: hv.id }, ' value '), hv, ' ', rm);
    rm.addEventListener('click', () => row.remove());
    headers.append(row);
    return hk;
  }
  addHeader.addEventListener('click', () => headerRow().focus());
  keyNull.addEventListener('change', () => { key.disabled = keyNull.checked; });
  valueNull.addEventListener('change', () => { value.disabled = valueNull.checked; });

  const form = el('form', { id: 'produce-form', class: 'produce-form' },
    el('datalist', { id: 'p-topics' }, topics.topics.map((t) => el('option', { value: t.name }))),
    el('div', { class: 'row' }, el('label', { for: 'p-topic' }, 'Topic'), topic),
    el('div', { class: 'row' }, el('label', { for: 'p-partition' }, 'Partition'), partition,
      el('span', { class: 'muted' }, ' empty: by key hash (murmur2), round-robin without a key')),
    el('div', { class: 'row' }, el('label', { for: 'p-encoding' }, 'Encoding'), encoding,
      el('span', { class: 'muted' }, ' of key, value and header values')),
    el('div', { class: 'row' }, el('label', { for: 'p-key' }, 'Key'), key,
      el('label', { class: 'inline' }, keyNull, ' null')),
    el('div', { class: 'row' }, el('label', { for: 'p-value' }, 'Value'), value,
      el('label', { class: 'inline' }, valueNull, ' null (tombstone)')),
    el('div', { class: 'row' }, el('span', { class: 'label' }, 'Headers'), el('div', {}, headers, addHeader)),
    el('div', { class: 'row' }, el('span', { class: 'label' }), send));

  if (!c.ui.allow_produce) {
    send.disabled = true;
    out.append(el('p', { class: 'muted', id: 'p-refused' }, c.ui.read_only
      ? 'The UI is read-only (http.read.only=true): producing is refused.'
      : 'Producing is switched off on this broker (http.allow.produce=false).'));
  }

  // produce a copy of a shown message
  const from = params.get('offset');
  if (params.get('topic') && params.get('partition') && from !== null) {
    try {
      const page = await api(`topics/${encodeURIComponent(params.get('topic'))}/partitions/${Number(params.get('partition'))}/messages?offset=${Number(from)}&limit=1&max_value=4194304`);
      const m = page.messages[0];
      if (m && m.offset === Number(from)) {
        const fields = [m.key, m.value, ...m.headers.map((h) => h.value)];
        const text = fields.every((f) => utf8(f) !== undefined);
        encoding.value = text ? 'text' : 'base64';
        const show = (b64) => (text ? utf8(b64) : b64);
        keyNull.checked = m.key === null;
        key.disabled = keyNull.checked;
        key.value = m.key === null ? '' : show(m.key);
        valueNull.checked = m.value === null;
        value.disabled = valueNull.checked;
        value.value = m.value === null ? '' : show(m.value);
        for (const h of m.headers) headerRow(h.key, h.value === null ? '' : show(h.value));
        out.append(el('p', { class: 'muted', id: 'p-prefilled' },
          `Pre-filled from ${params.get('topic')} partition ${params.get('partition')} offset ${from}.`));
      } else {
        out.append(el('p', { class: 'error' }, `No message at offset ${from}.`));
      }
    } catch (e) {
      out.append(el('p', { class: 'error' }, e.message));
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      key: keyNull.checked ? null : key.value,
      value: valueNull.checked ? null : value.value,
      encoding: encoding.value,
      headers: [...headers.querySelectorAll('.h-row')].map((r) => ({
        key: r.querySelector('.h-key').value, value: r.querySelector('.h-value').value,
      })).filter((h) => h.key !== ''),
    };
    if (partition.value !== '') body.partition = Number(partition.value);
    send.disabled = true;
    try {
      const r = await api(`topics/${encodeURIComponent(topic.value)}/messages`, { method: 'POST', body });
      const t = encodeURIComponent(r.topic);
      out.replaceChildren(el('p', { class: 'ok', id: 'p-done' },
        `Produced to ${r.topic} partition ${r.partition} at offset ${r.offset}. `,
        el('a', { href: `#/topic/${t}/${r.partition}`, id: 'p-see' }, 'See it in the partition')));
    } catch (err) {
      out.replaceChildren(el('p', { class: 'error', id: 'p-error' }, err.message));
    }
    send.disabled = !c.ui.allow_produce;
  });
  return el('section', { id: 'produce-page' }, el('h1', {}, 'Produce a message'), form, out);
}
