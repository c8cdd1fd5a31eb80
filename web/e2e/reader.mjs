// Drives the redset dashboard in Debian's chromium as a user whose role is
// reader: the page shows the sets, members and timeline, offers no
// failover form and no return-to-service button (neither in the server's
// first render nor after the script redraws a card from the event stream),
// tells hook deliveries in words, and the API still refuses the reader's
// failover and return to service when the page is bypassed.
//
// Usage: node reader.mjs [BASE_URL]; the environment is described in
// common.mjs. REDSET_USER and REDSET_PASSWORD name the reader;
// REDSET_ADMIN_USER and REDSET_ADMIN_PASSWORD name a user who may fail
// over, whose changes the page must follow.

import path from 'node:path';
import { api, check, log as say, row, run, seeTheSets, shots, user, wait } from './common.mjs';

const log = (msg) => say('reader', msg);
const adminUser = process.env.REDSET_ADMIN_USER || 'admin';
const adminPassword = process.env.REDSET_ADMIN_PASSWORD || '';

// noWriteControls checks that no card offers a change.
async function noWriteControls(page, when) {
  const counts = await page.evaluate(() => ({
    forms: document.querySelectorAll('form.failover-form, details.failover').length,
    returns: document.querySelectorAll('button.return').length,
    notes: document.querySelectorAll('.no-failover').length,
    failOver: [...document.querySelectorAll('summary, button')]
      .filter((el) => el.checkVisibility() && /Fail over|Return to service/.test(el.textContent)).length,
  }));
  check(counts.forms === 0 && counts.returns === 0 && counts.notes === 0 && counts.failOver === 0,
    `${when}: the reader is offered changes: ${JSON.stringify(counts)}`);
}

async function firstRender(page) {
  await seeTheSets(page, 'reader');
  const who = await page.locator('.user').innerText();
  check(who.includes(user) && who.includes('reader'), `the header says "${who}", want the user and the role reader`);
  await noWriteControls(page, 'first render');
  log(`no write controls in the first render (${who.trim()})`);
}

// drainedLive drains db-1 as the administrator; the reader's page must
// redraw the card from the stream without a return button, and tell the
// hook delivery for that failover in words.
async function drainedLive(page) {
  for (const m of ['db-1', 'db-2', 'db-3']) {
    await row(page, 'redset:demo-db', m, { role: 'inService', health: 'OK' }).waitFor({ timeout: wait });
  }
  const res = await api('POST', '/api/v1/sets/redset%3Ademo-db/failover', adminUser, adminPassword, { from: 'db-1', to: 'db-2' });
  check(res.status === 200 && res.body.returnValue === 0, `admin failover db-1 → db-2: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  await row(page, 'redset:demo-db', 'db-1', { role: 'drained' }).waitFor({ timeout: wait });
  await noWriteControls(page, 'after a live redraw with a drained member');
  const hook = page.locator('#timeline li[data-kind="HookDelivered"]', { hasText: 'notify ran for the failover' }).first();
  await hook.waitFor({ timeout: wait });
  const label = (await hook.locator('.ev-label').innerText()).trim();
  check(label === 'Hook', `the hook delivery is labelled "${label}", want Hook`);
  log(`the live card has no return button; the timeline says "${(await hook.locator('.ev-text').innerText()).trim()}"`);
}

// refused sends the reader's changes from the page itself, as a user
// bypassing the hidden controls would: the API answers 403 and nothing
// changes.
async function refused(page) {
  const statuses = await page.evaluate(async () => {
    const post = (url, body) => fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body && JSON.stringify(body),
    }).then((r) => r.status);
    return {
      failover: await post('/api/v1/sets/redset%3Ademo-web/failover', { from: 'web-a', to: 'web-b' }),
      enable: await post('/api/v1/sets/redset%3Ademo-db/members/db-1/enable'),
    };
  });
  check(statuses.failover === 403 && statuses.enable === 403, `the reader's changes got ${JSON.stringify(statuses)}, want 403 for both`);
  const web = await api('GET', '/api/v1/sets/redset%3Ademo-web', adminUser, adminPassword);
  const roles = Object.fromEntries(web.body.members.map((m) => [m.name, m.role]));
  check(roles['web-a'] === 'inService' && roles['web-b'] === 'spare', `after the refused failover demo-web is ${JSON.stringify(roles)}`);
  await row(page, 'redset:demo-db', 'db-1', { role: 'drained' }).waitFor({ timeout: wait });
  log(`the API refused the reader: ${JSON.stringify(statuses)}`);
}

// reloaded: the server's own render of the same state has no controls
// either, and tells the hook delivery in the same words.
async function reloaded(page) {
  await seeTheSets(page, 'reader');
  await row(page, 'redset:demo-db', 'db-1', { role: 'drained' }).waitFor({ timeout: wait });
  await noWriteControls(page, 'first render with a drained member');
  const hook = page.locator('#timeline li[data-kind="HookDelivered"]', { hasText: 'notify ran for the failover' }).first();
  await hook.waitFor({ timeout: wait });
  await page.screenshot({ path: path.join(shots, 'dashboard-reader.png'), fullPage: true, animations: 'disabled' });
  log('the server-rendered page has no write controls and the same hook words');
}

run('reader', async (page) => {
  await firstRender(page);
  await drainedLive(page);
  await refused(page);
  await reloaded(page);
}, [403]);
