// The coordination tree (GET /api/v1/coord/node?path=...), read-only:
// breadcrumb, children (click to descend), the node's Stat, its data as
// text, JSON or hex.  Paths are the broker's: relative to the chroot of its
// zookeeper.connect, which the page names.
import { api, el, table, fmtTime, fmtNum, b64bytes, views, useCss } from '../lib.js';

const link = (path, offset) => '#/coord?path=' + encodeURIComponent(path) + (offset ? '&offset=' + offset : '');
const PAGE = 1000; // children per page

function breadcrumb(path) {
  const parts = path.split('/').filter(Boolean);
  const items = [el('a', { href: link('/') }, '/')];
  let acc = '';
  parts.forEach((p, i) => {
    acc += '/' + p;
    if (i) items.push(el('span', { class: 'muted' }, ' / '));
    items.push(i === parts.length - 1 ? el('strong', { 'aria-current': 'page' }, p) : el('a', { href: link(acc) }, p));
  });
  return el('nav', { class: 'breadcrumb', 'aria-label': 'Path' }, items);
}

function statTable(s) {
  const time = (ms) => (ms ? `${fmtTime(ms)} (${ms})` : '0');
  const rows = [
    ['czxid', '0x' + s.czxid.toString(16), 'zxid of the create'],
    ['mzxid', '0x' + s.mzxid.toString(16), 'zxid of the last data change'],
    ['pzxid', '0x' + s.pzxid.toString(16), 'zxid of the last child change'],
    ['ctime', time(s.ctime), 'created'],
    ['mtime', time(s.mtime), 'last modified'],
    ['version', s.version, 'data changes'],
    ['cversion', s.cversion, 'child changes'],
    ['aversion', s.aversion, 'ACL changes'],
    ['ephemeralOwner', s.ephemeralOwner ? s.ephemeralOwnerHex : '0 (persistent)', 'session owning an ephemeral node'],
    ['dataLength', fmtNum(s.dataLength), 'bytes of data'],
    ['numChildren', fmtNum(s.numChildren), 'children'],
  ];
  return table(['field', 'value', ''], rows.map(([k, v, d]) => el('tr', {},
    el('td', { class: 'mono' }, k), el('td', { class: 'mono', 'data-stat': k }, v), el('td', { class: 'muted' }, d))));
}

function dataView(n) {
  if (n.data === null) return el('p', { class: 'muted', id: 'coord-data-null' }, 'null data');
  const bytes = b64bytes(n.data);
  if (!bytes.length) return el('p', { class: 'muted', id: 'coord-data-empty' }, 'no data (0 bytes)');
  const v = views(bytes, n.data);
  const pre = el('pre', { id: 'coord-data' });
  const buttons = [];
  const show = (name) => {
    pre.textContent = name === 'json' ? v.json : v[name];
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.view === name));
  };
  for (const [name, label] of [['text', 'Text'], ['json', 'JSON'], ['hex', 'Hex']]) {
    const b = el('button', { type: 'button', 'data-view': name, 'aria-pressed': 'false', disabled: name === 'json' && v.json === null }, label);
    b.addEventListener('click', () => show(name));
    buttons.push(b);
  }
  show(v.json !== null ? 'json' : 'text');
  return el('div', {},
    el('p', { class: 'toolbar', role: 'group', 'aria-label': 'Data view' }, buttons,
      n.data_truncated ? el('span', { class: 'muted' }, `first ${fmtNum(bytes.length)} of ${fmtNum(n.stat.dataLength)} bytes`) : null),
    pre);
}

// Each server of zookeeper.connect as its mntr/srvr answers describe it
// (GET /api/v1/coord/servers); shown at the root of the tree.
async function servers() {
  const box = el('section', { id: 'coord-servers' }, el('h2', {}, 'Servers'), el('p', { class: 'muted' }, 'Asking mntr and srvr…'));
  try {
    const r = await api('coord/servers');
    const pick = (s, m, k) => (s.mntr && s.mntr[m] !== undefined ? s.mntr[m] : s.srvr && s.srvr[k] !== undefined ? s.srvr[k] : '');
    const num = (v) => (v === '' ? '' : fmtNum(v));
    box.replaceChildren(el('h2', {}, 'Servers'),
      table(['server', 'mode', { label: 'znodes', num: 1 }, { label: 'watches', num: 1 }, { label: 'ephemerals', num: 1 },
        { label: 'connections', num: 1 }, { label: 'avg latency (ms)', num: 1 }, 'version', ''],
      r.servers.map((s) => el('tr', { 'data-server': s.address },
        el('td', { class: 'mono' }, s.address),
        el('td', {}, pick(s, 'zk_server_state', 'Mode')),
        el('td', { class: 'num' }, num(pick(s, 'zk_znode_count', 'Node count'))),
        el('td', { class: 'num' }, num(pick(s, 'zk_watch_count', ''))),
        el('td', { class: 'num' }, num(pick(s, 'zk_ephemerals_count', ''))),
        el('td', { class: 'num' }, num(pick(s, 'zk_num_alive_connections', 'Connections'))),
        el('td', { class: 'num' }, s.mntr?.zk_avg_latency ?? (s.srvr?.['Latency min/avg/max'] || '').split('/')[1] ?? ''),
        el('td', { class: 'muted' }, (pick(s, 'zk_version', 'Zookeeper version') || '').split(',')[0]),
        el('td', { class: s.error && !s.mntr && !s.srvr ? 'error' : 'muted' }, s.error || '')))),
      el('p', { class: 'muted' }, 'From the four-letter words mntr and srvr (a server answers only those in its 4lw.commands.whitelist).'),
      r.servers.filter((s) => s.mntr).map((s) => el('details', {},
        el('summary', {}, `mntr of ${s.address}`),
        table(['key', 'value'], Object.entries(s.mntr).map(([k, v]) => el('tr', {}, el('td', { class: 'mono' }, k), el('td', { class: 'mono' }, v)))))));
  } catch (e) {
    box.replaceChildren(el('h2', {}, 'Servers'), el('p', { class: 'error' }, e.message));
  }
  return box;
}

export async function coord(params) {
  useCss('pages/coord.css');
  const path = params.get('path') || '/';
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const head = el('div', {}, el('h1', {}, 'Coordination tree'), breadcrumb(path));
  let n;
  try {
    n = await api('coord/node?path=' + encodeURIComponent(path) + `&children=${PAGE}&offset=${offset}`);
  } catch (e) {
    const up = path.replace(/\/[^/]*$/, '') || '/';
    return el('section', { id: 'coord-page' }, head,
      el('p', { class: 'error', id: 'coord-error' }, e.status === 503 ? `The broker's coordination session is not available: ${e.message}` : e.message),
      path !== '/' ? el('p', {}, el('a', { href: link(up) }, '↑ up to ' + up)) : null);
  }
  const child = (c) => (path === '/' ? '/' + c : path + '/' + c);
  const kids = n.children.length
    ? el('ul', { class: 'children', id: 'coord-children' }, n.children.map((c) => el('li', {}, el('a', { href: link(child(c)) }, c))))
    : el('p', { class: 'muted', id: 'coord-children' }, 'no children');
  return el('section', { id: 'coord-page' }, head,
    el('p', { class: 'muted', id: 'coord-chroot' }, n.chroot ? `Paths are relative to the broker's chroot ${n.chroot} (zookeeper.connect).` : 'The broker uses no chroot.',
      ' Read-only.'),
    el('div', { class: 'coord-cols' },
      el('div', {},
        el('h2', {}, `Children (${fmtNum(n.children_total)})`),
        path !== '/' ? el('p', {}, el('a', { href: link(path.replace(/\/[^/]*$/, '') || '/') }, '↑ parent')) : null,
        kids,
        n.children_total > n.children.length
          ? el('p', { class: 'toolbar', id: 'coord-children-pages' },
            el('span', { class: 'muted' }, `${fmtNum(n.children_offset + 1)}–${fmtNum(n.children_offset + n.children.length)} of ${fmtNum(n.children_total)} (sorted)`),
            n.children_offset > 0 ? el('a', { href: link(path, Math.max(0, n.children_offset - PAGE)), class: 'button' }, '← previous') : null,
            n.children_truncated ? el('a', { href: link(path, n.children_offset + n.children.length), class: 'button', id: 'coord-children-next' }, 'next →') : null)
          : null),
      el('div', {},
        el('h2', {}, 'Data'), dataView(n),
        el('h2', {}, 'Stat'), statTable(n.stat),
        el('h2', {}, 'ACL'),
        n.acl && n.acl.length
          ? table(['scheme', 'id', 'permissions'], n.acl.map((a) => el('tr', {},
            el('td', { class: 'mono' }, a.scheme), el('td', { class: 'mono' }, a.id), el('td', { class: 'mono', title: 'c create, d delete, r read, w write, a admin' }, a.perms))))
          : el('p', { class: 'muted' }, 'none'))),
    path === '/' ? await servers() : null);
}
