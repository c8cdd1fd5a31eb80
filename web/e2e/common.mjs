// What the dashboard's browser drivers share: the settings from the
// environment, starting Debian's chromium with HTTP Basic credentials,
// locators for cards and member rows, calls to the API, and the watch for
// script errors and requests to other origins.
//
// Environment:
//   REDSET_URL          the server's base URL (or the first argument)
//   REDSET_USER         user name (default admin)
//   REDSET_PASSWORD     password (required)
//   REDSET_SCREENSHOTS  directory for the screenshots (default: a new temporary directory)
//   CHROMIUM            the browser (default /usr/bin/chromium)
//   REDSET_WAIT_MS      how long each expectation may take (default 20000)

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const base = (process.argv[2] || process.env.REDSET_URL || '').replace(/\/+$/, '');
export const user = process.env.REDSET_USER || 'admin';
export const password = process.env.REDSET_PASSWORD || '';
export const shots = process.env.REDSET_SCREENSHOTS || fs.mkdtempSync(path.join(os.tmpdir(), 'redset-shots-'));
export const wait = Number(process.env.REDSET_WAIT_MS) || 20000;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

export const DEMO_SETS = ['redset:demo-web', 'redset:demo-db', 'redset:demo-lb'];

// Chromium's background services try to reach the internet; on a closed
// network they only slow the start, so they are switched off.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function log(name, msg) {
  console.log(`${name}: ${msg}`);
}

export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

export const card = (page, id) => page.locator(`article.set[data-set-id="${id}"]`);
export const row = (page, id, member, attrs) =>
  card(page, id).locator(`tr[data-member="${member}"]${Object.entries(attrs).map(([k, v]) => `[data-${k}="${v}"]`).join('')}`);

// api calls the JSON API from Node (not from the page) as the given user
// and returns the HTTP status and the decoded body.
export async function api(method, apiPath, who, secret, body) {
  const res = await fetch(`${base}${apiPath}`, {
    method,
    headers: {
      Authorization: 'Basic ' + Buffer.from(`${who}:${secret}`).toString('base64'),
      'Content-Type': 'application/json',
      Accept: 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try {
    data = JSON.parse(text);
  } catch {
    data = text;
  }
  return { status: res.status, body: data };
}

// seeTheSets opens the dashboard and waits until the event stream is live
// and every demo set has a card with a status.
export async function seeTheSets(page, name) {
  await page.goto(`${base}/`);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: wait });
  for (const id of DEMO_SETS) {
    await card(page, id).waitFor({ timeout: wait });
    const status = (await card(page, id).locator('.status-text').innerText()).trim();
    check(status !== '', `${id} shows no status`);
    log(name, `${id}: ${status}`);
  }
  log(name, 'the event stream is live and the three demo sets are shown');
}

// watch collects what must not happen: script errors, console errors and
// requests to another origin. Answers the page expects to be refused can
// be excused by their status.
export function watch(page, expectedStatuses = []) {
  const problems = [];
  const origin = new URL(base).origin;
  page.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
  page.on('console', (msg) => {
    const refused = expectedStatuses.some((s) => msg.text().includes(`status of ${s}`));
    if (msg.type() === 'error' && !refused) problems.push(`console error: ${msg.text()}`);
  });
  page.on('request', (req) => {
    if (!req.url().startsWith(origin + '/')) problems.push(`request to another origin: ${req.url()}`);
  });
  return problems;
}

// run starts chromium with the credentials, runs steps(page) with the
// watch, saves a screenshot on failure and exits non-zero on any failure.
export async function run(name, steps, expectedStatuses) {
  try {
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
    const problems = watch(page, expectedStatuses);
    try {
      await steps(page);
      check(problems.length === 0, `the page had problems:\n  ${problems.join('\n  ')}`);
    } catch (err) {
      await page.screenshot({ path: path.join(shots, `${name}-failure.png`), fullPage: true }).catch(() => {});
      if (problems.length) console.error(`page problems:\n  ${problems.join('\n  ')}`);
      throw err;
    } finally {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
    log(name, 'all checks passed');
  } catch (err) {
    console.error(`${name}: FAILED: ${err.stack || err}`);
    process.exit(1);
  }
}
