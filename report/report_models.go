package report

import (
	"math"
	"slices"

	"postlab/experiments"
	"postlab/stats"
)

// omnibus asks whether any variant differs, over every variant with posts. It runs whatever
// the number of variants: with two it is a second opinion on the comparison, with three or
// more it is the one test that does not multiply comparisons.
func omnibus(arms []*arm) *Omnibus {
	var groups [][]float64
	for _, a := range arms {
		if len(a.obs) > 0 {
			groups = append(groups, a.values())
		}
	}
	o := &Omnibus{}
	if k, err := stats.Kruskal(groups); err != nil {
		o.Kruskal = &KruskalResult{Reason: reasonOf(err)}
	} else {
		o.Kruskal = &KruskalResult{Statistic: num(k.Statistic), DF: num(k.DF), PValue: num(k.PValue)}
	}
	if w, err := stats.WelchANOVA(groups); err != nil {
		o.WelchANOVA = &WelchANOVAResult{Reason: reasonOf(err)}
	} else {
		o.WelchANOVA = &WelchANOVAResult{Statistic: num(w.Statistic), DF1: num(w.DF1), DF2: num(w.DF2), PValue: num(w.PValue)}
	}
	return o
}

// chanceToBeBest draws from each variant's normal posterior (flat prior) on the scale its
// comparison uses: the mean of log1p for counts, the mean for means, the rate for ratios, with
// the standard error of each. Variants with fewer than 2 posts have no posterior and no chance.
func chanceToBeBest(m metricSpec, arms []*arm) map[string]float64 {
	out := map[string]float64{}
	var keys []string
	var means, sds []float64
	for _, a := range arms {
		mu, se, ok := posterior(m, a)
		if ok {
			keys, means, sds = append(keys, a.v.Key), append(means, mu), append(sds, se)
		}
	}
	if len(keys) < 2 {
		return out
	}
	probs, err := stats.ChanceToBeBest(means, sds, reportDraws, reportSeed)
	if err != nil {
		return out
	}
	for i, k := range keys {
		out[k] = probs[i]
	}
	return out
}

// posterior is the mean and standard error of a variant's value on its comparison's scale.
func posterior(m metricSpec, a *arm) (mu, se float64, ok bool) {
	n := float64(len(a.obs))
	if n < 2 {
		return 0, 0, false
	}
	switch m.kind {
	case experiments.KindCount:
		s := stats.Summarize(a.outcomes())
		mu, se = s.Mean, math.Sqrt(s.Var/n)
	case experiments.KindMean:
		s := stats.Summarize(a.values())
		mu, se = s.Mean, math.Sqrt(s.Var/n)
	case experiments.KindRatio:
		r, err := stats.RateOf(a.ratioParts())
		if err != nil {
			return 0, 0, false
		}
		mu, se = r.Rate, r.SE()
	}
	if math.IsNaN(mu) || math.IsInf(mu, 0) || math.IsNaN(se) || math.IsInf(se, 0) {
		return 0, 0, false
	}
	return mu, se, true
}

// factorSpec is one categorical variable of the factor model.
type factorSpec struct {
	name      string
	reference string
	levels    []string // per observation
	distinct  []string // sorted
}

// factorEffects fits lm(log1p(y) ~ factors + account) over every post in the sample, with each
// factor's reference the control's level and accounts as fixed effects when there are 2 or
// more. A factor whose posts all share one level has no effect to estimate; one whose levels
// always change with those of factors before it (or with the account) cannot be told apart
// from them: both are listed with the reason.
func factorEffects(in reportInput, arms []*arm) []FactorEffect {
	out := []FactorEffect{}
	if len(in.e.Factors) == 0 {
		return out
	}
	var y []float64
	var obsVariant []int
	var accounts []string
	for vi, a := range arms {
		for _, o := range a.obs {
			y = append(y, math.Log1p(o.y))
			obsVariant = append(obsVariant, vi)
			accounts = append(accounts, in.posts[o.post].Account)
		}
	}
	var fixed []stats.Factor
	if len(distinctStrings(accounts)) >= 2 {
		fixed = append(fixed, stats.Factor{Name: "account", Levels: accounts})
	}
	var included []factorSpec
	effects := map[string]FactorEffect{}
	var fit stats.OLS
	for _, name := range in.e.Factors {
		f := factorFor(in, arms, name, obsVariant)
		fe := FactorEffect{Factor: name, Reference: f.reference, Levels: []FactorLevel{}}
		switch {
		case len(y) == 0:
			fe.Reason = "cannot estimate the factors because no post has a value at the horizon"
		case len(f.distinct) < 2:
			fe.Reason = "cannot estimate the effect of " + name + " because every post has the same level"
		default:
			trial, err := stats.OLSFactors(y, modelFactors(append(included, f), fixed))
			if err != nil {
				fe.Reason = factorReason(name, len(included)+len(fixed) > 0, err)
				break
			}
			included, fit = append(included, f), trial
			continue
		}
		effects[name] = fe
	}
	for _, name := range in.e.Factors {
		if fe, ok := effects[name]; ok {
			out = append(out, fe)
			continue
		}
		out = append(out, includedEffect(fit, included, name))
	}
	return out
}

func factorReason(name string, others bool, err error) string {
	if others {
		return "cannot estimate the effect of " + name + " separately: its levels change together with those of other factors or accounts (" + reasonOf(err) + ")"
	}
	return reasonOf(err)
}

func modelFactors(fs []factorSpec, fixed []stats.Factor) []stats.Factor {
	out := make([]stats.Factor, 0, len(fs)+len(fixed))
	for _, f := range fs {
		out = append(out, stats.Factor{Name: f.name, Levels: f.levels, Reference: f.reference})
	}
	return append(out, fixed...)
}

// factorFor gives each observation its variant's level of the factor; the reference is the
// control's level.
func factorFor(in reportInput, arms []*arm, name string, obsVariant []int) factorSpec {
	f := factorSpec{name: name}
	if in.control >= 0 {
		f.reference = levelOf(in.variants[in.control], name)
	}
	f.levels = make([]string, len(obsVariant))
	for i, vi := range obsVariant {
		f.levels[i] = levelOf(arms[vi].v, name)
	}
	f.distinct = distinctStrings(f.levels)
	return f
}

func levelOf(v experiments.Variant, factor string) string {
	if l := v.Levels[factor]; l != "" {
		return l
	}
	return "(none)"
}

// includedEffect reads one factor's coefficients and F test from the fit. Coefficients come
// as the intercept, then each factor's non-reference levels in sorted order, factor by factor.
func includedEffect(fit stats.OLS, included []factorSpec, name string) FactorEffect {
	j := 1
	for t, f := range included {
		if f.name != name {
			j += len(f.distinct) - 1
			continue
		}
		term := fit.Terms[t]
		fe := FactorEffect{Factor: name, Reference: f.reference, FStatistic: num(term.FStatistic),
			DF: num(float64(term.DF)), DFResidual: num(float64(fit.ResidualDF)), PValue: num(term.PValue),
			Levels: []FactorLevel{}}
		for _, level := range f.distinct {
			if level == f.reference {
				continue
			}
			c := fit.Coefficients[j]
			fe.Levels = append(fe.Levels, FactorLevel{Level: level, Estimate: num(c.Estimate), SE: num(c.SE),
				PValue: num(c.PValue), Lift: num(c.Lift)})
			j++
		}
		return fe
	}
	return FactorEffect{Factor: name, Levels: []FactorLevel{}, Reason: "cannot estimate the effect of " + name}
}

// distinctStrings returns the distinct values of xs, sorted.
func distinctStrings(xs []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(xs)))
}
