// Drives the redset dashboard in Debian's chromium: loads it, sees the demo
// sets, fails over redset:demo-web from web-a to web-b through the form and
// its confirmation dialog, returns a drained member to service through its
// button and the same dialog, sees the card and the timeline follow the
// event stream, and saves screenshots at desktop and phone sizes.
//
// Usage: node dashboard.mjs [BASE_URL]
//
// Environment:
//   REDSET_URL          the server's base URL (or the first argument)
//   REDSET_USER         user name (default admin)
//   REDSET_PASSWORD     password (required)
//   REDSET_SCREENSHOTS  directory for the screenshots (default: a new temporary directory)
//   CHROMIUM            the browser (default /usr/bin/chromium)
//   REDSET_WAIT_MS      how long each expectation may take (default 20000)
//
// Every wait is one of Playwright's auto-waiting locators with a timeout;
// nothing sleeps. The exit status is 0 only when every check passed.
//
// package.json pins playwright-core (never the playwright package, which
// downloads browsers) to 1.61.1, the newest release that still runs on
// Debian 12's Node.js 18; it drives the installed chromium over CDP.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const base = (process.argv[2] || process.env.REDSET_URL || '').replace(/\/+$/, '');
const user = process.env.REDSET_USER || 'admin';
const password = process.env.REDSET_PASSWORD || '';
const shots = process.env.REDSET_SCREENSHOTS || fs.mkdtempSync(path.join(os.tmpdir(), 'redset-shots-'));
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const wait = Number(process.env.REDSET_WAIT_MS) || 20000;

const DEMO_SETS = ['redset:demo-web', 'redset:demo-db', 'redset:demo-lb'];

// Chromium's background services try to reach the internet; on a closed
// network they only slow the start, so they are switched off.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function log(msg) {
  console.log(`dashboard: ${msg}`);
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

const card = (page, id) => page.locator(`article.set[data-set-id="${id}"]`);
const row = (page, id, member, attrs) =>
  card(page, id).locator(`tr[data-member="${member}"]${Object.entries(attrs).map(([k, v]) => `[data-${k}="${v}"]`).join('')}`);

// failoverViaForm opens a card's failover form, chooses the members,
// confirms in the dialog and returns the outcome the card shows.
async function failoverViaForm(page, id, from, to) {
  const c = card(page, id);
  const details = c.locator('details.failover');
  if (!(await details.evaluate((d) => d.open))) await c.getByText('Fail over…', { exact: true }).click();
  await c.getByLabel('From', { exact: true }).selectOption(from);
  await c.getByLabel('To', { exact: true }).selectOption(to);
  await c.getByRole('button', { name: 'Continue…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Confirm failover' });
  await dialog.waitFor({ timeout: wait });
  const question = await dialog.locator('#confirm-text').innerText();
  check(question.includes(id) && question.includes(from) && question.includes(to),
    `the dialog asks "${question}", which does not name ${id}, ${from} and ${to}`);
  await dialog.getByRole('button', { name: 'Fail over', exact: true }).click();
  await dialog.waitFor({ state: 'hidden', timeout: wait });
  const result = c.locator('.result.ok, .result.bad', { hasText: `${from} → ${to}:` });
  await result.waitFor({ timeout: wait });
  return result.innerText();
}

async function apiFailover(id, from, to) {
  const res = await fetch(`${base}/api/v1/sets/${encodeURIComponent(id)}/failover`, {
    method: 'POST',
    headers: {
      Authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64'),
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ from, to }),
  });
  const body = await res.json();
  check(res.ok && body.returnValue === 0, `API failover ${from} → ${to}: HTTP ${res.status} ${JSON.stringify(body)}`);
}

async function seeTheSets(page) {
  await page.goto(`${base}/`);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: wait });
  for (const id of DEMO_SETS) {
    await card(page, id).waitFor({ timeout: wait });
    const status = (await card(page, id).locator('.status-text').innerText()).trim();
    check(status !== '', `${id} shows no status`);
    log(`${id}: ${status}`);
  }
  log('the event stream is live and the three demo sets are shown');
}

async function planned(page) {
  // The spare must be healthy before the engine lets it take over; its
  // health arrives through the event stream.
  await row(page, 'redset:demo-web', 'web-b', { role: 'spare', health: 'OK' }).waitFor({ timeout: wait });
  await row(page, 'redset:demo-web', 'web-a', { role: 'inService' }).waitFor({ timeout: wait });
  const outcome = await failoverViaForm(page, 'redset:demo-web', 'web-a', 'web-b');
  check(/^web-a → web-b: 0 Completed/.test(outcome), `the failover shows "${outcome}", want 0 Completed`);
  log(`failover through the form: ${outcome}`);
  await row(page, 'redset:demo-web', 'web-b', { role: 'inService' }).waitFor({ timeout: wait });
  await row(page, 'redset:demo-web', 'web-a', { role: 'spare' }).waitFor({ timeout: wait });
  await page.locator('#timeline li[data-kind="FailoverSucceeded"]', { hasText: 'web-a → web-b' }).first().waitFor({ timeout: wait });
  log('the card shows web-b in service and the timeline shows the failover');
}

async function refused(page) {
  // In the N+1 set db-1 may hand its share to db-2; then draining db-2
  // would leave fewer than MinNumberNeeded members in service.
  const first = await failoverViaForm(page, 'redset:demo-db', 'db-1', 'db-2');
  check(/^db-1 → db-2: 0 /.test(first), `db-1 → db-2 shows "${first}", want 0`);
  await row(page, 'redset:demo-db', 'db-1', { role: 'drained' }).waitFor({ timeout: wait });
  const second = await failoverViaForm(page, 'redset:demo-db', 'db-2', 'db-3');
  check(/^db-2 → db-3: 4 Parameter Error/.test(second), `db-2 → db-3 shows "${second}", want 4 Parameter Error`);
  await page.locator('#timeline li[data-kind="FailoverRefused"]', { hasText: 'db-2 → db-3' }).first().waitFor({ timeout: wait });
  log(`refusal through the form: ${second}`);
}

async function returned(page) {
  // db-1 was drained by the N+1 failover above; its button returns it. The
  // confirmation is taken at phone width, where the button must still fit.
  const id = 'redset:demo-db';
  const c = card(page, id);
  await row(page, id, 'db-1', { role: 'drained' }).waitFor({ timeout: wait });
  await page.setViewportSize({ width: 375, height: 812 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `at 375 px with a drained member the page is ${overflow} px too wide`);
  await c.screenshot({ path: path.join(shots, 'dashboard-phone-drained.png'), animations: 'disabled' });
  await c.getByRole('button', { name: 'Return to service: db-1', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Confirm return to service' });
  await dialog.waitFor({ timeout: wait });
  const question = await dialog.locator('#confirm-text').innerText();
  check(question.includes(id) && question.includes('db-1'), `the dialog asks "${question}", which does not name ${id} and db-1`);
  await page.screenshot({ path: path.join(shots, 'dashboard-phone-return.png'), animations: 'disabled' });
  await dialog.getByRole('button', { name: 'Return to service', exact: true }).click();
  await dialog.waitFor({ state: 'hidden', timeout: wait });
  const result = c.locator('.result.ok, .result.bad', { hasText: 'db-1' });
  await result.waitFor({ timeout: wait });
  const outcome = await result.innerText();
  check(/^db-1 returned to service/.test(outcome), `the return shows "${outcome}", want db-1 returned to service`);
  await row(page, id, 'db-1', { role: 'inService' }).waitFor({ timeout: wait });
  check(await c.locator('button.return').count() === 0, `${id} still offers a return to service`);
  await page.locator('#timeline li[data-kind="MemberReturned"]', { hasText: 'db-1' }).first().waitFor({ timeout: wait });
  await page.setViewportSize({ width: 1280, height: 900 });
  log(`return to service through the button: ${outcome}`);
}

async function live(page) {
  // A change made elsewhere reaches the page only through the event stream.
  await apiFailover('redset:demo-web', 'web-b', 'web-a');
  await row(page, 'redset:demo-web', 'web-a', { role: 'inService' }).waitFor({ timeout: wait });
  await row(page, 'redset:demo-web', 'web-b', { role: 'spare' }).waitFor({ timeout: wait });
  await page.locator('#timeline li[data-kind="FailoverSucceeded"]', { hasText: 'web-b → web-a' }).first().waitFor({ timeout: wait });
  log('a failover made through the API appeared without any action on the page');
}

async function screenshots(page) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, 'dashboard-desktop.png'), fullPage: true, animations: 'disabled' });
  await page.setViewportSize({ width: 375, height: 812 });
  await page.locator('article.set').first().waitFor({ timeout: wait });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `at 375 px the page is ${overflow} px too wide`);
  await page.screenshot({ path: path.join(shots, 'dashboard-phone.png'), fullPage: true, animations: 'disabled' });
  await card(page, 'redset:demo-web').getByText('Fail over…', { exact: true }).click();
  await page.screenshot({ path: path.join(shots, 'dashboard-phone-form.png'), animations: 'disabled' });
  log(`screenshots in ${shots}`);
}

// watch collects what must not happen: script errors, console errors and
// requests to another origin.
function watch(page) {
  const problems = [];
  const origin = new URL(base).origin;
  page.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('request', (req) => {
    if (!req.url().startsWith(origin + '/')) problems.push(`request to another origin: ${req.url()}`);
  });
  return problems;
}

async function main() {
  check(base !== '', 'the base URL is missing: pass it as the first argument or set REDSET_URL');
  check(password !== '', 'REDSET_PASSWORD is not set');
  fs.mkdirSync(shots, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'redset-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    httpCredentials: { username: user, password, origin: new URL(base).origin },
  });
  const page = context.pages()[0] || (await context.newPage());
  const problems = watch(page);
  try {
    await seeTheSets(page);
    await planned(page);
    await refused(page);
    await returned(page);
    await live(page);
    await screenshots(page);
    check(problems.length === 0, `the page had problems:\n  ${problems.join('\n  ')}`);
  } catch (err) {
    await page.screenshot({ path: path.join(shots, 'dashboard-failure.png'), fullPage: true }).catch(() => {});
    if (problems.length) console.error(`page problems:\n  ${problems.join('\n  ')}`);
    throw err;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  log('all checks passed');
}

main().catch((err) => {
  console.error(`dashboard: FAILED: ${err.stack || err}`);
  process.exit(1);
});
