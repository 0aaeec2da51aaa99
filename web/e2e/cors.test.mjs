// A front-end tool on another origin calls the API from Chromium with a Bearer key.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { launch, watch } from './browser.mjs';
import { freePort, startPostlab } from './server.mjs';

const page = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tool</title></head><body>A tool</body></html>';

async function origin() {
  const port = await freePort();
  const srv = createServer((_, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(page));
  await new Promise((r) => srv.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => srv.close(r)) };
}

let api, allowed, other, browser;
before(async () => {
  allowed = await origin();
  other = await origin();
  api = await startPostlab(process.env.POSTLAB_BIN, { POSTLAB_CORS_ORIGINS: allowed.url });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await api?.stop();
  await allowed?.close();
  await other?.close();
});

// calls runs in the tool's page: the requests a front-end tool makes, and what it can read of them.
const calls = async ({ base, key }) => {
  const out = {};
  const auth = { Authorization: `Bearer ${key}` };
  let r = await fetch(`${base}/v1/experiments/no-such-thing`, { headers: auth });
  out.notFound = { status: r.status, type: r.headers.get('Content-Type'), body: await r.json() };
  // JSON with an Idempotency-Key: the browser asks first (a preflight) without the key.
  const post = (body, idem) => fetch(`${base}/v1/experiments`, { method: 'POST', body: JSON.stringify(body),
    headers: { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': idem } });
  r = await post({ key: 'Not A Key!', name: 'x', platform: 'tiktok', primary_metric: 'views' }, 'bad-1');
  out.invalid = { status: r.status, body: await r.json() };
  r = await post({ key: 'from-a-tool', name: 'From a tool', platform: 'tiktok', primary_metric: 'views' }, 'good-1');
  out.created = { status: r.status, location: r.headers.get('Location'), etag: r.headers.get('ETag'),
    remaining: r.headers.get('RateLimit-Remaining') };
  return out;
};

test('a page on an allowed origin calls the API and reads its problem+json', async () => {
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  const problems = watch(p, [allowed.url, api.url]);
  await p.goto(allowed.url);
  const out = await p.evaluate(calls, { base: api.url, key: api.key });
  assert.equal(out.notFound.status, 404);
  assert.equal(out.notFound.type, 'application/problem+json');
  assert.match(out.notFound.body.detail, /experiment/);
  assert.equal(out.invalid.status, 422);
  assert.ok(out.invalid.body.errors.some((e) => e.field === 'key'), JSON.stringify(out.invalid.body));
  assert.equal(out.created.status, 201);
  assert.match(out.created.location ?? '', /^\/v1\/experiments\//);
  assert.ok(out.created.etag, 'ETag must be readable from another origin');
  assert.deepEqual(problems, []);
  await ctx.close();
});

test('a page on another origin is kept from reading the API', async () => {
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  await p.goto(other.url);
  const err = await p.evaluate(async ({ base, key }) => {
    try {
      await fetch(`${base}/v1/workspace`, { headers: { Authorization: `Bearer ${key}` } });
      return null;
    } catch (e) {
      return String(e);
    }
  }, { base: api.url, key: api.key });
  assert.match(err ?? 'the request succeeded', /TypeError/);
  await ctx.close();
});
