// The dashboard end to end: a real postlab on SQLite, Debian's Chromium, a person's clicks.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launch, watch } from './browser.mjs';
import { call, startPostlab } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, 'screenshots');
const tiktok = join(here, '../../api/testdata/tiktok_content.csv');
const bin = process.env.POSTLAB_BIN;
assert.ok(bin, 'POSTLAB_BIN must name a built postlab binary');

let srv, browser;
before(async () => {
  mkdirSync(shots, { recursive: true });
  srv = await startPostlab(bin);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const hoursAgo = (h) => new Date(Date.now() - h * 3.6e6).toISOString();

/** seed logs posts as a team's script would: two accounts, both variants, numbers read at 24 h. */
async function seed(expKey) {
  const snaps = [];
  let n = 0;
  for (const account of ['ifrc', 'redcross']) {
    for (const [variant, scale] of [['morning', 1], ['evening', 1.6]]) {
      for (let i = 0; i < 6; i++) {
        const age = 48 + 24 * n++;
        const post = await call(srv, 'POST', `/v1/experiments/${expKey}/posts`, {
          variant_key: variant, account, external_id: `seed-${n}`, posted_at: hoursAgo(age), timezone: 'Europe/Zurich' });
        const views = Math.round(scale * (8000 + 900 * ((i * 7) % 5) + (account === 'ifrc' ? 3000 : 0)));
        snaps.push({ post_id: post.id, observed_at: hoursAgo(age - 24), views, likes: Math.round(views / 20),
          comments: 10 + i, shares: 30 + i, saves: 5 });
        snaps.push({ post_id: post.id, observed_at: hoursAgo(age - 6), views: Math.round(views * 0.55), likes: 100, comments: 4, shares: 9, saves: 1 });
      }
    }
  }
  await call(srv, 'POST', '/v1/snapshots:batch', { snapshots: snaps });
}

test('a team runs an experiment from the dashboard', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = watch(page, [srv.url]);
  page.setDefaultTimeout(15000);
  t.after(async () => {
    if (problems.length || !t.passed) await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
  });

  // No key yet: the page says how to get one, and takes one.
  await page.goto(srv.url + '/');
  await page.getByText('postlab workspace create NAME').waitFor();
  await page.getByLabel('API key').fill('not-a-key');
  await page.getByRole('button', { name: 'Use this key' }).click();
  await page.getByRole('alert').filter({ hasText: /key/i }).first().waitFor();
  await page.getByLabel('API key').fill(srv.key);
  await page.getByRole('button', { name: 'Use this key' }).click();
  await page.getByRole('heading', { name: 'Experiments', exact: true }).waitFor();

  // A field at fault shows the API's message beside it.
  await page.getByLabel('Name', { exact: true }).fill('Evening vs morning');
  await page.getByLabel('Key (short id, optional)').fill('Evening Morning!');
  await page.getByRole('button', { name: 'Create experiment' }).click();
  const keyError = page.locator('.field.bad', { has: page.getByLabel('Key (short id, optional)') }).locator('small.err');
  assert.match(await keyError.innerText(), /lowercase letters/);

  // Create it with two variants and their levels.
  await page.getByLabel('Key (short id, optional)').fill('evening-morning');
  await page.getByLabel('Hypothesis').fill('Posting at 19:00 local gets more views than 09:00');
  await page.getByLabel('Planned posts per variant (optional)').fill('12');
  await page.getByRole('button', { name: 'Create experiment' }).click();
  await page.getByRole('heading', { name: 'Evening vs morning' }).waitFor();
  await page.getByRole('cell', { name: 'post_time: evening' }).waitFor();
  await page.getByRole('button', { name: 'Start' }).click();
  await page.locator('.status.running').waitFor();

  await seed('evening-morning');

  // Log a post and a snapshot by hand.
  await page.reload();
  await page.getByLabel('Variant', { exact: true }).selectOption({ label: 'Evening' });
  await page.getByLabel('Account (handle)').fill('ifrc');
  await page.getByLabel('Post id on the platform').fill('7290012345678901234');
  const posted = new Date(Date.now() - 30 * 3.6e6);
  const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  await page.getByLabel(/^Posted at/).fill(local(posted));
  await page.getByRole('button', { name: 'Log post' }).click();
  await page.getByRole('cell', { name: 'no numbers yet' }).waitFor();
  const newest = page.getByLabel('Post', { exact: true });
  assert.match(await newest.locator('option').first().innerText(), /^ifrc · Evening · /);
  await newest.selectOption({ index: 0 });
  await page.getByLabel('Read at').fill(local(new Date(posted.getTime() + 24 * 3.6e6)));
  await page.getByLabel('Views').fill('15300');
  await page.getByLabel('Likes').fill('845');
  await page.getByRole('button', { name: 'Log snapshot' }).click();
  await page.getByRole('cell', { name: '15.3K' }).waitFor();

  // Import a TikTok Studio export: a dry run first, then for real.
  await page.getByLabel('Export file').setInputFiles(tiktok);
  await page.getByLabel("Account (when the file doesn't say)").fill('redcross.climate');
  await page.getByLabel("Time zone of the file's times").fill('Europe/Zurich');
  await page.getByLabel('Hashtag for Evening').fill('#Evening');
  await page.getByLabel('Hashtag for Morning').fill('#Morning');
  await page.getByRole('button', { name: 'Preview import' }).click();
  await page.getByText('Preview — nothing written yet').waitFor();
  assert.match(await page.locator('.import-result').innerText(), /3 rows read, 3 snapshots would be written, 3 new posts/);
  await page.getByRole('button', { name: /^Import 3 snapshots for real$/ }).click();
  await page.getByText('Imported:').waitFor();
  // The same file again writes nothing new.
  await page.getByRole('button', { name: 'Preview import' }).click();
  await page.getByText('Nothing new to import').waitFor();
  await page.getByRole('button', { name: 'Show all 28 posts' }).click();
  await page.getByRole('cell', { name: '1.2M' }).waitFor();
  await page.screenshot({ path: join(shots, 'experiment-1280.png'), fullPage: true });

  // The report: the verdict sentence first.
  await page.getByRole('link', { name: 'Report' }).click();
  const verdict = page.getByTestId('verdict').first();
  await verdict.waitFor();
  const sentence = await verdict.innerText();
  console.log(`verdict: ${sentence}`);
  assert.match(sentence, /Evening/);
  assert.match(sentence, /Morning/);
  await page.locator('figure.forest svg').waitFor();
  // The planned looks, each with its numbers behind a disclosure.
  await page.locator('details summary', { hasText: '4 of 4 · plan 12 posts each' }).click();
  await page.locator('ol.looks li', { hasText: /^3 posts each: p/ }).waitFor();
  await page.locator('figure.growth polyline').first().waitFor();
  // The curves come from the server's medians at each age, the horizon among them.
  const point = await page.locator('figure.growth circle title', { hasText: 'Evening, 24 h' }).textContent();
  assert.match(point, /^Evening, 24 h: median [\d.]+K views of \d+ posts$/);
  await page.screenshot({ path: join(shots, 'report-1280.png'), fullPage: true });
  await page.setViewportSize({ width: 360, height: 780 });
  await page.screenshot({ path: join(shots, 'report-360.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the report is ${overflow}px wider than a 360px screen`);
  await page.setViewportSize({ width: 1280, height: 900 });

  // Every page is also looked at on a phone.
  const both = async (name) => {
    await page.screenshot({ path: join(shots, `${name}-1280.png`), fullPage: true });
    await page.setViewportSize({ width: 360, height: 780 });
    await page.screenshot({ path: join(shots, `${name}-360.png`), fullPage: true });
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(over <= 0, `${name} is ${over}px wider than a 360px screen`);
    await page.setViewportSize({ width: 1280, height: 900 });
  };

  // Another metric from the picker.
  await page.getByLabel('Metric', { exact: true }).selectOption('likes');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('img', { name: /Lift in likes/ }).waitFor();

  // The posting schedule and its calendar file.
  await page.goto(srv.url + '/experiments/evening-morning/schedule');
  await page.getByLabel('Accounts (comma-separated)').fill('ifrc, redcross');
  await page.getByRole('button', { name: 'Make the schedule' }).click();
  await page.locator('table.calendar .slot').first().waitFor();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download for your calendar (.ics)' }).click(),
  ]);
  await both('schedule');
  const ics = readFileSync(await download.path(), 'utf8');
  assert.match(ics, /^BEGIN:VCALENDAR/);
  assert.match(ics, /BEGIN:VEVENT/);
  assert.equal(download.suggestedFilename(), 'evening-morning-schedule.ics');

  // Learnings, searched.
  await page.getByRole('link', { name: 'Learnings' }).click();
  await page.getByLabel('Search learnings').fill('evening');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText(/Nothing found for “evening”/).waitFor();

  // The list shows the experiment with its numbers, reachable by keyboard.
  await page.getByRole('link', { name: 'Experiments' }).first().click();
  const row = page.getByRole('row', { name: /Evening vs morning/ });
  await row.waitFor();
  await page.waitForFunction(() => !document.querySelector('td.verdict')?.textContent?.includes('…'));
  assert.match(await row.innerText(), /running\s+tiktok\s+28\s+\d+%/i);
  await both('experiments');
  // By keyboard: the skip link, then the first experiment.
  await page.reload();
  await row.waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Evening vs morning');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Evening vs morning' }).waitFor();
  await page.getByRole('cell', { name: 'Evening' }).first().waitFor();
  await page.setViewportSize({ width: 360, height: 780 });
  await page.screenshot({ path: join(shots, 'experiment-360.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });

  // The API docs: rendered from the binary, nothing fetched from elsewhere.
  await page.goto(srv.url + '/docs');
  await page.getByRole('heading', { name: 'Create a draft experiment' }).first().waitFor({ timeout: 60000 });
  await page.screenshot({ path: join(shots, 'docs-1280.png') });

  assert.deepEqual(problems, []);
  await context.close();
});
