// Numbers as people read them: 12.3K views, +48%, p = 0.004.

export function compact(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  const units: [number, string][] = [[1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [v, s] of units) {
    if (a >= v) {
      const x = n / v;
      return `${Math.abs(x) >= 100 ? Math.round(x) : Number(x.toFixed(1))}${s}`;
    }
  }
  return Number.isInteger(n) ? String(n) : Number(n.toFixed(a < 1 ? 3 : 1)).toString();
}

/** A relative change as a signed percentage with as many digits as needed to be non-zero. */
export function pct(x: number | null | undefined, signed = true): string {
  if (x == null || !Number.isFinite(x)) return '–';
  const v = x * 100;
  let digits = 0;
  while (digits < 3 && v !== 0 && Number(Math.abs(v).toFixed(digits)) === 0) digits++;
  const s = Math.abs(v) >= 10 ? Math.round(Math.abs(v)).toString() : Number(Math.abs(v).toFixed(Math.max(digits, 1))).toString();
  if (Number(s) === 0) return '0%';
  const sign = !signed ? (v < 0 ? '−' : '') : v < 0 ? '−' : '+';
  return `${sign}${s}%`;
}

export function share(x: number | null | undefined): string {
  if (x == null || !Number.isFinite(x)) return '–';
  return `${Math.round(x * 100)}%`;
}

export function pValue(p: number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return '–';
  if (p < 0.001) return '< 0.001';
  return p < 0.01 ? p.toFixed(3) : p.toFixed(2);
}

/** threshold is a look's nominal level to two significant digits, never rounded to 0 or to
 * "< 0.001": the first look's is often 0.000015. */
export function threshold(p: number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return '–';
  return String(Number(p.toPrecision(2)));
}

/** pText is a p-value in a sentence: "p = 0.03", "p < 0.001". */
export function pText(p: number | null | undefined): string {
  const v = pValue(p);
  return v.startsWith('<') ? `p ${v}` : `p = ${v}`;
}

export function date(s: string | null | undefined): string {
  if (!s) return '–';
  return new Date(s).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** shortDate leaves the year out when it is this year's. */
export function shortDate(s: string): string {
  const d = new Date(s);
  const year = d.getFullYear() === new Date().getFullYear() ? undefined : 'numeric';
  return d.toLocaleString(undefined, { year, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function day(s: string): string {
  return new Date(s).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
}

export function metricName(m: string): string {
  return m.replace(/^custom\./, '').replace(/_/g, ' ');
}

export const decisionWords: Record<string, string> = {
  better: 'better',
  worse: 'worse',
  inconclusive: 'no clear difference yet',
  not_enough_data: 'not enough data',
};
