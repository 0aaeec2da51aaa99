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

// compareAll compares each treatment with the control and decides (SPEC §3.1), then adds each
// comparison's companions. The companions run concurrently: each is independent, and the
// permutation check dominates a small report's time.
func compareAll(in reportInput, m metricSpec, arms []*arm) []Comparison {
	control := arms[in.control]
	var treatments []*arm
	for i, a := range arms {
		if i != in.control {
			treatments = append(treatments, a)
		}
	}
	tus := make([][]unit, len(treatments))
	for i, a := range treatments {
		tus[i] = in.units(a)
	}
	vs := decideAll(m.kind, in.units(control), tus, in.verdictOptions())
	out := make([]Comparison, len(treatments))
	var wg sync.WaitGroup
	for i, a := range treatments {
		wg.Go(func() { out[i] = compare(in, m, control, a, vs[i]) })
	}
	wg.Wait()
	for i := range out {
		out[i].Summary = summary(in, m, control, treatments[i], &out[i], vs[i])
	}
	return out
}

// units are the arm's posts with a value as a comparison sees them, in posting order.
func (in reportInput) units(a *arm) []unit {
	out := make([]unit, len(a.obs))
	for i, o := range a.obs {
		p := in.posts[o.post]
		out[i] = unit{g: o.g, y: o.y, account: p.Account, postedAt: p.PostedAt, id: p.ID}
	}
	slices.SortFunc(out, byPostingOrder)
	return out
}

// verdictOptions are the report's settings that decide besides the data.
func (in reportInput) verdictOptions() verdictOptions {
	return verdictOptions{alpha: in.st.alpha, correction: in.st.correction, planned: in.e.PlannedPostsPerVariant,
		whatIf: in.st.whatIf}
}

// compare fills a comparison from its verdict, and adds the companions of the metric's kind.
func compare(in reportInput, m metricSpec, control, treatment *arm, v verdict) Comparison {
	t := v.all
	c := Comparison{VariantID: treatment.v.ID, Key: treatment.v.Key, ControlKey: control.v.Key,
		Method: t.method, NControl: len(control.obs), NTreatment: len(treatment.obs), NExcluded: t.nExcluded,
		Accounts: t.paired, PAdjusted: v.pAdjusted, Decision: v.decision, DecisionFinal: v.final,
		Reasons: v.reasons, Looks: v.looks, PlannedPostsPerVariant: in.e.PlannedPostsPerVariant,
		Exploratory: m.name != in.e.PrimaryMetric}
	if c.Accounts == nil {
		c.Accounts = []string{}
	}
	if c.Looks == nil {
		c.Looks = []Look{}
	}
	if t.ok {
		c.Estimate, c.CILow, c.CIHigh = num(t.t.Estimate), num(t.t.CILow), num(t.t.CIHigh)
		c.Statistic, c.DF, c.PValue = num(t.t.Statistic), num(t.t.DF), num(t.t.PValue)
		if t.liftOK {
			c.Lift, c.LiftCILow, c.LiftCIHigh = num(t.t.Lift), num(t.t.LiftCILow), num(t.t.LiftCIHigh)
		}
	} else {
		c.Reason = t.reason
	}
	switch m.kind {
	case experiments.KindCount:
		a, b := control.values(), treatment.values()
		c.setBayes(stats.BayesNormal(a, b))
		c.MannWhitney = mannWhitney(a, b)
		c.Permutation = permutation(in, control, treatment)
		c.ByAccount, c.Pooled = byAccount(in, control, treatment)
		c.PostsNeeded = postsNeeded(in, t)
	case experiments.KindMean:
		if w, err := stats.WelchRaw(control.values(), treatment.values(), in.st.alpha); err == nil {
			c.setBayes(stats.BayesFromNormal(w.Estimate, w.SE))
		}
	case experiments.KindRatio:
		an, ad := control.ratioParts()
		bn, bd := treatment.ratioParts()
		if r, err := stats.RatioDelta(an, ad, bn, bd, in.st.alpha); err == nil {
			c.setBayes(stats.BayesFromNormal(r.Estimate, r.SE))
		}
	}
	return c
}

func (c *Comparison) setBayes(b stats.Bayes, err error) {
	if err == nil {
		c.ChanceToBeat, c.ExpectedLoss = num(b.ChanceToBeat), num(b.ExpectedLoss)
	}
}

// postsNeeded is power_gs with the residual sd of g within accounts and arms, for the
// comparisons each treatment makes with the control over four looks (SPEC §3.1); nil when the
// comparison cannot run or a variant has fewer than 3 posts in it.
func postsNeeded(in reportInput, t pairTest) *int {
	if !t.ok || t.nControl < lookMinPosts || t.nTreat < lookMinPosts || math.IsNaN(t.sd) {
		return nil
	}
	comparisons := max(1, len(in.variants)-1)
	p, err := stats.PowerGS(t.sd, in.e.MDE, in.st.alpha, reportPower, comparisons, reportLooks)
	if err != nil {
		return nil
	}
	return &p.N
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

// formatP writes a p-value the way a report reads it.
func formatP(p float64) string {
	if p < 0.001 {
		return "p < 0.001"
	}
	return "p = " + strconv.FormatFloat(p, 'g', 2, 64)
}
