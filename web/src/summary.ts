import { api, json, need, type Comparison, type Report } from './api/client';

export type Summary = { posts: number; matured: number | null; verdict: string; decision?: string };

/** summarize reads what a list row shows from an experiment's report: the primary metric's
 * posts, the share of them old enough to count, and its latest verdict. */
export function summarize(r: Report): Summary {
  const m = r.metrics[0];
  if (!m) return { posts: 0, matured: null, verdict: 'No metric to report' };
  const posts = m.variants.reduce((s, v) => s + v.n_posts + v.n_immature + v.n_unobserved, 0);
  const matured = posts ? m.variants.reduce((s, v) => s + v.n_posts, 0) / posts : null;
  const c = m.comparisons[0] as Comparison | undefined;
  const verdict = r.recommendation.variant_key ? r.recommendation.reason : c?.summary ?? r.recommendation.reason;
  return { posts, matured, verdict, decision: c?.decision };
}

export async function fetchReport(id: string, query: { metric?: string[]; horizon?: string } = {}) {
  return json(need(await api.GET('/v1/experiments/{id}/report', { params: { path: { id }, query } })));
}
