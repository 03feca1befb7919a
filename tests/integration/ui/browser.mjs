// Shared by the browser tests: Debian's Chromium, headless, through
// playwright-core; a page that records console and page errors (a test
// fails on any it did not expect, CSP violations included); check/fail.
import { chromium } from 'playwright-core';

export const fail = (msg) => { console.error('FAIL: ' + msg); process.exit(1); };
export const check = (cond, msg) => { if (!cond) fail(msg); };

// ignore(text): true for a console error the test provokes on purpose.
export async function open(ignore = () => false) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => { if (m.type() === 'error' && !ignore(m.text())) errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.setDefaultTimeout(10000);
  return { browser, page, errors };
}
