// odradek's web UI: a hash router over pages that read only the JSON API
// under /api/v1/ (docs/API.md).  No framework, no build step.
import { overview } from './pages/overview.js';
import { topic } from './pages/topic.js';
import { browse } from './pages/browse.js';
import { prefs } from './lib.js';

const routes = [
  [/^#?\/?$/, () => overview()],
  [/^#\/topic\/([^/]+)$/, (m) => topic(decodeURIComponent(m[1]))],
  [/^#\/topic\/([^/]+)\/(\d+)$/, (m) => browse(decodeURIComponent(m[1]), Number(m[2]))],
];

async function render() {
  const main = document.getElementById('main');
  const hash = location.hash || '#/';
  for (const [re, page] of routes) {
    const m = hash.split('?')[0].match(re);
    if (m) {
      try {
        main.replaceChildren(await page(m));
      } catch (e) {
        const p = document.createElement('p');
        p.className = 'error';
        p.textContent = String(e.message || e);
        main.replaceChildren(p);
      }
      return;
    }
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
window.addEventListener('hashchange', render);
render();
