import { useEffect, useState } from 'preact/hooks';
import { api, need, type Schemas } from '../api/client';
import { date } from '../format';
import { Busy, Field, Link, Problem, useAction } from '../ui';

export function LearningsPage() {
  const [q, setQ] = useState(new URLSearchParams(location.search).get('q') ?? '');
  const [items, setItems] = useState<Schemas['Learning'][] | null>(null);
  const { busy, error, apiError, run } = useAction();
  const search = (e?: Event) => {
    e?.preventDefault();
    history.replaceState(null, '', q ? `/learnings?q=${encodeURIComponent(q)}` : '/learnings');
    run(async () => setItems(need(await api.GET('/v1/learnings', { params: { query: { q: q || undefined, limit: 100 } } })).items));
  };
  useEffect(() => search(), []);
  return (
    <section>
      <h1>Learnings</h1>
      <p>What concluded experiments taught, searchable by factor, level, platform, account and words.</p>
      <form role="search" class="picker" onSubmit={search}>
        <Field label="Search learnings" name="q" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} error={apiError} />
        <button type="submit" disabled={busy}>Search</button>
      </form>
      <Problem error={error} />
      {busy && <Busy />}
      {items && items.length === 0 && <p>Nothing found{q ? ` for “${q}”` : ': conclude an experiment to record what it taught'}.</p>}
      {items?.map((l) => (
        <article class="card learning" key={l.experiment_id}>
          <h2><Link href={`/experiments/${encodeURIComponent(l.key)}`}>{l.name}</Link></h2>
          <p class="meta">{l.platform} · {l.result}{l.winner_variant_key ? ` · winner ${l.winner_variant_key}` : ''} · {date(l.concluded_at)}</p>
          {l.learning && <p><strong>{l.learning}</strong></p>}
          {l.summary && <p>{l.summary}</p>}
          {Object.keys(l.winner_levels).length > 0 && <p>{Object.entries(l.winner_levels).map(([f, v]) => <span class="tag" key={f}>{f}: {v}</span>)}</p>}
        </article>
      ))}
    </section>
  );
}
