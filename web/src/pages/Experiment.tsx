import { useEffect, useState } from 'preact/hooks';
import { allPages, api, need, pool, type Experiment, type Post, type Schemas, type Snapshot, type Variant } from '../api/client';
import { compact, date, shortDate } from '../format';
import { Busy, Field, Link, Problem, Select, useAction } from '../ui';

type Data = { exp: Experiment; variants: Variant[]; posts: Post[]; latest: Record<string, Snapshot | undefined> };

async function load(id: string): Promise<Data> {
  const exp = need(await api.GET('/v1/experiments/{id}', { params: { path: { id } } }));
  const variants = need(await api.GET('/v1/experiments/{id}/variants', { params: { path: { id: exp.id } } })).items;
  const posts = await allPages(async (cursor) =>
    need(await api.GET('/v1/experiments/{id}/posts', { params: { path: { id: exp.id }, query: { limit: 500, cursor } } })), 2000);
  const latest: Data['latest'] = {};
  // The latest numbers of the newest posts, a few requests at a time.
  const shown = [...posts].sort((a, b) => b.posted_at.localeCompare(a.posted_at)).slice(0, 100);
  await pool(shown, 4, async (p) => {
    const snaps = need(await api.GET('/v1/posts/{post_id}/snapshots', { params: { path: { post_id: p.id }, query: { limit: 500 } } })).items;
    latest[p.id] = snaps[snaps.length - 1];
  });
  return { exp, variants, posts: shown, latest };
}

export function ExperimentPage({ id }: { id: string }) {
  const [data, setData] = useState<Data | null>(null);
  const [showAll, setShowAll] = useState(false);
  const { error, run } = useAction();
  const reload = () => run(async () => setData(await load(id)));
  useEffect(() => void reload(), [id]);

  if (!data) return error ? <Problem error={error} /> : <Busy />;
  const { exp, variants, posts, latest } = data;
  const vname = (vid: string) => variants.find((v) => v.id === vid)?.name ?? vid;
  return (
    <section>
      <p class="crumbs"><Link href="/">Experiments</Link> ›</p>
      <h1>{exp.name}</h1>
      <p class="meta">
        <span class={`status ${exp.status}`}>{exp.status}</span> · {exp.platform} · primary metric {exp.primary_metric} at{' '}
        {exp.horizon_hours} h · key <code>{exp.key}</code>
      </p>
      {exp.hypothesis && <blockquote class="hypothesis">{exp.hypothesis}</blockquote>}
      <nav class="tabs" aria-label="This experiment">
        <Link href={`/experiments/${encodeURIComponent(exp.key)}/report`}>Report</Link>
        <Link href={`/experiments/${encodeURIComponent(exp.key)}/schedule`}>Posting schedule</Link>
      </nav>
      <Lifecycle exp={exp} variants={variants} onDone={reload} />

      <h2>Variants</h2>
      <div class="scroll">
        <table>
          <thead><tr><th scope="col">Variant</th><th scope="col">Key</th><th scope="col">Levels</th></tr></thead>
          <tbody>
            {variants.map((v) => (
              <tr key={v.id}>
                <th scope="row">{v.name} {v.is_control && <span class="tag">control</span>}</th>
                <td><code>{v.key}</code></td>
                <td>{Object.entries(v.levels).map(([f, l]) => <span class="tag" key={f}>{f}: {l}</span>)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>Posts</h2>
      {posts.length === 0 ? <p>No posts yet: log one below or import an export.</p> : (
        <div class="scroll">
          <table class="posts">
            <caption class="sr">Posts with their latest numbers</caption>
            <thead>
              <tr><th scope="col">Posted</th><th scope="col">Variant</th><th scope="col" class="num">Views</th>
                <th scope="col" class="num">Likes</th><th scope="col">Account</th>
                <th scope="col" class="num">Comments</th><th scope="col" class="num">Shares</th><th scope="col">Read at</th></tr>
            </thead>
            <tbody>
              {posts.slice(0, showAll ? undefined : 20).map((p) => {
                const s = latest[p.id];
                return (
                  <tr key={p.id}>
                    <td data-label="Posted">{p.url ? <a href={p.url} rel="noreferrer noopener" target="_blank">{shortDate(p.posted_at)}</a> : shortDate(p.posted_at)}</td>
                    <td data-label="Variant">{vname(p.variant_id)}</td>
                    <td class="num" data-label="Views">{compact(s?.views)}</td>
                    <td class="num" data-label="Likes">{compact(s?.likes)}</td>
                    <td data-label="Account">{p.account}</td>
                    <td class="num" data-label="Comments">{compact(s?.comments)}</td>
                    <td class="num" data-label="Shares">{compact(s?.shares)}</td>
                    <td data-label="Read at">{s ? shortDate(s.observed_at) : 'no numbers yet'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {posts.length > 20 && !showAll && (
            <button type="button" class="secondary" onClick={() => setShowAll(true)}>Show all {posts.length} posts</button>
          )}
        </div>
      )}
      <div class="two">
        <LogPost exp={exp} variants={variants} onDone={reload} />
        <LogSnapshot posts={posts} vname={vname} onDone={reload} />
      </div>
      <Import exp={exp} variants={variants} onDone={reload} />
    </section>
  );
}

const actions: Record<string, ('start' | 'pause' | 'resume' | 'archive')[]> = {
  draft: ['start'], running: ['pause'], paused: ['resume'], concluded: ['archive'], archived: [],
};

function Lifecycle({ exp, variants, onDone }: { exp: Experiment; variants: Variant[]; onDone: () => void }) {
  const { busy, error, apiError, run } = useAction();
  const [concluding, setConcluding] = useState(false);
  const [c, setC] = useState<Schemas['ConcludeInput']>({ result: 'won', winner_variant_key: '', summary: '', learning: '' });
  const act = (a: 'start' | 'pause' | 'resume' | 'archive') =>
    run(async () => {
      need(await api.POST(`/v1/experiments/{id}/${a}`, { params: { path: { id: exp.id } } }));
      onDone();
    });
  const conclude = (e: Event) => {
    e.preventDefault();
    run(async () => {
      const body = { ...c, winner_variant_key: c.result === 'won' ? c.winner_variant_key : undefined };
      need(await api.POST('/v1/experiments/{id}/conclude', { params: { path: { id: exp.id } }, body }));
      setConcluding(false);
      onDone();
    });
  };
  return (
    <div class="lifecycle">
      {actions[exp.status].map((a) => (
        <button key={a} type="button" disabled={busy} onClick={() => act(a)}>{a[0].toUpperCase() + a.slice(1)}</button>
      ))}
      {(exp.status === 'running' || exp.status === 'paused') && (
        <button type="button" class="secondary" aria-expanded={concluding} onClick={() => setConcluding(!concluding)}>Conclude…</button>
      )}
      {concluding && (
        <form class="card" onSubmit={conclude}>
          <Select label="Result" name="result" value={c.result} error={apiError}
            onChange={(e) => setC({ ...c, result: e.currentTarget.value as Schemas['Result'] })} options={['won', 'lost', 'inconclusive', 'invalid']} />
          {c.result === 'won' && (
            <Select label="Winner" name="winner_variant_key" value={c.winner_variant_key} error={apiError}
              onChange={(e) => setC({ ...c, winner_variant_key: e.currentTarget.value })}
              options={[['', 'Choose…'], ...variants.map((v) => [v.key, v.name] as [string, string])]} />
          )}
          <Field label="Summary" name="summary" value={c.summary} error={apiError} onInput={(e) => setC({ ...c, summary: e.currentTarget.value })} />
          <Field label="What we learned" name="learning" value={c.learning} error={apiError} onInput={(e) => setC({ ...c, learning: e.currentTarget.value })} />
          <button type="submit" disabled={busy}>Conclude and freeze the report</button>
        </form>
      )}
      <Problem error={error} />
    </div>
  );
}

const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
const localNow = () => new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
const iso = (local: string) => (local ? new Date(local).toISOString() : '');

function LogPost({ exp, variants, onDone }: { exp: Experiment; variants: Variant[]; onDone: () => void }) {
  const [f, setF] = useState({ variant_id: variants[0]?.id ?? '', account: '', external_id: '', url: '', posted_at: localNow() });
  const { busy, error, apiError, run } = useAction();
  const set = (k: keyof typeof f) => (e: { currentTarget: { value: string } }) => setF({ ...f, [k]: e.currentTarget.value });
  const submit = (e: Event) => {
    e.preventDefault();
    run(async () => {
      need(await api.POST('/v1/experiments/{id}/posts', { params: { path: { id: exp.id } }, body: {
        variant_id: f.variant_id, account: f.account, external_id: f.external_id, url: f.url || undefined,
        posted_at: iso(f.posted_at), timezone: tz } }));
      setF({ ...f, external_id: '', url: '' });
      onDone();
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="log-post">
      <h2 id="log-post">Log a post</h2>
      <Select label="Variant" name="variant_id" value={f.variant_id} onChange={set('variant_id')} error={apiError}
        options={variants.map((v) => [v.id, v.name] as [string, string])} />
      <Field label="Account (handle)" name="account" required value={f.account} onInput={set('account')} error={apiError} />
      <Field label="Post id on the platform" name="external_id" required value={f.external_id} onInput={set('external_id')} error={apiError} />
      <Field label="Link (optional)" name="url" type="url" value={f.url} onInput={set('url')} error={apiError} />
      <Field label={`Posted at (${tz})`} name="posted_at" type="datetime-local" required value={f.posted_at} onInput={set('posted_at')} error={apiError} />
      <Problem error={error} />
      <button type="submit" disabled={busy}>{busy ? 'Saving…' : 'Log post'}</button>
    </form>
  );
}

const counts = ['views', 'likes', 'comments', 'shares', 'saves'] as const;

function LogSnapshot({ posts, vname, onDone }: { posts: Post[]; vname: (id: string) => string; onDone: () => void }) {
  const [postId, setPostId] = useState(posts[0]?.id ?? '');
  const [at, setAt] = useState(localNow());
  const [n, setN] = useState<Record<string, string>>({});
  const { busy, error, apiError, run } = useAction();
  useEffect(() => { if (!posts.find((p) => p.id === postId)) setPostId(posts[0]?.id ?? ''); }, [posts]);
  const submit = (e: Event) => {
    e.preventDefault();
    run(async () => {
      const nums = Object.fromEntries(counts.filter((k) => n[k] !== undefined && n[k] !== '').map((k) => [k, Number(n[k])]));
      need(await api.POST('/v1/posts/{post_id}/snapshots', { params: { path: { post_id: postId } }, body: { observed_at: iso(at), ...nums } }));
      setN({});
      onDone();
    });
  };
  if (posts.length === 0) return null;
  return (
    <form class="card" onSubmit={submit} aria-labelledby="log-snap">
      <h2 id="log-snap">Log numbers (a snapshot)</h2>
      <Select label="Post" name="post_id" value={postId} onChange={(e) => setPostId(e.currentTarget.value)} error={apiError}
        options={posts.map((p) => [p.id, `${p.account} · ${vname(p.variant_id)} · ${date(p.posted_at)}`] as [string, string])} />
      <Field label="Read at" name="observed_at" type="datetime-local" required value={at} onInput={(e) => setAt(e.currentTarget.value)} error={apiError} />
      <div class="grid small">
        {counts.map((k) => (
          <Field key={k} label={k[0].toUpperCase() + k.slice(1)} name={k} type="number" min="0" step="1" inputMode="numeric"
            value={n[k] ?? ''} onInput={(e) => setN({ ...n, [k]: e.currentTarget.value })} error={apiError} />
        ))}
      </div>
      <p class="hint">Leave a number empty when you don't know it: empty is unknown, not zero.</p>
      <Problem error={error} />
      <button type="submit" disabled={busy}>{busy ? 'Saving…' : 'Log snapshot'}</button>
    </form>
  );
}

type ImportResult = Schemas['ImportResult'];

function Import({ exp, variants, onDone }: { exp: Experiment; variants: Variant[]; onDone: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [account, setAccount] = useState('');
  const [zone, setZone] = useState(tz);
  const [tags, setTags] = useState<Record<string, string>>(() => Object.fromEntries(variants.map((v) => [v.key, ''])));
  const [preview, setPreview] = useState<ImportResult | null>(null);
  const [done, setDone] = useState<ImportResult | null>(null);
  const { busy, error, apiError, run } = useAction();

  const send = (dryRun: boolean, partial = false) =>
    run(async () => {
      if (!file) throw new Error('Choose a file first.');
      const rules = Object.entries(tags).filter(([, h]) => h.trim()).map(([variant_key, h]) => ({ hashtag: h.trim().replace(/^#/, ''), variant_key }));
      const r = need(await api.POST('/v1/experiments/{id}/import', {
        params: { path: { id: exp.id }, query: { dry_run: dryRun, partial: partial || undefined, account: account || undefined, timezone: zone || undefined,
          mapping: rules.length ? JSON.stringify({ hashtag_rules: rules }) : undefined } },
        body: { file: '' },
        bodySerializer: () => { const fd = new FormData(); fd.append('file', file); return fd; },
      }));
      if (dryRun) { setPreview(r); setDone(null); } else { setDone(r); setPreview(null); onDone(); }
    });

  return (
    <form class="card" onSubmit={(e) => { e.preventDefault(); send(true); }} aria-labelledby="import">
      <h2 id="import">Import an export</h2>
      <p class="hint">TikTok Studio Content.csv, Meta Business Suite exports, or postlab's CSV/NDJSON. You see what it would do before anything is written.</p>
      <Field label="Export file" name="file" type="file" accept=".csv,.ndjson,.json,.txt" error={apiError}
        onChange={(e) => { setFile(e.currentTarget.files?.[0] ?? null); setPreview(null); setDone(null); }} />
      <div class="grid">
        <Field label="Account (when the file doesn't say)" name="account" value={account} onInput={(e) => setAccount(e.currentTarget.value)} error={apiError} />
        <Field label="Time zone of the file's times" name="timezone" value={zone} onInput={(e) => setZone(e.currentTarget.value)} error={apiError} />
      </div>
      <fieldset>
        <legend>Match posts to variants by a hashtag in the caption</legend>
        <div class="grid">
          {variants.map((v) => (
            <Field key={v.key} label={`Hashtag for ${v.name}`} name={`tag-${v.key}`} placeholder={`#${v.name.replace(/\s+/g, '')}`} value={tags[v.key] ?? ''}
              onInput={(e) => setTags({ ...tags, [v.key]: e.currentTarget.value })} />
          ))}
        </div>
      </fieldset>
      <Problem error={error} />
      <div class="actions">
        <button type="submit" disabled={busy || !file}>{busy ? 'Reading the file…' : 'Preview import'}</button>
        {preview && preview.failed === 0 && preview.written > 0 && (
          <button type="button" disabled={busy} onClick={() => send(false)}>Import {preview.written} snapshots for real</button>
        )}
        {preview && preview.failed > 0 && preview.failed < preview.rows && (
          <button type="button" disabled={busy} onClick={() => send(false, true)}>
            Import the good rows, leave out {preview.failed} failed
          </button>
        )}
        {preview && preview.written === 0 && preview.failed === 0 && <p>Nothing new to import: these numbers are already here.</p>}
      </div>
      {busy && <Busy label="Working on the file…" />}
      {(preview || done) && <ImportSummary r={(preview ?? done)!} />}
    </form>
  );
}

function ImportSummary({ r }: { r: ImportResult }) {
  return (
    <div class="import-result" role="status">
      <p><strong>{r.dry_run ? 'Preview — nothing written yet:' : 'Imported:'}</strong>{' '}
        {r.rows} rows read, {r.written} snapshots {r.dry_run ? 'would be' : ''} written, {r.posts_created} new posts,
        {' '}{r.skipped} unchanged, {r.failed} failed ({r.format}).</p>
      {r.failures.length > 0 && (
        <ul class="failures">
          {r.failures.slice(0, 20).map((f) => <li key={f.line}>Line {f.line}: {f.reason}</li>)}
          {r.failures.length > 20 && <li>…and {r.failures.length - 20} more.</li>}
        </ul>
      )}
    </div>
  );
}
