import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, need, type Comparison, type Experiment, type MetricReport, type Report } from '../api/client';
import { compact, decisionWords, metricName, pct, pText, pValue, share, threshold } from '../format';
import { fetchReport } from '../summary';
import { Busy, Field, Link, Problem, Select, useAction } from '../ui';

const allMetrics = ['views', 'reach', 'likes', 'comments', 'shares', 'saves', 'engagements', 'engagement_rate', 'like_rate',
  'comment_rate', 'share_rate', 'save_rate', 'follow_rate', 'followers_gained', 'profile_views', 'watch_time_seconds',
  'completion_rate', 'avg_watch_seconds'];

export function ReportPage({ id }: { id: string }) {
  const [exp, setExp] = useState<Experiment | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [metric, setMetric] = useState('');
  const [horizon, setHorizon] = useState('');
  const { busy, error, apiError, run } = useAction();

  useEffect(() => {
    run(async () => {
      const e = need(await api.GET('/v1/experiments/{id}', { params: { path: { id } } }));
      setExp(e);
      setMetric(e.primary_metric);
      setHorizon(String(e.horizon_hours));
      setReport(await fetchReport(e.id));
    });
  }, [id]);

  const apply = (ev: Event) => {
    ev.preventDefault();
    if (!exp) return;
    run(async () => setReport(await fetchReport(exp.id, { metric: [metric], horizon })));
  };

  if (!exp) return error ? <Problem error={error} /> : <Busy label="Loading the report…" />;
  const metrics = [...new Set([exp.primary_metric, ...exp.secondary_metrics, ...exp.ratio_metrics.map((r) => r.name), ...allMetrics])];
  const m = report?.metrics[0];
  return (
    <section>
      <p class="crumbs"><Link href="/">Experiments</Link> › <Link href={`/experiments/${encodeURIComponent(exp.key)}`}>{exp.name}</Link> ›</p>
      <h1>Report: {exp.name}</h1>
      <form class="picker" onSubmit={apply} aria-label="Metric and horizon">
        <Select label="Metric" name="metric" value={metric} error={apiError} onChange={(e) => setMetric(e.currentTarget.value)}
          options={metrics.map((x) => [x, metricName(x) + (x === exp.primary_metric ? ' (primary)' : '')] as [string, string])} />
        <Field label="Horizon (hours, or “latest”)" name="horizon" value={horizon} error={apiError} onInput={(e) => setHorizon(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>{busy ? 'Computing…' : 'Show'}</button>
      </form>
      <Problem error={error} />
      {busy && <Busy label="Computing the report…" />}
      {report && m && <MetricSection report={report} m={m} exp={exp} />}
    </section>
  );
}

function MetricSection({ report, m, exp }: { report: Report; m: MetricReport; exp: Experiment }) {
  const names = Object.fromEntries(m.variants.map((v) => [v.key, v.name || v.key]));
  const comps = m.comparisons as Comparison[];
  const exploratory = m.metric !== exp.primary_metric || comps.some((c) => c.exploratory);
  return (
    <>
      <section aria-labelledby="verdict" class="verdicts">
        <h2 id="verdict">Verdict</h2>
        {comps.length === 0 && <p>No comparison yet: each variant needs posts with numbers at {report.horizon ?? `${report.horizon_hours} h`}.</p>}
        {comps.map((c) => <p key={c.key} class={`sentence ${c.decision}`} data-testid="verdict">{c.summary}</p>)}
        {!exploratory && report.recommendation.reason && !comps.some((c) => c.summary === report.recommendation.reason) && <p class="recommendation"><strong>Recommendation:</strong> {report.recommendation.reason}</p>}
        {exploratory && <p class="hint">This is a secondary metric: exploratory; only the primary metric decides.</p>}
      </section>

      {comps.length > 0 && <ForestPlot comps={comps} names={names} metric={m.metric} />}

      {comps.length > 0 && (
        <>
          <h2>Comparisons with the control</h2>
          <div class="scroll">
            <table class="comparisons stack">
              <thead>
                <tr>
                  <th scope="col">Variant</th><th scope="col" class="num">Lift</th><th scope="col">95% range</th>
                  <th scope="col" class="num">p (adjusted)</th><th scope="col" class="num">Chance to beat</th>
                  <th scope="col">Decision</th><th scope="col">Looks so far</th>
                </tr>
              </thead>
              <tbody>
                {comps.map((c) => (
                  <tr key={c.key}>
                    <th scope="row">{names[c.key]} <span class="muted">vs {names[c.control_key]}</span></th>
                    <td class="num" data-label="Lift">{pct(c.lift)}</td>
                    <td data-label="95% range">{c.lift_ci_low == null ? '–' : `${pct(c.lift_ci_low)} to ${pct(c.lift_ci_high)}`}</td>
                    <td class="num" data-label="p (adjusted)">{pValue(c.p_adjusted ?? c.p_value)}</td>
                    <td class="num" data-label="Chance to beat">{share(c.chance_to_beat)}</td>
                    <td data-label="Decision"><div>
                      <span class={`decision ${c.decision}`}>{decisionWords[c.decision]}</span>
                      <div class="muted">{c.decision_final ? 'final' : 'may still change'}{c.exploratory ? ' · exploratory' : ''}</div>
                      {(c.reasons.length > 0 ? c.reasons : c.reason ? [c.reason] : []).map((r) => <div class="muted" key={r}>{r}</div>)}
                    </div></td>
                    <td data-label="Looks so far"><Looks c={c} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}

      <h2>Variants</h2>
      <div class="scroll">
        <table class="stack">
          <thead><tr><th scope="col">Variant</th><th scope="col" class="num">Posts counted</th><th scope="col" class="num">Too young</th>
            <th scope="col" class="num">No numbers at {report.horizon_hours ?? '?'} h</th><th scope="col" class="num">Median</th><th scope="col" class="num">Mean</th></tr></thead>
          <tbody>
            {m.variants.map((v) => (
              <tr key={v.key}><th scope="row">{v.name || v.key}{v.is_control && <span class="tag">control</span>}</th>
                <td class="num" data-label="Posts counted">{v.n_posts}</td><td class="num" data-label="Too young">{v.n_immature}</td>
                <td class="num" data-label={`No numbers at ${report.horizon_hours ?? '?'} h`}>{v.n_unobserved}</td>
                <td class="num" data-label="Median">{m.kind === 'ratio' ? share(v.median) : compact(v.median)}</td>
                <td class="num" data-label="Mean">{m.kind === 'ratio' ? share(v.rate ?? v.mean) : compact(v.mean)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>

      {m.warnings.length > 0 && (
        <section aria-labelledby="warn">
          <h2 id="warn">Before you trust this</h2>
          <ul class="warnings">{m.warnings.map((w, i) => <li key={i}>{w.message}</li>)}</ul>
        </section>
      )}

      {m.factors.length > 0 && (
        <section aria-labelledby="factors">
          <h2 id="factors">Factor effects</h2>
          {m.factors.map((f) => (
            <div key={f.factor} class="factor">
              <h3>{metricName(f.factor)} {f.p_value != null && <span class="muted">({pText(f.p_value)})</span>}</h3>
              {f.reason && <p class="muted">{f.reason}</p>}
              <ul>
                {f.reference && <li>{f.reference}: the reference level</li>}
                {f.levels.map((l) => <li key={l.level}>{l.level}: {pct(l.lift)} {l.p_value != null && <span class="muted">({pText(l.p_value)})</span>}</li>)}
              </ul>
            </div>
          ))}
        </section>
      )}

      <GrowthCurves exp={exp} names={names} metric={m.metric} kind={m.kind} horizon={report.horizon_hours} />
    </>
  );
}

/** Looks tells how far the planned looks have come and, on request, each look's numbers. */
function Looks({ c }: { c: Comparison }) {
  if (c.planned_posts_per_variant == null) {
    return <>{c.posts_needed ? `no plan; about ${c.posts_needed} posts each needed` : 'no plan'}</>;
  }
  const head = `${c.looks.length} of 4 · plan ${c.planned_posts_per_variant} posts each`;
  if (c.looks.length === 0) return <>{head}</>;
  return (
    <details>
      <summary>{head}</summary>
      <ol class="looks">
        {c.looks.map((l) => (
          <li key={l.look}>
            {l.posts_per_variant} posts each: {l.p_value == null ? l.reason ?? 'could not be tested' : `${pText(l.p_value)}, needs < ${threshold(l.nominal_level)}`}
            {l.crossed && <strong> · crossed</strong>}
          </li>
        ))}
      </ol>
    </details>
  );
}

/** useWidth follows an element's width, so that charts are drawn at their real size and their
 * text stays readable on a phone. */
function useWidth(fallback: number) {
  const [el, ref] = useState<HTMLElement | null>(null);
  const [w, setW] = useState(fallback);
  useEffect(() => {
    if (!el) return;
    const ro = new ResizeObserver(([e]) => setW(Math.max(260, Math.min(1400, Math.round(e.contentRect.width)))));
    ro.observe(el);
    return () => ro.disconnect();
  }, [el]);
  return [ref, w] as const;
}

/** ForestPlot draws each variant's lift over the control with its 95% range, around 0. */
function ForestPlot({ comps, names, metric }: { comps: Comparison[]; names: Record<string, string>; metric: string }) {
  const [ref, W] = useWidth(640);
  const rows = comps.filter((c) => c.lift != null);
  if (rows.length === 0) return null;
  const lo = Math.min(-0.1, ...rows.map((c) => c.lift_ci_low ?? c.lift!));
  const hi = Math.max(0.1, ...rows.map((c) => c.lift_ci_high ?? c.lift!));
  const left = Math.min(150, W * 0.3), right = 24, rowH = 34, top = 24;
  const H = top + rows.length * rowH + 30;
  const x = (v: number) => left + ((v - lo) / (hi - lo)) * (W - left - right);
  const ticks = niceTicks(lo, hi, W < 480 ? 4 : 6);
  return (
    <figure class="forest" ref={ref}>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-labelledby="forest-title">
        <title id="forest-title">Lift in {metricName(metric)} over the control, with 95% ranges</title>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={x(t)} x2={x(t)} y1={top - 8} y2={H - 24} class={t === 0 ? 'zero' : 'grid'} />
            <text x={x(t)} y={H - 8} text-anchor="middle" class="tick">{pct(t)}</text>
          </g>
        ))}
        {rows.map((c, i) => {
          const y = top + i * rowH + rowH / 2;
          return (
            <g key={c.key} class={`row ${c.decision}`}>
              <text x={left - 10} y={y + 4} text-anchor="end" class="label">{names[c.key] ?? c.key}</text>
              {c.lift_ci_low != null && c.lift_ci_high != null && <line x1={x(c.lift_ci_low)} x2={x(c.lift_ci_high)} y1={y} y2={y} class="ci" />}
              <circle cx={x(c.lift!)} cy={y} r={6} class="dot" />
            </g>
          );
        })}
      </svg>
      <figcaption>Dots: lift over {rows[0] && names[rows[0].control_key]}; bars: the 95% range. A bar that crosses 0% is not a clear difference.</figcaption>
    </figure>
  );
}

function niceTicks(lo: number, hi: number, most: number): number[] {
  const span = hi - lo;
  const step = [0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10].find((s) => span / s <= most) ?? 20;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(Math.round(t * 1000) / 1000);
  if (!out.includes(0)) out.push(0);
  return out;
}

/** GrowthCurves: the median count by post age for each variant, computed by the server from
 * the snapshots around each age (GET …/growth). */
function GrowthCurves({ exp, names, metric, kind, horizon }: { exp: Experiment; names: Record<string, string>; metric: string; kind: string; horizon: number | null }) {
  const field = kind === 'count' ? metric : 'views';
  const [series, setSeries] = useState<{ key: string; pts: [number, number, number][] }[] | null>(null);
  const { busy, error, run } = useAction();
  useEffect(() => {
    run(async () => {
      const g = need(await api.GET('/v1/experiments/{id}/growth', { params: { path: { id: exp.id }, query: { metric: field } } }));
      setSeries(g.variants.map((v) => ({
        key: v.key,
        // A median of one post says little: a point needs two.
        pts: v.points.flatMap((p): [number, number, number][] => (p.median != null && p.n >= 2 ? [[p.age_hours, p.median, p.n]] : [])),
      })));
    });
  }, [exp.id, field]);

  const [ref, W] = useWidth(640);
  const all = series?.flatMap((s) => s.pts) ?? [];
  const H = W < 480 ? 220 : 260, L = 52, B = 36, T = 12, R = 16;
  const maxX = Math.max(1, ...all.map((p) => p[0]));
  const maxY = Math.max(1, ...all.map((p) => p[1]));
  const sx = (a: number) => L + (a / maxX) * (W - L - R);
  const sy = (v: number) => H - B - (v / maxY) * (H - B - T);
  const colors = ['#1f5fbf', '#d9480f', '#2b8a3e', '#862e9c', '#c92a2a', '#0b7285'];
  const xt = useMemo(() => (W < 480 ? [0, 24, 48, 168, 720] : [0, 6, 12, 24, 48, 72, 168, 336, 720]).filter((t) => t <= maxX), [maxX, W]);
  return (
    <section aria-labelledby="growth">
      <h2 id="growth">How {metricName(field)} grow with post age</h2>
      {busy && <Busy label="Reading the posts' snapshots…" />}
      <Problem error={error} />
      {series && all.length === 0 && <p>Not enough snapshots yet: each point needs two posts with a value at that age.</p>}
      {series && all.length > 0 && (
        <figure class="growth" ref={ref}>
          <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-labelledby="growth-title">
            <title id="growth-title">Median {metricName(field)} by post age in hours, per variant</title>
            {[0, 0.5, 1].map((f) => (
              <g key={f}><line x1={L} x2={W - R} y1={sy(f * maxY)} y2={sy(f * maxY)} class="grid" />
                <text x={L - 6} y={sy(f * maxY) + 4} text-anchor="end" class="tick">{compact(f * maxY)}</text></g>
            ))}
            {xt.map((t) => <text key={t} x={sx(t)} y={H - B + 16} text-anchor="middle" class="tick">{t}h</text>)}
            {horizon != null && horizon <= maxX && <line x1={sx(horizon)} x2={sx(horizon)} y1={T} y2={H - B} class="zero" />}
            {series.map((s, i) => s.pts.length > 0 && (
              <g key={s.key}>
                <polyline fill="none" stroke={colors[i % colors.length]} stroke-width="2.5"
                  points={[[0, 0], ...s.pts].map(([a, v]) => `${sx(a)},${sy(v)}`).join(' ')} />
                {s.pts.map(([a, v, n]) => (
                  <circle key={a} cx={sx(a)} cy={sy(v)} r="3" fill={colors[i % colors.length]}>
                    <title>{`${names[s.key] ?? s.key}, ${a} h: median ${compact(v)} ${metricName(field)} of ${n} posts`}</title>
                  </circle>
                ))}
              </g>
            ))}
          </svg>
          <figcaption>
            {series.map((s, i) => <span key={s.key} class="legend"><span class="swatch" style={{ background: colors[i % colors.length] }} />{names[s.key] ?? s.key}</span>)}
            <span class="muted"> · each point is the median of the posts with a snapshot near that age</span>
            {horizon != null && <span class="muted"> · the vertical line marks the {horizon} h horizon</span>}
          </figcaption>
        </figure>
      )}
    </section>
  );
}
