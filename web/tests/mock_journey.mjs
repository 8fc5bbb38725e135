// The candidate's read-only screens against the mock (scripts/mock.sh: Prism serving the
// contract's examples), no server or database: the built app (web/dist) is served to Chromium
// from here, its /api/ calls go to the mock. Sign in → draft → history → the browsing screens,
// each audited by axe-core. Prints one JSON line; exits 1 on a failure.
//
// Env: SHOTS (a directory). Needs web/dist (node build.mjs) and web/openapi.json.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, journey, newPage, audit, browse, candidateScreens } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const shots = env('SHOTS');

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const mockUrl = `http://127.0.0.1:${port}`;
const mock = spawn(join(here, '..', '..', 'scripts', 'mock.sh'), [String(port)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
// The mock (its own process group) ends with this script, however it ends.
process.on('exit', () => { try { process.kill(-mock.pid, 'SIGTERM'); } catch {} });
let mockLog = '';
mock.stdout.on('data', (d) => { mockLog += d; });
mock.stderr.on('data', (d) => { mockLog += d; });

// Up when it answers; at most 60 s (Prism reads and resolves the whole contract first).
async function mockReady() {
  for (let i = 0; i < 240; i += 1) {
    try { if ((await fetch(`${mockUrl}/api/v1/ping`)).ok) return; } catch {}
    if (mock.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the mock did not come up: ${mockLog.slice(-2000)}`);
}

const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css' };
const origin = 'http://zhiyuan.mock';
await journey(async (browser, result) => {
  await mockReady();
  const page = await newPage(browser, result);
  await page.route(`${origin}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname.startsWith('/api/')) {
      const response = await route.fetch({ url: `${mockUrl}${url.pathname}${url.search}` });
      return route.fulfill({ response });
    }
    const file = url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname;
    const path = normalize(join(dist, file));
    if (!path.startsWith(dist)) return route.fulfill({ status: 404 });
    try {
      return route.fulfill({ status: 200, contentType: types[extname(path)] || 'application/octet-stream', body: readFileSync(path) });
    } catch {
      return route.fulfill({ status: 404 });
    }
  });
  await page.goto(`${origin}/`);
  await page.waitForSelector('#exam_no');
  await page.fill('#exam_no', '26350102000123');
  await page.fill('#password', 'Sand4Sea8');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#save-draft');
  result.draft_choices = await page.locator('ol.choices > li').count();
  await audit(page, result, 'draft');
  await page.click('nav >> text=历次提交');
  await page.waitForSelector('#chain');
  result.chain = await page.getAttribute('#chain', 'class');
  await browse(page, result, shots, candidateScreens.map(([name, ...rest]) => [`mock-${name}`, ...rest]));
});
