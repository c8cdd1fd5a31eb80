// Drives the redset dashboard in Debian's chromium: loads it, sees the demo
// sets, fails over redset:demo-web from web-a to web-b through the form and
// its confirmation dialog, returns a drained member to service through its
// button and the same dialog, sees the card and the timeline follow the
// event stream, saves screenshots at desktop and phone sizes, sees that
// the form proposes no failed member as the target, and sees a frontend
// given to a set through the API appear on its card and go again, and
// lists a subscription to indications and deletes it.
//
// Usage: node dashboard.mjs [BASE_URL]; the environment is described in
// common.mjs.
//
// Every wait is one of Playwright's auto-waiting locators with a timeout;
// nothing sleeps. The exit status is 0 only when every check passed.
//
// package.json pins playwright-core (never the playwright package, which
// downloads browsers) to 1.61.1, the newest release that still runs on
// Debian 12's Node.js 18; it drives the installed chromium over CDP.

import path from 'node:path';
import { api, card, check, log as say, password, row, run, seeTheSets as open, shots, user, wait } from './common.mjs';

const log = (msg) => say('dashboard', msg);

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
  const res = await api('POST', `/api/v1/sets/${encodeURIComponent(id)}/failover`, user, password, { from, to });
  check(res.status === 200 && res.body.returnValue === 0, `API failover ${from} → ${to}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
}

async function seeTheSets(page) {
  await open(page, 'dashboard');
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

// noHealthyTarget: while the spare web-b is failed, the form of demo-web
// proposes no target (a failed member would only be refused), and once
// web-b is healthy again the redrawn form proposes it.
async function noHealthyTarget(page) {
  const id = 'redset:demo-web';
  const c = card(page, id);
  await row(page, id, 'web-b', { role: 'spare', health: 'OK' }).waitFor({ timeout: wait });
  const fail = await api('POST', '/api/v1/demo/members/web-b/fail', user, password);
  check(fail.status < 300, `demo fail web-b: HTTP ${fail.status} ${JSON.stringify(fail.body)}`);
  await row(page, id, 'web-b', { role: 'spare', health: 'Failed' }).waitFor({ timeout: wait });
  const details = c.locator('details.failover');
  if (!(await details.evaluate((d) => d.open))) await c.getByText('Fail over…', { exact: true }).click();
  const to = c.getByLabel('To', { exact: true });
  check(await to.inputValue() === '', `with web-b failed the form proposes "${await to.inputValue()}", want no member`);
  const heal = await api('POST', '/api/v1/demo/members/web-b/heal', user, password);
  check(heal.status < 300, `demo heal web-b: HTTP ${heal.status} ${JSON.stringify(heal.body)}`);
  await row(page, id, 'web-b', { role: 'spare', health: 'OK' }).waitFor({ timeout: wait });
  await c.locator('select[name=to] option[value="web-b"]:checked').waitFor({ state: 'attached', timeout: wait });
  log('a failed spare is not proposed as the target; a healthy one is');
}

// frontend: a frontend given to redset:demo-db through the API appears on
// its card (the change arrives through the event stream), and goes when
// the frontend is removed.
async function frontend(page) {
  const id = 'redset:demo-db';
  const fact = card(page, id).locator('.facts .frontend', { hasText: '127.0.0.1:0' });
  const add = await api('PATCH', `/api/v1/sets/${encodeURIComponent(id)}`, user, password, { frontend: { listen: '127.0.0.1:0' } });
  check(add.status === 200, `giving ${id} a frontend: HTTP ${add.status} ${JSON.stringify(add.body)}`);
  await fact.waitFor({ timeout: wait });
  log(`${id} shows its frontend: ${await fact.innerText()}`);
  const remove = await api('PATCH', `/api/v1/sets/${encodeURIComponent(id)}`, user, password, { frontend: null });
  check(remove.status === 200, `removing ${id}'s frontend: HTTP ${remove.status} ${JSON.stringify(remove.body)}`);
  await card(page, id).locator('.facts .frontend').waitFor({ state: 'detached', timeout: wait });
  log(`${id}'s frontend is gone from its card`);
}

// subscriptions: the subscription the test made before the page opened
// (a WS-Management Pull subscription of the admin's) is listed with its
// query; deleting it through its button and the dialog empties the table.
async function subscriptions(page) {
  const section = page.locator('#subscriptions');
  const rowEl = section.locator('#subs-rows tr', { hasText: 'Msvm_FailoverIndication' });
  await rowEl.waitFor({ timeout: wait });
  const text = await rowEl.innerText();
  check(/WS-Man Pull/.test(text) && /admin/.test(text), `the subscription's row reads "${text}"`);
  await rowEl.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete subscription' });
  await dialog.waitFor({ timeout: wait });
  await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
  await section.locator('#subs-empty').waitFor({ state: 'visible', timeout: wait });
  check(await section.locator('#subs-rows tr').count() === 0, 'a deleted subscription is still listed');
  log('the subscription was listed and deleted from the page');
}

run('dashboard', async (page) => {
  await seeTheSets(page);
  await planned(page);
  await refused(page);
  await returned(page);
  await live(page);
  await screenshots(page);
  await noHealthyTarget(page);
  await frontend(page);
  await subscriptions(page);
});
