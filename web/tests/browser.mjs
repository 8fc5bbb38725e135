// What the browser journeys share: Debian's headless Chromium on this machine's closed network,
// and axe-core's audit of the page as it stands.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const env = (k) => { if (!process.env[k]) throw new Error(`${k} is not set`); return process.env[k]; };

// No background connections, no sandbox as root (cpp.md).
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Runs a journey: body(browser, result) fills `result`; a thrown error is its failure. Prints
// `result` as one JSON line for the test that runs the script, and exits 1 on a failure.
export async function journey(body) {
  const result = { errors: [], axe: {} };
  const browser = await launch();
  try {
    await body(browser, result);
  } catch (e) {
    result.failure = String(e && e.stack || e);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
  process.exit(result.failure ? 1 : 0);
}

// A page that records its script errors and failed console messages into result.errors.
export async function newPage(browser, result, options = {}) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', ...options });
  const page = await context.newPage();
  page.on('pageerror', (e) => result.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('Failed to load resource')) result.errors.push(m.text()); });
  page.setDefaultTimeout(30000);
  return page;
}

// axe-core on the page as it stands: the serious and critical violations (WCAG 2.2 AA rules).
// Evaluated through the DevTools protocol, so the page's CSP needs no exception for it.
export async function audit(page, result, name) {
  await page.evaluate(axeSource);
  result.axe[name] = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.length}`);
  });
}

// Opens each browsing screen from the menu, waits for `ready`, audits it and takes a picture.
export async function browse(page, result, shots, screens) {
  for (const [name, label, ready] of screens) {
    await page.click(`nav >> text=${label}`);
    await page.waitForSelector(ready);
    await audit(page, result, name);
    await page.screenshot({ path: `${shots}/${name}-390x844.png`, fullPage: true });
    result.screens = [...(result.screens || []), name];
  }
}

// The candidate's browsing screens: menu label, and what shows the screen has its data.
export const candidateScreens = [
  ['plans', '招生计划', '#plans_total'],
  ['scores', '历年分数', '#score_college'],
  ['suggestions', '推荐', 'h3 >> text=冲一冲'],
  ['favorites', '收藏', 'text=把收藏的专业组加入草稿'],
  ['notices', '通知', 'main h2 >> text=通知'],
  ['profile', '个人信息', '#c_phone'],
];
