import { api, json, need, type Comparison, type Report } from './api/client';

/** verdictOf reads a list row's latest verdict from an experiment's report: the recommendation
 * when there is one, else the primary metric's first comparison. */
export function verdictOf(r: Report): string {
  const m = r.metrics[0];
  if (!m) return 'No metric to report';
  const c = m.comparisons[0] as Comparison | undefined;
  return r.recommendation.variant_key ? r.recommendation.reason : c?.summary ?? r.recommendation.reason;
}

export async function fetchReport(id: string, query: { metric?: string[]; horizon?: string } = {}) {
  return json(need(await api.GET('/v1/experiments/{id}/report', { params: { path: { id }, query } })));
}
