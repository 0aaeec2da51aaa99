package report

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"

	"postlab/experiments"
	"postlab/stats"
)

// compareAll compares each treatment with the control, adjusts the p-values for the number
// of comparisons, and decides. The comparisons run concurrently: each is independent, and the
// permutation check dominates a small report's time.
func compareAll(in reportInput, m metricSpec, arms []*arm) []Comparison {
	control := arms[in.control]
	out := make([]Comparison, len(arms)-1)
	var wg sync.WaitGroup
	k := 0
	for i, a := range arms {
		if i == in.control {
			continue
		}
		c := &out[k]
		wg.Go(func() { *c = compare(in, m, control, a) })
		k++
	}
	wg.Wait()
	adjust(out, in.st.correction)
	for i := range out {
		decide(&out[i], in.st.alpha)
		out[i].Summary = summary(in, m, control, arms, &out[i])
	}
	return out
}

// compare runs the test of the metric's kind and its companions.
func compare(in reportInput, m metricSpec, control, treatment *arm) Comparison {
	c := Comparison{VariantID: treatment.v.ID, Key: treatment.v.Key, ControlKey: control.v.Key,
		NControl: len(control.obs), NTreatment: len(treatment.obs)}
	switch m.kind {
	case experiments.KindCount:
		c.Method = "welch_log"
		compareCounts(in, &c, control, treatment)
	case experiments.KindMean:
		c.Method = "welch_raw"
		compareMeans(in, &c, control, treatment)
	case experiments.KindRatio:
		c.Method = "ratio_delta"
		compareRatios(in, &c, control, treatment)
	}
	return c
}

// setTest copies a test's result into the comparison.
func (c *Comparison) setTest(t stats.TTest) {
	c.Estimate, c.CILow, c.CIHigh = num(t.Estimate), num(t.CILow), num(t.CIHigh)
	c.Lift, c.LiftCILow, c.LiftCIHigh = num(t.Lift), num(t.LiftCILow), num(t.LiftCIHigh)
	c.Statistic, c.DF, c.PValue = num(t.Statistic), num(t.DF), num(t.PValue)
}

func (c *Comparison) setBayes(b stats.Bayes, err error) {
	if err == nil {
		c.ChanceToBeat, c.ExpectedLoss = num(b.ChanceToBeat), num(b.ExpectedLoss)
	}
}

// compareCounts: welch_log, with the Bayesian reading on the log1p scale, the Mann–Whitney
// and permutation checks, the per-account estimates and their pooling.
func compareCounts(in reportInput, c *Comparison, control, treatment *arm) {
	a, b := control.values(), treatment.values()
	t, err := stats.WelchLog(a, b, in.st.alpha)
	if err != nil {
		c.Reason = reasonOf(err)
	} else {
		c.setTest(t)
		c.setBayes(stats.BayesNormal(a, b))
	}
	c.MannWhitney = mannWhitney(a, b)
	c.Permutation = permutation(in, control, treatment)
	c.ByAccount, c.Pooled = byAccount(in, control, treatment)
	c.PostsNeeded = postsNeededLog(append(log1pAll(a), log1pAll(b)...), in)
}

// compareMeans: welch_raw, the Bayesian reading on Δ with the Welch standard error.
func compareMeans(in reportInput, c *Comparison, control, treatment *arm) {
	a, b := control.values(), treatment.values()
	t, err := stats.WelchRaw(a, b, in.st.alpha)
	if err != nil {
		c.Reason = reasonOf(err)
	} else {
		c.setTest(t)
		c.setBayes(stats.BayesFromNormal(t.Estimate, t.SE))
	}
	if ma := mean(a); len(a) >= 1 && ma != 0 {
		c.PostsNeeded = postsNeededRaw(sdOf(append(append([]float64{}, a...), b...)), ma, in)
	}
}

// compareRatios: ratio_delta, the Bayesian reading on Δrate with the delta-method variance.
func compareRatios(in reportInput, c *Comparison, control, treatment *arm) {
	an, ad := control.ratioParts()
	bn, bd := treatment.ratioParts()
	r, err := stats.RatioDelta(an, ad, bn, bd, in.st.alpha)
	if err != nil {
		c.Reason = reasonOf(err)
	} else {
		c.setTest(r.TTest)
		c.setBayes(stats.BayesFromNormal(r.Estimate, r.SE))
	}
	rateA, ok := rate(an, ad)
	if !ok || rateA == 0 {
		return
	}
	// The per-post spread of the rate over both variants' posts, on the scale of the rate.
	if both, err := stats.RateOf(append(slices.Clone(an), bn...), append(slices.Clone(ad), bd...)); err == nil {
		c.PostsNeeded = postsNeededRaw(both.PostSD(), rateA, in)
	}
}

func mannWhitney(a, b []float64) *MannWhitneyResult {
	mw, err := stats.MannWhitneyU(a, b)
	if err != nil {
		return &MannWhitneyResult{Reason: reasonOf(err)}
	}
	return &MannWhitneyResult{Statistic: num(mw.Statistic), PValue: num(mw.PValue),
		HLShift: num(mw.HLShift), ProbSuperiority: num(mw.ProbSuperiority)}
}

// permutation relabels posts within each account (stratum).
func permutation(in reportInput, control, treatment *arm) *PermutationResult {
	n := len(control.obs) + len(treatment.obs)
	if n > permutationMaxPosts {
		return &PermutationResult{Reason: fmt.Sprintf("not run: with %d posts the t test's p-value is reliable; the permutation check is for samples of up to %d posts", n, permutationMaxPosts)}
	}
	values := make([]float64, 0, n)
	treated := make([]bool, 0, n)
	strata := make([]string, 0, n)
	for _, s := range []*arm{control, treatment} {
		for _, o := range s.obs {
			values = append(values, o.y)
			treated = append(treated, s == treatment)
			strata = append(strata, in.posts[o.post].Account)
		}
	}
	// The B relabellings are drawn in concurrent runs, each from its own fixed seed.
	perm, err := stats.PermutationTestRuns(values, treated, strata, reportPermutations, permutationRuns, reportSeed)
	if err != nil {
		return &PermutationResult{Reason: reasonOf(err)}
	}
	return &PermutationResult{PValue: num(perm.PValue), Permutations: perm.Permutations}
}

// byAccount compares the variants within each account (welch_log) and pools the estimates by
// DerSimonian–Laird, when the two variants' posts come from 2 accounts or more.
func byAccount(in reportInput, control, treatment *arm) ([]AccountEstimate, *PooledEstimate) {
	type pair struct{ a, b []float64 }
	groups := map[string]*pair{}
	for _, s := range []*arm{control, treatment} {
		for _, o := range s.obs {
			acct := in.posts[o.post].Account
			g := groups[acct]
			if g == nil {
				g = &pair{}
				groups[acct] = g
			}
			if s == control {
				g.a = append(g.a, o.y)
			} else {
				g.b = append(g.b, o.y)
			}
		}
	}
	if len(groups) < 2 {
		return nil, nil
	}
	accounts := make([]string, 0, len(groups))
	for acct := range groups {
		accounts = append(accounts, acct)
	}
	sort.Strings(accounts)
	out := make([]AccountEstimate, 0, len(accounts))
	var ests, ses []float64
	for _, acct := range accounts {
		g := groups[acct]
		ae := AccountEstimate{Account: acct, NControl: len(g.a), NTreatment: len(g.b)}
		if t, err := stats.WelchLog(g.a, g.b, in.st.alpha); err != nil {
			ae.Reason = reasonOf(err)
		} else {
			ae.Estimate, ae.SE = num(t.Estimate), num(t.SE)
			ests, ses = append(ests, t.Estimate), append(ses, t.SE)
		}
		out = append(out, ae)
	}
	meta, err := stats.MetaDL(ests, ses, in.st.alpha)
	if err != nil {
		return out, &PooledEstimate{Reason: reasonOf(err)}
	}
	return out, &PooledEstimate{Estimate: num(meta.Estimate), SE: num(meta.SE), CILow: num(meta.CILow),
		CIHigh: num(meta.CIHigh), PValue: num(meta.PValue), Tau2: num(meta.Tau2), I2: num(meta.I2),
		Q: num(meta.Q), QPValue: num(meta.QPValue), Lift: num(math.Expm1(meta.Estimate))}
}

// postsNeededLog is power_t on the log1p scale: the sd of log1p over both variants' posts.
func postsNeededLog(logs []float64, in reportInput) *int {
	if len(logs) < 2 {
		return nil
	}
	p, err := stats.PowerT(sdOf(logs), in.e.MDE, in.st.alpha, reportPower)
	if err != nil {
		return nil
	}
	return &p.N
}

// postsNeededRaw is power_t for a metric compared on its own scale, where the mde is a lift
// of mde × base: power.t.test(delta = mde·base, sd) needs as many posts as
// power.t.test(delta = log(1 + mde), sd·log(1 + mde)/(mde·base)), n depending on delta/sd only.
func postsNeededRaw(sd, base float64, in reportInput) *int {
	mde := in.e.MDE
	scaled := sd * math.Log1p(mde) / (mde * math.Abs(base))
	if !(scaled > 0) || math.IsInf(scaled, 0) {
		return nil
	}
	p, err := stats.PowerT(scaled, mde, in.st.alpha, reportPower)
	if err != nil {
		return nil
	}
	return &p.N
}

// adjust fills p_adjusted over the comparisons that have a p-value.
func adjust(cs []Comparison, correction string) {
	var idx []int
	var ps []float64
	for i, c := range cs {
		if c.PValue != nil {
			idx, ps = append(idx, i), append(ps, *c.PValue)
		}
	}
	adj, err := stats.PAdjust(ps, correction)
	if err != nil {
		return
	}
	for j, i := range idx {
		cs[i].PAdjusted = num(adj[j])
	}
}

// decide applies SPEC §3's rule. A test that could not be run is not_enough_data too: the
// data do not support a comparison yet.
func decide(c *Comparison, alpha float64) {
	switch {
	case c.NControl < 2 || c.NTreatment < 2 || c.PAdjusted == nil || c.Lift == nil:
		c.Decision = DecisionNotEnoughData
	case *c.PAdjusted < alpha && *c.Lift > 0:
		c.Decision = DecisionBetter
	case *c.PAdjusted < alpha && *c.Lift < 0:
		c.Decision = DecisionWorse
	default:
		c.Decision = DecisionInconclusive
	}
	if c.Decision == DecisionNotEnoughData && c.Reason == "" {
		c.Reason = "cannot test because a variant has fewer than 2 posts with a value at the horizon"
	}
}

func log1pAll(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Log1p(x)
	}
	return out
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// sdOf is R's sd (n − 1), NaN for fewer than 2 values.
func sdOf(xs []float64) float64 {
	if len(xs) < 2 {
		return math.NaN()
	}
	return stats.Describe(xs).SD
}

// formatP writes a p-value the way a report reads it.
func formatP(p float64) string {
	if p < 0.001 {
		return "p < 0.001"
	}
	return "p = " + strconv.FormatFloat(p, 'g', 2, 64)
}
