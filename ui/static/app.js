// odradek's web UI: a hash router over pages that read only the JSON API
// under /api/v1/ (docs/API.md).  No framework, no build step.  Each page is
// a module in pages/, loaded when first visited; pages/<name>.js exports a
// function <name>(...pathArgs, params) that returns the page's element.
import { prefs, auth, leave, el } from './lib.js';

const dec = decodeURIComponent;
const routes = [
  [/^#?\/?$/, 'overview', () => []],
  [/^#\/topic\/([^/]+)$/, 'topic', (m) => [dec(m[1])]],
  [/^#\/topic\/([^/]+)\/(\d+)$/, 'browse', (m) => [dec(m[1]), Number(m[2])]],
  [/^#\/tail\/([^/]+)$/, 'tail', (m) => [dec(m[1])]],
  [/^#\/search\/([^/]+)$/, 'search', (m) => [dec(m[1])]],
  [/^#\/groups$/, 'groups', () => []],
  [/^#\/group\/([^/]+)$/, 'group', (m) => [dec(m[1])]],
  [/^#\/produce$/, 'produce', () => []],
  [/^#\/new-topic$/, 'newtopic', () => []],
  [/^#\/coord$/, 'coord', () => []],
  [/^#\/supervisor$/, 'supervisor', () => []],
  [/^#\/charts$/, 'charts', () => []],
  [/^#\/login$/, null, () => []],
];

function login() {
  const input = el('input', { type: 'password', id: 'token', autocomplete: 'current-password', 'aria-label': 'Token' });
  const form = el('form', { class: 'login' },
    el('h1', {}, 'Sign in'),
    el('p', {}, 'This broker asks for a token (http.auth=token).'),
    el('label', { for: 'token' }, 'Token '), input, ' ',
    el('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    auth.token = input.value;
    history.back();
  });
  setTimeout(() => input.focus(), 0);
  return form;
}

async function render() {
  const main = document.getElementById('main');
  const hash = location.hash || '#/';
  const [path, query] = hash.split('?');
  const params = new URLSearchParams(query || '');
  leave();
  for (const [re, name, args] of routes) {
    const m = path.match(re);
    if (!m) continue;
    try {
      if (name === null) {
        main.replaceChildren(login());
      } else {
        const mod = await import(`./pages/${name}.js`);
        main.replaceChildren(await mod[name](...args(m), params));
      }
    } catch (e) {
      main.replaceChildren(el('p', { class: 'error' }, String(e.message || e)));
    }
    // the nav entry a page belongs to: a group under Groups, topics under Overview
    const section = /^#\/group\//.test(path) ? '#/groups'
      : /^#\/(topic|tail|search|new-topic)\b/.test(path) || path === '#/' || path === '' ? '#/'
        : path;
    for (const a of document.querySelectorAll('header nav a')) {
      const href = a.getAttribute('href');
      a.classList.toggle('active', href === '#/' ? section === '#/' : section.startsWith(href));
      if (a.classList.contains('active')) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    return;
  }
  main.textContent = 'Not found';
}

function setupToggles() {
  const theme = document.getElementById('theme');
  const tz = document.getElementById('tz');
  const applyTheme = () => {
    const t = prefs.theme;
    if (t === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = t;
    theme.textContent = 'Theme: ' + t;
  };
  theme.addEventListener('click', () => {
    prefs.theme = { system: 'light', light: 'dark', dark: 'system' }[prefs.theme];
    applyTheme();
  });
  const applyTz = () => { tz.textContent = prefs.utc ? 'UTC' : 'Local time'; };
  tz.addEventListener('click', () => { prefs.utc = !prefs.utc; applyTz(); render(); });
  applyTheme();
  applyTz();
}

setupToggles();
window.addEventListener('odradek-auth', () => {
  if (location.hash !== '#/login') location.hash = '#/login';
});
window.addEventListener('hashchange', render);
render();
