// The admissions office's journey in headless Chromium against a real server: sign in at /office/
// → the unit's figures and its candidates without a formal submission → a reason recorded for
// one of them → the whole list exported as CSV (read back from the download) → a chase reminder
// to all of them. Each screen audited by axe-core. Prints one JSON line for the test that runs it
// (tests/server/web_office_test.cpp), which checks it against the database.
//
// Env: BASE_URL, USERNAME, PASSWORD, SHOTS.
import { readFileSync } from 'node:fs';
import { env, journey, newPage, audit } from './browser.mjs';

const base = env('BASE_URL');
const shots = env('SHOTS');
await journey(async (browser, result) => {
  const page = await newPage(browser, result, { viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  await page.goto(`${base}/office/`);
  await page.waitForSelector('#username');
  await audit(page, result, 'office_login');
  await page.fill('#username', env('USERNAME'));
  await page.fill('#password', env('PASSWORD'));
  await page.keyboard.press('Enter');
  await page.waitForSelector('#export');
  await audit(page, result, 'office_unit');
  await page.screenshot({ path: `${shots}/office-unit-1366x768.png`, fullPage: true });
  result.rows = await page.locator('main tbody tr').count();

  // A reason for the first listed candidate who has none.
  const pick = page.locator('main select[id^=reason-]').first();
  result.reason_exam_no = (await pick.getAttribute('id')).slice('reason-'.length);
  await pick.selectOption('abroad');
  await page.waitForSelector('text=已记录');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.split(/\r?\n/).filter(Boolean);
  result.csv = { name: download.suggestedFilename(), lines: lines.length, has_exam: csv.includes(result.reason_exam_no), header: lines[0] };

  await page.click('#chase');
  await page.waitForSelector('#chased, [role=alert]');
  result.chased = await page.textContent('#chased').catch(() => null);
  result.recipients = Number((result.chased || '').match(/已向 (\d+) 名/)?.[1] ?? -1);
  await audit(page, result, 'office_chased');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${shots}/office-unit-390x844.png`, fullPage: true });
});
