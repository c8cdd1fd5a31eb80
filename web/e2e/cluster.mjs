// Drives the dashboard of one server of a three-server cluster in Debian's
// chromium: the cluster strip appears, lists the three servers, tags the
// leader and the server that answers the page; then, once the caller has
// killed the leader (it waits for the line "strip-ok" on this script's
// output before doing so), the strip names another leader and no longer
// lists the dead server.
//
// Usage: node cluster.mjs [BASE_URL]; the environment is described in
// common.mjs, plus:
//   REDSET_LEADER   the name of the leader when the page opens
//   REDSET_SELF     the name of the server that answers the page
//   REDSET_SERVERS  the names of every server, comma-separated

import path from 'node:path';
import { base, check, log as say, run, shots, wait } from './common.mjs';

const log = (msg) => say('cluster', msg);
const leader = process.env.REDSET_LEADER || '';
const self = process.env.REDSET_SELF || '';
const servers = (process.env.REDSET_SERVERS || '').split(',').filter(Boolean);

// strip reads what the strip shows.
async function strip(page) {
  return page.evaluate(() => {
    const el = document.getElementById('cluster');
    const items = [...el.querySelectorAll('li.cluster-server')];
    const name = (li) => li.firstChild.textContent.trim();
    return {
      hidden: el.hidden || !el.checkVisibility(),
      summary: document.getElementById('cluster-summary').textContent,
      names: items.map(name).sort(),
      leaders: items.filter((li) => li.classList.contains('is-leader')).map(name),
      selves: items.filter((li) => li.classList.contains('is-self')).map(name),
      tags: items.map((li) => [...li.querySelectorAll('.cluster-tag')].map((t) => t.textContent).join('+')),
    };
  });
}

// until polls the strip until ok(s) holds, or fails after the wait.
async function until(page, what, ok) {
  const deadline = Date.now() + wait;
  let s = await strip(page);
  while (!ok(s)) {
    check(Date.now() < deadline, `${what}: the strip shows ${JSON.stringify(s)}`);
    await page.waitForTimeout(100);
    s = await strip(page);
  }
  return s;
}

async function firstView(page) {
  await page.goto(`${base}/`);
  const s = await until(page, 'the strip with every server and the leader', (v) => !v.hidden &&
    v.names.length === servers.length && v.leaders.length === 1);
  check(JSON.stringify(s.names) === JSON.stringify([...servers].sort()), `the strip lists ${s.names}, want ${servers}`);
  check(s.leaders[0] === leader, `the strip tags ${s.leaders[0]} as leader, want ${leader}`);
  check(s.selves.length === 1 && s.selves[0] === self, `the strip tags ${s.selves} as this server, want ${self}`);
  check(s.summary.includes(`${servers.length} servers`) && s.summary.includes(`leader: ${leader}`),
    `the summary says "${s.summary}"`);
  check(s.tags.includes('leader') && s.tags.includes('this server'), `the tags are ${JSON.stringify(s.tags)}`);
  await page.screenshot({ path: path.join(shots, 'dashboard-cluster.png'), fullPage: true, animations: 'disabled' });
  log(`the strip says "${s.summary}"`);
}

async function afterTheLeaderDied(page) {
  console.log('strip-ok');
  const s = await until(page, 'a new leader, without the dead one', (v) => v.leaders.length === 1 &&
    v.leaders[0] !== leader && !v.names.includes(leader));
  check(s.names.includes(self), `the strip no longer lists this server: ${s.names}`);
  log(`new leader: ${s.leaders[0]} ("${s.summary}")`);
}

run('cluster', async (page) => {
  await firstView(page);
  await afterTheLeaderDied(page);
});
