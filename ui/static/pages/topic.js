// A topic: its partitions (offsets, size, segments) and overridden configs,
// and its administration where the broker allows it: edit the config
// overrides (validated as IncrementalAlterConfigs), add partitions, delete
// the topic (after typing its name).
import { api, cluster, el, table, fmtBytes, fmtNum, useCss } from '../lib.js';

export async function topic(name) {
  useCss('pages/topic.css');
  const [t, c] = await Promise.all([api('topics/' + encodeURIComponent(name)), cluster()]);
  const enc = encodeURIComponent(name);
  const root = el('section', { id: 'topic-page' },
    el('p', {}, el('a', { href: '#/' }, '← Overview')),
    el('h1', {}, name, t.internal ? el('span', { class: 'muted' }, ' (internal)') : null),
    el('p', { class: 'toolbar', id: 'topic-actions' },
      el('a', { href: `#/tail/${enc}`, class: 'button' }, 'Live tail'),
      el('a', { href: `#/search/${enc}`, class: 'button' }, 'Search'),
      c.ui.allow_produce ? el('a', { href: `#/produce?topic=${enc}`, class: 'button' }, 'Produce') : null),
    el('h2', {}, 'Partitions'),
    table(['partition', 'leader', { label: 'log start', num: 1 }, { label: 'high watermark', num: 1 },
      { label: 'messages', num: 1 }, { label: 'size', num: 1 }, { label: 'segments', num: 1 }, ''],
    t.partitions.map((p) => el('tr', {},
      el('td', {}, p.partition), el('td', {}, p.leader),
      el('td', { class: 'num' }, fmtNum(p.log_start_offset)), el('td', { class: 'num' }, fmtNum(p.high_watermark)),
      el('td', { class: 'num' }, fmtNum(p.high_watermark - p.log_start_offset)),
      el('td', { class: 'num' }, fmtBytes(p.size)), el('td', { class: 'num' }, p.segments.length),
      el('td', {}, el('a', { href: `#/topic/${enc}/${p.partition}` }, 'messages'))))),
    el('h2', {}, 'Configuration overrides'),
    el('div', { id: 'topic-configs' }, configsView(t.configs)));
  if (!c.ui.read_only && !t.internal) root.append(configForm(t), partitionsForm(t));
  if (c.ui.allow_delete && c.ui.delete_topic_enable && !t.internal) root.append(deleteForm(t));
  return root;
}

function configsView(configs) {
  return Object.keys(configs).length
    ? table(['key', 'value'], Object.entries(configs).map(([k, v]) => el('tr', {}, el('td', { class: 'mono' }, k), el('td', { class: 'mono' }, v))))
    : el('p', { class: 'muted' }, 'none: every value is the broker default');
}

// Edit the overrides: change or remove the existing ones, add new ones;
// everything is sent as one {"set", "delete"} request.
function configForm(t) {
  const rows = el('div', { id: 'cfg-rows' });
  const msg = el('div', { 'aria-live': 'polite', id: 'cfg-result' });
  let n = 0;
  function row(k, v, existing) {
    const i = n++;
    const key = el('input', { class: 'cfg-key mono', id: `cfg-k-${i}`, value: k, size: 28, readonly: existing, placeholder: 'retention.ms' });
    const val = el('input', { class: 'cfg-value mono', id: `cfg-v-${i}`, value: v, size: 24 });
    const del = el('input', { type: 'checkbox', class: 'cfg-del', id: `cfg-d-${i}` });
    const r = el('div', { class: 'cfg-row', 'data-existing': existing ? '1' : null },
      el('label', { for: key.id }, 'key '), key, el('label', { for: val.id }, ' value '), val,
      el('label', {}, ' ', del, existing ? ' reset to default' : ' skip'));
    rows.append(r);
    return key;
  }
  for (const [k, v] of Object.entries(t.configs)) row(k, v, true);
  const add = el('button', { type: 'button', id: 'cfg-add' }, 'Add override');
  add.addEventListener('click', () => row('', '', false).focus());
  const save = el('button', { type: 'submit', id: 'cfg-save' }, 'Save configs');
  const form = el('form', { id: 'cfg-form' }, rows, el('div', { class: 'toolbar' }, add, save), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const set = {};
    const del = [];
    for (const r of rows.querySelectorAll('.cfg-row')) {
      const k = r.querySelector('.cfg-key').value.trim();
      const v = r.querySelector('.cfg-value').value;
      if (!k) continue;
      if (r.querySelector('.cfg-del').checked) { if (r.dataset.existing) del.push(k); } else if (!r.dataset.existing || t.configs[k] !== v) set[k] = v;
    }
    try {
      const res = await api(`topics/${encodeURIComponent(t.name)}/configs`, { method: 'PUT', body: { set, delete: del } });
      t.configs = res.configs;
      document.getElementById('topic-configs').replaceChildren(configsView(res.configs));
      rows.replaceChildren();
      for (const [k, v] of Object.entries(res.configs)) row(k, v, true);
      msg.replaceChildren(el('p', { class: 'ok', id: 'cfg-saved' }, 'Saved.'));
    } catch (err) {
      msg.replaceChildren(el('p', { class: 'error', id: 'cfg-error' }, err.message));
    }
  });
  return el('section', { id: 'topic-config-edit' }, el('h2', {}, 'Edit configuration'), form);
}

function partitionsForm(t) {
  const count = el('input', { type: 'number', id: 'part-count', min: t.partitions.length + 1, value: t.partitions.length + 1, class: 'narrow' });
  const go = el('button', { type: 'submit', id: 'part-add' }, 'Add partitions');
  const msg = el('span', { 'aria-live': 'polite' });
  const form = el('form', { class: 'toolbar' }, el('label', { for: 'part-count' }, 'New partition count '), count, go, msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api(`topics/${encodeURIComponent(t.name)}/partitions`, { method: 'POST', body: { count: Number(count.value) } });
      window.dispatchEvent(new HashChangeEvent('hashchange')); // re-render this page
    } catch (err) {
      msg.textContent = err.message;
      msg.className = 'error';
    }
  });
  return el('section', { id: 'topic-partitions-edit' }, el('h2', {}, 'Add partitions'),
    el('p', { class: 'muted' }, 'Partitions can be added, never removed; keys may map to other partitions afterwards.'), form);
}

function deleteForm(t) {
  const confirmName = el('input', { id: 'del-confirm', size: 30, autocomplete: 'off' });
  const go = el('button', { type: 'submit', id: 'del-topic', disabled: true, class: 'danger' }, 'Delete topic');
  const msg = el('span', { 'aria-live': 'polite' });
  confirmName.addEventListener('input', () => { go.disabled = confirmName.value !== t.name; });
  const form = el('form', { class: 'toolbar' },
    el('label', { for: 'del-confirm' }, `Type ${t.name} to confirm `), confirmName, go, msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (confirmName.value !== t.name) return;
    try {
      await api('topics/' + encodeURIComponent(t.name), { method: 'DELETE' });
      location.hash = '#/';
    } catch (err) {
      msg.textContent = err.message;
      msg.className = 'error';
    }
  });
  return el('section', { id: 'topic-delete' }, el('h2', {}, 'Delete topic'),
    el('p', { class: 'muted' }, 'Deletes every partition and its messages. This cannot be undone.'), form);
}
