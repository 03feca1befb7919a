// Drives Debian's Chromium (headless) through the operations pages of
// odradek's UI with playwright-core: the coordination tree down to
// /brokers/ids/0 and its JSON, the supervisor's programs and a log tail,
// the charts (SVG paths with points, both themes).
// Usage: node ops.mjs BASE_URL TOPIC GROUP SHOTS_DIR; it prints
// "produce-follow" when the caller should produce to topic ops-ui-follow
// (the broker then logs its auto-creation, which the followed log shows).  Exits non-zero with a
// message on the first failed check; any console error (CSP violations
// included) or page error fails it too.
import { open, check, fail } from './browser.mjs';

const [base, topic, group, shots] = process.argv.slice(2);

let expect404 = false; // the missing-node step asks for a 404 on purpose
const { browser, page, errors } = await open((t) => expect404 && /status of 404/.test(t));
try {

  // ---- coordination tree: / -> brokers -> ids -> 0
  await page.goto(base + '/');
  await page.click('header nav a[href="#/coord"]');
  await page.waitForSelector('#coord-page #coord-children a');
  check((await page.textContent('#coord-page h1')) === 'Coordination tree', 'coord heading');
  // the servers at the root: the bundle's coord answers srvr only
  await page.waitForSelector('#coord-servers tbody tr');
  const srv = await page.$$eval('#coord-servers tbody tr td', (tds) => tds.map((td) => td.textContent));
  check(srv[1] === 'standalone' && Number(srv[2].replace(/,/g, '')) >= 15, `server row ${srv}`);
  check(srv[8].includes('mntr: not in'), `whitelist note ${srv[8]}`);
  await page.screenshot({ path: `${shots}/09-coord-root.png`, fullPage: true });
  for (const seg of ['brokers', 'ids', '0']) {
    await page.click(`#coord-children a:text-is("${seg}")`);
    await page.waitForFunction((s) => document.querySelector('.breadcrumb strong')?.textContent === s, seg);
  }
  await page.waitForSelector('#coord-data');
  const data = await page.textContent('#coord-data');
  check(data.includes('"endpoints"') && data.includes('\n  "'), `pretty JSON of /brokers/ids/0: ${data.slice(0, 80)}`);
  check(JSON.parse(data).endpoints[0].startsWith('PLAINTEXT://'), 'endpoints parsed');
  check((await page.getAttribute('button[data-view=json]', 'aria-pressed')) === 'true', 'JSON view chosen');
  check((await page.textContent('[data-stat=ephemeralOwner]')).startsWith('0x'), 'ephemeral owner shown');
  check((await page.textContent('[data-stat=numChildren]')) === '0', 'no children');
  check((await page.textContent('#coord-page table:last-of-type tbody')).includes('anyone'), 'ACL world:anyone');
  check((await page.textContent('#coord-chroot')).includes('no chroot'), 'chroot note');
  await page.screenshot({ path: `${shots}/10-coord.png`, fullPage: true });
  await page.click('button[data-view=hex]');
  check((await page.textContent('#coord-data')).startsWith('00000000  7b 22'), 'hex view');
  await page.click('button[data-view=text]');
  check((await page.textContent('#coord-data')).startsWith('{"'), 'text view');
  // breadcrumb back up, keyboard: focus the link and press Enter
  await page.focus('.breadcrumb a:text-is("brokers")');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('.breadcrumb strong')?.textContent === 'brokers');
  check(await page.isVisible('#coord-children a:text-is("topics")'), '/brokers/topics listed');
  expect404 = true;
  await page.goto(base + '/#/coord?path=' + encodeURIComponent('/no/such'));
  await page.waitForSelector('#coord-error');
  check((await page.textContent('#coord-error')).includes('no such node'), 'missing node message');
  expect404 = false;

  // children beyond a page: next / previous
  await page.goto(base + '/#/coord?path=' + encodeURIComponent('/many'));
  await page.waitForSelector('#coord-children-pages');
  check((await page.textContent('#coord-children-pages span')) === '1–1,000 of 1,005 (sorted)', 'first page of children');
  check((await page.$$('#coord-children li')).length === 1000, '1000 children listed');
  await page.click('#coord-children-next');
  await page.waitForFunction(() => document.querySelectorAll('#coord-children li').length === 5);
  check((await page.textContent('#coord-children li')) === 'n1000', 'second page starts at n1000');
  check(!(await page.isVisible('#coord-children-next')), 'no next page after the last');

  // ---- supervisor: programs, then the broker's log
  await page.click('header nav a[href="#/supervisor"]');
  await page.waitForSelector('#sv-programs tr[data-name=broker]');
  const progs = await page.$$eval('#sv-programs tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  check(progs.length === 2, `${progs.length} programs`);
  for (const p of progs) check(p[1] === 'READY' && p[2] === 'yes' && Number(p[3]) > 0, `program row ${p}`);
  check(progs.map((p) => p[0]).sort().join() === 'broker,coord', 'coord and broker listed');
  await page.click('button[data-program=broker]');
  await page.waitForFunction(() => (document.querySelector('#sv-log-text')?.textContent || '').includes('http: listening on'));
  check(page.url().endsWith('#/supervisor?program=broker'), 'selection kept in the URL');
  await page.click('#sv-log-refresh');
  await page.waitForFunction(() => (document.querySelector('#sv-log-text')?.textContent || '').includes('http: listening on'));
  await page.screenshot({ path: `${shots}/11-supervisor.png`, fullPage: true });
  // follow: a line the broker logs later shows up without a click
  await page.check('#sv-log-follow');
  const marker = 'auto-created topic ops-ui-follow';
  check(!(await page.textContent('#sv-log-text')).includes(marker), 'marker not there yet');
  console.log('produce-follow'); // the test produces to ops-ui-follow now
  await page.waitForFunction((mk) => (document.querySelector('#sv-log-text')?.textContent || '').includes(mk), marker, { timeout: 15000 });

  // ---- charts: lines with points for the topic and the group
  await page.click('header nav a[href="#/charts"]');
  const pathSel = (box, name) => `#${box} svg.chart path.line[data-series="${name}"]`;
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.points || 0) >= 2,
    pathSel('chart-messages-in', topic), { timeout: 15000 });
  const d = await page.getAttribute(pathSel('chart-messages-in', topic), 'd');
  check(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+$/.test(d), `path data ${d.slice(0, 60)}`);
  await page.waitForSelector(pathSel('chart-lag', group), { state: 'attached' });
  check((await page.textContent('#chart-messages-in figcaption')).includes('messages/s'), 'unit in the caption');
  const axis = await page.$$eval('#chart-bytes-in svg .axis text', (ts) => ts.map((t) => t.textContent));
  check(axis.some((t) => /^[\d.]+ (B|KiB|MiB)$/.test(t)) && axis.some((t) => /^\d\d:\d\d:\d\d$/.test(t)), `axis labels ${axis}`);
  check((await page.textContent('#chart-bytes-in figcaption')).includes('(bytes/s)'), 'bytes/s in the caption');
  check((await page.textContent('#chart-lag .legend')).includes(group), 'group in the lag legend');
  // refreshed every 2 s: the path changes as time moves on
  await page.waitForFunction(([sel, old]) => document.querySelector(sel)?.getAttribute('d') !== old,
    [pathSel('chart-messages-in', topic), d], { timeout: 6000 });
  // read-out: keyboard (focus, arrows) and pointer
  await page.focus('#chart-messages-in svg.chart');
  await page.keyboard.press('ArrowLeft');
  await page.waitForSelector('#chart-messages-in .readout text.time');
  const ro = await page.$$eval('#chart-messages-in .readout text', (ts) => ts.map((t) => t.textContent));
  check(/^\d\d:\d\d:\d\d$/.test(ro[0]) && ro.some((t) => t.startsWith(topic + ': ') && t.endsWith('messages/s')), `read-out ${ro}`);
  const peak = await page.evaluate((sel) => {
    // the pointer on the topic's highest point shows its value
    const p = document.querySelector(sel);
    const pts = p.getAttribute('d').slice(1).split('L').map((xy) => xy.split(',').map(Number));
    return pts.reduce((a, b) => (b[1] < a[1] ? b : a));
  }, pathSel('chart-messages-in', topic));
  const box = await page.$eval('#chart-messages-in svg.chart', (e) => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width]; });
  await page.mouse.move(box[0] + (peak[0] / 640) * box[2], box[1] + (peak[1] / 640) * box[2]);
  await page.waitForFunction((t) => [...document.querySelectorAll('#chart-messages-in .readout text')]
    .some((e) => e.textContent.startsWith(t + ': ') && !e.textContent.startsWith(t + ': 0 ')), topic);
  await page.screenshot({ path: `${shots}/12-charts.png`, fullPage: true });
  await page.mouse.move(0, 0);
  await page.click('#theme'); // system -> light
  const light = await page.$eval(pathSel('chart-messages-in', topic), (p) => getComputedStyle(p).stroke);
  const lightText = await page.$eval('#chart-messages-in svg text', (t) => getComputedStyle(t).fill);
  await page.click('#theme'); // light -> dark
  check(await page.evaluate(() => document.documentElement.dataset.theme) === 'dark', 'dark theme set');
  const dark = await page.$eval(pathSel('chart-messages-in', topic), (p) => getComputedStyle(p).stroke);
  const darkText = await page.$eval('#chart-messages-in svg text', (t) => getComputedStyle(t).fill);
  check(light !== dark && lightText !== darkText, `colours follow the theme (${light} ${dark})`);
  await page.screenshot({ path: `${shots}/13-charts-dark.png`, fullPage: true });
  await page.click('#charts-pause');
  check((await page.textContent('#charts-pause')) === 'Resume', 'pause');
  // leaving the page stops its timer: no more history requests
  let after = 0;
  page.on('request', (r) => { if (r.url().includes('/api/v1/history')) after++; });
  await page.click('#charts-pause');
  await page.click('header nav a[href="#/coord"]');
  await page.waitForSelector('#coord-page');
  await page.waitForTimeout(4500);
  check(after <= 2, `${after} history requests after leaving the charts`);
} finally {
  await browser.close();
}
check(errors.length === 0, 'console errors: ' + errors.join(' | '));
console.log('ok');
