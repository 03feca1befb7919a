// Create a topic: name, partitions, replication factor (1: one broker) and
// configuration overrides; the broker checks them as CreateTopics does.
import { api, cluster, el, useCss } from '../lib.js';

export async function newtopic() {
  useCss('pages/newtopic.css');
  const c = await cluster();
  const name = el('input', { id: 't-name', required: true, maxlength: 249, size: 40, autocomplete: 'off' });
  const parts = el('input', { id: 't-partitions', type: 'number', min: 1, max: 10000, class: 'narrow', placeholder: 'default' });
  const rf = el('input', { id: 't-rf', type: 'number', min: 1, max: 1, value: 1, class: 'narrow' });
  const confs = el('div', { id: 't-configs' });
  const add = el('button', { type: 'button', id: 't-add-config' }, 'Add config');
  const create = el('button', { type: 'submit', id: 't-create' }, 'Create topic');
  const out = el('div', { id: 't-result', 'aria-live': 'polite' });
  let n = 0;

  function confRow(k = '', v = '') {
    const i = n++;
    const ck = el('input', { class: 'c-key', id: `t-ck-${i}`, value: k, size: 28, placeholder: 'retention.ms' });
    const cv = el('input', { class: 'c-value', id: `t-cv-${i}`, value: v, size: 24 });
    const rm = el('button', { type: 'button', 'aria-label': `remove config ${i + 1}` }, '×');
    const row = el('div', { class: 'c-row' },
      el('label', { for: ck.id }, 'key '), ck, el('label', { for: cv.id }, ' value '), cv, ' ', rm);
    rm.addEventListener('click', () => row.remove());
    confs.append(row);
    return ck;
  }
  add.addEventListener('click', () => confRow().focus());

  const form = el('form', { id: 'newtopic-form', class: 'newtopic-form' },
    el('div', { class: 'row' }, el('label', { for: 't-name' }, 'Name'), name,
      el('span', { class: 'muted' }, ' letters, digits, . _ -')),
    el('div', { class: 'row' }, el('label', { for: 't-partitions' }, 'Partitions'), parts,
      el('span', { class: 'muted' }, ' empty: the broker\'s num.partitions')),
    el('div', { class: 'row' }, el('label', { for: 't-rf' }, 'Replication factor'), rf,
      el('span', { class: 'muted' }, ' one broker: 1')),
    el('div', { class: 'row' }, el('span', { class: 'label' }, 'Configs'), el('div', {}, confs, add)),
    el('div', { class: 'row' }, el('span', { class: 'label' }), create));
  if (c.ui.read_only) {
    create.disabled = true;
    out.append(el('p', { class: 'muted', id: 't-refused' }, 'The UI is read-only (http.read.only=true): topics cannot be created here.'));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { name: name.value.trim(), replication_factor: Number(rf.value) || 1, configs: {} };
    if (parts.value !== '') body.partitions = Number(parts.value);
    for (const r of confs.querySelectorAll('.c-row')) {
      const k = r.querySelector('.c-key').value.trim();
      if (k) body.configs[k] = r.querySelector('.c-value').value;
    }
    create.disabled = true;
    try {
      const t = await api('topics', { method: 'POST', body });
      location.hash = '#/topic/' + encodeURIComponent(t.name);
    } catch (err) {
      out.replaceChildren(el('p', { class: 'error', id: 't-error' }, err.message));
      create.disabled = false;
    }
  });
  setTimeout(() => name.focus(), 0);
  return el('section', { id: 'newtopic-page' },
    el('p', {}, el('a', { href: '#/' }, '← Overview')),
    el('h1', {}, 'New topic'), form, out);
}
