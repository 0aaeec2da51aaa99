import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, apiKey, json, need, type Experiment } from '../api/client';
import { Busy, Field, Link, Problem, useAction } from '../ui';

type Slot = { planned_at: string; account: string; variant_key: string; variant_name: string; post_id?: string | null; on_time?: boolean };

const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

export function SchedulePage({ id }: { id: string }) {
  const [exp, setExp] = useState<Experiment | null>(null);
  const [slots, setSlots] = useState<Slot[] | null>(null);
  const { error, run } = useAction();
  useEffect(() => {
    run(async () => {
      const e = need(await api.GET('/v1/experiments/{id}', { params: { path: { id } } }));
      setExp(e);
      const r = await api.GET('/v1/experiments/{id}/schedule', { params: { path: { id: e.id } } });
      setSlots(r.response.status === 404 ? [] : json(need(r)).slots);
    });
  }, [id]);
  if (!exp) return error ? <Problem error={error} /> : <Busy />;
  return (
    <section>
      <p class="crumbs"><Link href="/">Experiments</Link> › <Link href={`/experiments/${encodeURIComponent(exp.key)}`}>{exp.name}</Link> ›</p>
      <h1>Posting schedule: {exp.name}</h1>
      <Problem error={error} />
      {slots === null ? <Busy /> : slots.length === 0 ? <p>No schedule yet: plan one below.</p> : (
        <>
          <Download exp={exp} />
          <Calendar slots={slots} />
        </>
      )}
      <Plan exp={exp} onDone={setSlots} />
    </section>
  );
}

function Download({ exp }: { exp: Experiment }) {
  const { busy, error, run } = useAction();
  // The schedule needs the key, so the file is fetched here and handed to the browser as a download.
  const get = () =>
    run(async () => {
      const res = await fetch(`/v1/experiments/${encodeURIComponent(exp.id)}/schedule`, {
        headers: { Authorization: `Bearer ${apiKey.get()}`, Accept: 'text/calendar' } });
      if (!res.ok) throw new ApiError(res.status, await res.json());
      const url = URL.createObjectURL(await res.blob());
      const a = Object.assign(document.createElement('a'), { href: url, download: `${exp.key}-schedule.ics` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    });
  return (
    <p>
      <button type="button" onClick={get} disabled={busy}>Download for your calendar (.ics)</button>
      <Problem error={error} />
    </p>
  );
}

const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** Calendar lays the slots out a week per row, a day per column, in this browser's time zone. */
function Calendar({ slots }: { slots: Slot[] }) {
  const weeks = new Map<string, Slot[][]>();
  for (const s of [...slots].sort((a, b) => a.planned_at.localeCompare(b.planned_at))) {
    const d = new Date(s.planned_at);
    const dow = (d.getDay() + 6) % 7;
    const monday = new Date(d.getFullYear(), d.getMonth(), d.getDate() - dow);
    const k = monday.toDateString();
    if (!weeks.has(k)) weeks.set(k, weekdays.map(() => []));
    weeks.get(k)![dow].push(s);
  }
  const byDay = new Map<string, Slot[]>();
  for (const s of [...slots].sort((a, b) => a.planned_at.localeCompare(b.planned_at))) {
    const k = new Date(s.planned_at).toDateString();
    byDay.set(k, [...(byDay.get(k) ?? []), s]);
  }
  const time = (s: Slot) => new Date(s.planned_at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return (
    <>
    {/* On a phone the week grid becomes a list of days. */}
    <ol class="agenda" aria-label="Planned posts by day">
      {[...byDay].map(([k, ss]) => (
        <li key={k}>
          <strong>{new Date(k).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' })}</strong>
          {ss.map((s) => (
            <div class={`slot${s.post_id ? ' done' : ''}`} key={s.planned_at + s.account}>
              {time(s)} · {s.variant_name} <span class="muted">@{s.account}</span>{s.post_id ? ' ✓' : ''}
            </div>
          ))}
        </li>
      ))}
    </ol>
    <div class="scroll week-grid">
      <table class="calendar">
        <caption class="sr">Planned posts, a week per row</caption>
        <thead><tr><th scope="col">Week of</th>{weekdays.map((d) => <th scope="col" key={d}>{d}</th>)}</tr></thead>
        <tbody>
          {[...weeks].map(([k, days]) => (
            <tr key={k}>
              <th scope="row">{new Date(k).toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}</th>
              {days.map((ss, i) => (
                <td key={i}>
                  {ss.map((s) => (
                    <div class={`slot${s.post_id ? ' done' : ''}`} key={s.planned_at + s.account}>
                      <strong>{new Date(s.planned_at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}</strong>{' '}
                      {s.variant_name} <span class="muted">@{s.account}</span>{s.post_id ? ' ✓' : ''}
                    </div>
                  ))}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
    </>
  );
}

function Plan({ exp, onDone }: { exp: Experiment; onDone: (s: Slot[]) => void }) {
  const start = new Date();
  const [f, setF] = useState({ start: isoDay(start), end: isoDay(new Date(start.getTime() + 27 * 864e5)), accounts: '',
    posts_per_week: '4', times: '09:00, 19:00', timezone: tz, seed: String(Math.floor(Math.random() * 1e6)) });
  const { busy, error, apiError, run } = useAction();
  const set = (k: keyof typeof f) => (e: { currentTarget: { value: string } }) => setF({ ...f, [k]: e.currentTarget.value });
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const submit = (e: Event) => {
    e.preventDefault();
    run(async () => {
      const s = json(need(await api.POST('/v1/experiments/{id}/schedule', { params: { path: { id: exp.id } }, body: {
        start: f.start, end: f.end, accounts: list(f.accounts), posts_per_week: Number(f.posts_per_week),
        times: list(f.times), timezone: f.timezone, seed: Number(f.seed) } })));
      onDone(s.slots);
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="plan">
      <h2 id="plan">Plan a balanced schedule</h2>
      <p class="hint">Each week and account gets the variants in a random but balanced order, so weekday and account don't decide the result.</p>
      <div class="grid">
        <Field label="First day" name="start" type="date" required value={f.start} onInput={set('start')} error={apiError} />
        <Field label="Last day" name="end" type="date" required value={f.end} onInput={set('end')} error={apiError} />
        <Field label="Accounts (comma-separated)" name="accounts" required value={f.accounts} onInput={set('accounts')} error={apiError} />
        <Field label="Posts per week per account" name="posts_per_week" type="number" min="1" required value={f.posts_per_week} onInput={set('posts_per_week')} error={apiError} />
        <Field label="Times of day (comma-separated)" name="times" value={f.times} onInput={set('times')} error={apiError} />
        <Field label="Time zone" name="timezone" required value={f.timezone} onInput={set('timezone')} error={apiError} />
        <Field label="Random seed" name="seed" type="number" required value={f.seed} onInput={set('seed')} error={apiError} hint="The same seed gives the same plan." />
      </div>
      <Problem error={error} />
      <button type="submit" disabled={busy}>{busy ? 'Planning…' : 'Make the schedule'}</button>
    </form>
  );
}
