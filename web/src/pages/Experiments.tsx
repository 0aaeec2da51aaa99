import { useEffect, useState } from 'preact/hooks';
import { allPages, api, need, pool, type ExperimentListItem, type Schemas } from '../api/client';
import { compact, share } from '../format';
import { fetchReport, verdictOf } from '../summary';
import { Busy, Field, Link, Problem, Select, navigate, useAction } from '../ui';

const platforms: Schemas['Platform'][] = ['tiktok', 'instagram', 'youtube', 'facebook', 'x', 'linkedin', 'threads', 'other'];
const metrics = ['views', 'reach', 'likes', 'comments', 'shares', 'saves', 'engagements', 'engagement_rate', 'like_rate',
  'share_rate', 'follow_rate', 'followers_gained', 'completion_rate', 'avg_watch_seconds'];

export function ExperimentsPage() {
  const [list, setList] = useState<ExperimentListItem[] | null>(null);
  const [verdicts, setVerdicts] = useState<Record<string, string>>({});
  const { error, run } = useAction();

  const load = () =>
    run(async () => {
      const items = await allPages(async (cursor) =>
        need(await api.GET('/v1/experiments', { params: { query: { limit: 100, cursor } } })), 500);
      setList(items);
      // The list counts each row's posts; only the verdict of an experiment still under way
      // needs its report (a concluded one carries its decision), a few at a time.
      await pool(items.filter((e) => e.status === 'running' || e.status === 'paused'), 4, async (e) => {
        let v = '–';
        try {
          v = verdictOf(await fetchReport(e.id));
        } catch {
          /* a report that cannot be made leaves the row's verdict empty */
        }
        setVerdicts((prev) => ({ ...prev, [e.id]: v }));
      });
    });
  useEffect(() => void load(), []);

  return (
    <section>
      <h1>Experiments</h1>
      <Problem error={error} />
      {!list && !error && <Busy />}
      {list && list.length === 0 && <p>No experiments yet. Create the first one below.</p>}
      {list && list.length > 0 && (
        <div class="scroll">
          <table class="list stack">
            <caption class="sr">Experiments in this workspace</caption>
            <thead>
              <tr>
                <th scope="col">Experiment</th>
                <th scope="col">Status</th>
                <th scope="col">Platform</th>
                <th scope="col" class="num">Posts</th>
                <th scope="col" class="num">Matured</th>
                <th scope="col">Latest verdict</th>
              </tr>
            </thead>
            <tbody>
              {list.map((e) => (
                <tr key={e.id}>
                  <th scope="row">
                    <Link href={`/experiments/${encodeURIComponent(e.key)}`}>{e.name}</Link>
                    <div class="muted">{e.key}</div>
                  </th>
                  <td data-label="Status"><span class={`status ${e.status}`}>{e.status}</span></td>
                  <td data-label="Platform">{e.platform}</td>
                  <td class="num" data-label="Posts">{compact(e.posts)}</td>
                  <td class="num" data-label="Matured" title={`${e.matured_posts} of ${e.posts} posts are ${e.horizon_hours} h old or more`}>
                    {e.posts ? share(e.matured_posts / e.posts) : '–'}
                  </td>
                  <td class="verdict" data-label="Latest verdict">{listVerdict(e, verdicts[e.id])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CreateExperiment />
    </section>
  );
}

/** listVerdict is a row's verdict: a concluded experiment's own decision, a running one's
 * report (fetched after the list), nothing yet for a draft. */
function listVerdict(e: ExperimentListItem, fromReport: string | undefined): string {
  if (e.status === 'draft') return 'Not started';
  if (e.decision) return e.decision.summary || `Concluded: ${e.decision.result}`;
  if (e.status === 'running' || e.status === 'paused') return fromReport ?? '…';
  return '–';
}

type VariantDraft = { key: string; name: string; is_control: boolean; levels: Record<string, string> };

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);

function CreateExperiment() {
  const [f, setF] = useState({ name: '', key: '', hypothesis: '', platform: 'tiktok' as Schemas['Platform'],
    primary_metric: 'views', horizon_hours: '24', factors: 'post_time', planned_posts_per_variant: '' });
  const [variants, setVariants] = useState<VariantDraft[]>([
    { key: 'morning', name: 'Morning', is_control: true, levels: { post_time: 'morning' } },
    { key: 'evening', name: 'Evening', is_control: false, levels: { post_time: 'evening' } },
  ]);
  const [variantError, setVariantError] = useState<{ i: number; err: unknown } | null>(null);
  const { busy, error, apiError, run } = useAction();
  const factors = f.factors.split(',').map((s) => s.trim()).filter(Boolean);
  const set = (k: keyof typeof f) => (e: { currentTarget: { value: string } }) => setF({ ...f, [k]: e.currentTarget.value });
  const setVariant = (i: number, v: Partial<VariantDraft>) =>
    setVariants(variants.map((x, j) => (j === i ? { ...x, ...v } : v.is_control ? { ...x, is_control: false } : x)));

  const submit = (e: Event) => {
    e.preventDefault();
    setVariantError(null);
    run(async () => {
      const key = f.key || slug(f.name);
      const exp = need(await api.POST('/v1/experiments', { body: {
        key, name: f.name, hypothesis: f.hypothesis, platform: f.platform, primary_metric: f.primary_metric,
        horizon_hours: Number(f.horizon_hours), factors,
        planned_posts_per_variant: f.planned_posts_per_variant ? Number(f.planned_posts_per_variant) : undefined,
      } }));
      for (const [i, v] of variants.entries()) {
        const levels = Object.fromEntries(factors.map((fa) => [fa, v.levels[fa] ?? '']).filter(([, l]) => l));
        const r = await api.POST('/v1/experiments/{id}/variants', { params: { path: { id: exp.id } },
          body: { key: v.key || slug(v.name), name: v.name, is_control: v.is_control, levels } });
        try {
          need(r);
        } catch (err) {
          setVariantError({ i, err });
          throw new Error(`The experiment was created, but variant ${i + 1} was not: fix it on the experiment's page.`);
        }
      }
      navigate(`/experiments/${encodeURIComponent(exp.key)}`);
    });
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="new-exp">
      <h2 id="new-exp">New experiment</h2>
      <div class="grid">
        <Field label="Name" name="name" required value={f.name} onInput={set('name')} error={apiError} />
        <Field label="Key (short id, optional)" name="key" value={f.key} placeholder={slug(f.name)} onInput={set('key')} error={apiError} />
        <Select label="Platform" name="platform" value={f.platform} onChange={set('platform')} options={platforms} error={apiError} />
        <Select label="Primary metric" name="primary_metric" value={f.primary_metric} onChange={set('primary_metric')} options={metrics} error={apiError} />
        <Field label="Horizon (hours after posting)" name="horizon_hours" type="number" min="1" step="any" required
          value={f.horizon_hours} onInput={set('horizon_hours')} error={apiError} hint="Posts are compared at this age." />
        <Field label="Planned posts per variant (optional)" name="planned_posts_per_variant" type="number" min="1" step="1"
          value={f.planned_posts_per_variant} onInput={set('planned_posts_per_variant')} error={apiError}
          hint="Left empty, postlab sizes the plan when the experiment starts." />
        <Field label="Factors (comma-separated)" name="factors" value={f.factors} onInput={set('factors')} error={apiError}
          hint="e.g. post_time, hashtags, format" />
      </div>
      <Field label="Hypothesis" name="hypothesis" id="hypothesis" error={apiError}>
        <textarea name="hypothesis" id="hypothesis" rows={2} value={f.hypothesis} onInput={set('hypothesis')}
          placeholder="Posting at 19:00 local gets more views than 09:00" />
      </Field>
      <fieldset>
        <legend>Variants</legend>
        {variants.map((v, i) => (
          <div class="variant" key={i}>
            <Field label={`Variant ${i + 1} name`} name={`v${i}-name`} required value={v.name}
              onInput={(e) => setVariant(i, { name: e.currentTarget.value })} />
            <Field label="Key" name={`v${i}-key`} value={v.key} placeholder={slug(v.name)}
              onInput={(e) => setVariant(i, { key: e.currentTarget.value })} />
            {factors.map((fa) => (
              <Field key={fa} label={`Level of ${fa}`} name={`v${i}-${fa}`} value={v.levels[fa] ?? ''}
                onInput={(e) => setVariant(i, { levels: { ...v.levels, [fa]: e.currentTarget.value } })} />
            ))}
            <label class="check">
              <input type="radio" name="control" checked={v.is_control} onChange={() => setVariant(i, { is_control: true })} />
              Control (the usual way)
            </label>
            {variants.length > 2 && (
              <button type="button" class="secondary" onClick={() => setVariants(variants.filter((_, j) => j !== i))}>
                Remove variant {i + 1}
              </button>
            )}
            {variantError?.i === i && <Problem error={variantError.err} />}
          </div>
        ))}
        <button type="button" class="secondary"
          onClick={() => setVariants([...variants, { key: '', name: '', is_control: false, levels: {} }])}>
          Add a variant
        </button>
      </fieldset>
      <Problem error={error} />
      <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create experiment'}</button>
    </form>
  );
}
