package report

import (
	"errors"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"postlab/experiments"
	"postlab/stats"
)

// Settings of the statistics the report runs (SPEC §2 and §3).
const (
	reportPower        = 0.8        // posts_needed: the power to detect the experiment's mde
	reportPermutations = 10000      // B of the permutation check
	reportDraws        = 100000     // Monte Carlo draws of chance_to_be_best
	reportSeed         = 0x706c6162 // every random method starts from this seed: same data, same report
	// permutationMaxPosts is the largest comparison (both variants' posts) that the permutation
	// check runs on. It is a check for small samples, where the t test's normal approximation is
	// in doubt; beyond this the t test's p-value is reliable and B = 10,000 relabellings of every
	// post would only slow the report down.
	permutationMaxPosts = 2000
	permutationRuns     = 2     // the B relabellings are drawn in this many concurrent runs
	mismatchP           = 0.001 // allocation: p below this is a mismatch
	weekdayP            = 0.01  // weekday × variant: p below this is an imbalance
	outlierIQRs         = 3.0   // outliers: log1p value beyond Q3 + 3·IQR of its variant
	outlierMinPosts     = 4     // fewer posts than this give no meaningful quartiles
)

// observation is one post in a metric's sample.
type observation struct {
	post     int     // index in HorizonData.Posts
	y        float64 // the value; for a ratio metric num/den
	g        float64 // the outcome compared (SPEC §3.1): log1p(y) for counts, else y
	num, den float64 // ratio metrics
	age      time.Duration
	parts    uint8  // engagements: bit j set when part j has a value at the horizon
	fell     string // a count of the post that fell between the snapshots around the horizon
	wide     bool   // the value was interpolated between snapshots more than H apart
}

// arm is one variant's sample of one metric, and the posts left out of it.
type arm struct {
	v                    experiments.Variant
	obs                  []observation
	immature, unobserved int
	noRate               int            // ratio metrics: posts without a denominator at the horizon
	missing              map[string]int // unobserved posts with a snapshot near the horizon, by the value it lacks
}

func (a *arm) values() []float64 {
	out := make([]float64, len(a.obs))
	for i, o := range a.obs {
		out[i] = o.y
	}
	return out
}

func (a *arm) outcomes() []float64 {
	out := make([]float64, len(a.obs))
	for i, o := range a.obs {
		out[i] = o.g
	}
	return out
}

func (a *arm) ratioParts() (num, den []float64) {
	num, den = make([]float64, len(a.obs)), make([]float64, len(a.obs))
	for i, o := range a.obs {
		num[i], den[i] = o.num, o.den
	}
	return num, den
}

// reportInput is what every part of the report is computed from.
type reportInput struct {
	e        experiments.Experiment
	variants []experiments.Variant // the control first, then the others in creation order
	control  int                   // index of the control in variants, -1 when there is none
	posts    []experiments.HorizonPost
	variant  []int // variant index of each post, -1 for a variant not listed
	st       reportSettings
	now      time.Time
}

// buildReport assembles the report from the data read in one transaction.
func buildReport(e experiments.Experiment, variants []experiments.Variant, data experiments.HorizonData, values []string, st reportSettings, now time.Time) Report {
	in := newReportInput(e, variants, data, st, now)
	r := Report{ExperimentID: e.ID, ExperimentKey: e.Key, ExperimentName: e.Name, GeneratedAt: now, Horizon: st.label,
		HorizonTolerance: e.HorizonTolerance, Alpha: st.alpha, Correction: st.correction, MDE: e.MDE,
		WhatIf: st.whatIf, PlannedPostsPerVariant: e.PlannedPostsPerVariant, Metrics: []MetricReport{}}
	if !st.horizon.latest {
		r.HorizonHours = num(st.horizon.age.Hours())
	}
	r.Allocation = allocation(in)
	common := commonWarnings(in, r.Allocation)
	order := sortedPostOrder(data.Posts)
	for _, m := range st.metrics {
		arms := in.sample(m, data, values, order)
		r.Metrics = append(r.Metrics, metricReport(in, m, arms, common))
	}
	r.Recommendation = recommend(in, r.Metrics)
	return r
}

func newReportInput(e experiments.Experiment, variants []experiments.Variant, data experiments.HorizonData, st reportSettings, now time.Time) reportInput {
	in := reportInput{e: e, control: -1, posts: data.Posts, st: st, now: now}
	for _, v := range variants {
		if v.IsControl && in.control < 0 {
			in.control = 0
			in.variants = append([]experiments.Variant{v}, in.variants...)
		} else {
			in.variants = append(in.variants, v)
		}
	}
	index := map[string]int{}
	for i, v := range in.variants {
		index[v.ID] = i
	}
	in.variant = make([]int, len(data.Posts))
	for i, p := range data.Posts {
		if vi, ok := index[p.VariantID]; ok {
			in.variant[i] = vi
		} else {
			in.variant[i] = -1
		}
	}
	return in
}

// sortedPostOrder orders the posts by id, whatever order the database gave: sums then add up
// in one order and both databases give the same report to the last digit.
func sortedPostOrder(posts []experiments.HorizonPost) []int {
	order := make([]int, len(posts))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return posts[order[a]].ID < posts[order[b]].ID })
	return order
}

// sample applies the horizon rule to every post for metric m (SPEC §1 and §3.1): a post with
// every value it needs enters the sample with its outcome g; the others are counted as
// immature, unobserved or, for a ratio metric whose denominator is 0 or missing, without a
// rate.
func (in reportInput) sample(m metricSpec, data experiments.HorizonData, values []string, order []int) []*arm {
	arms := make([]*arm, len(in.variants))
	for i, v := range in.variants {
		arms[i] = &arm{v: v, missing: map[string]int{}}
	}
	nv := len(values)
	parts := m.values()
	cols := make([]int, len(parts))
	for j, name := range parts {
		cols[j] = slices.Index(values, name)
	}
	presence := slices.Index(values, experiments.SnapshotPresence)
	var engCols []int
	if m.usesEngagements() {
		for _, part := range experiments.EngagementParts {
			engCols = append(engCols, slices.Index(values, part))
		}
	}
	got := make([]float64, len(parts))
	found := make([]bool, len(parts))
	for _, i := range order {
		vi := in.variant[i]
		if vi < 0 {
			continue
		}
		p := in.posts[i]
		o := observation{post: i}
		for j, c := range cols {
			b := data.Bracket(i, c, nv)
			got[j], found[j] = in.st.horizon.valueAt(b, p.PostedAt)
			if found[j] {
				in.checkBracket(&o, parts[j], b, p.PostedAt, j == 0)
			}
		}
		a := arms[vi]
		lacking := slices.Index(found, false)
		switch {
		case m.kind == experiments.KindRatio && found[0] && (!found[1] || got[1] == 0):
			a.noRate++
			continue
		case lacking >= 0 && in.st.horizon.immature(p.PostedAt, in.now):
			a.immature++
			continue
		case lacking >= 0:
			a.unobserved++
			if presence >= 0 && in.st.horizon.has(data.Bracket(i, presence, nv), p.PostedAt) {
				a.missing[parts[lacking]]++
			}
			continue
		}
		o.y = got[0]
		if m.kind == experiments.KindRatio {
			o.num, o.den, o.y = got[0], got[1], got[0]/got[1]
		}
		o.g = o.y
		if m.kind == experiments.KindCount {
			o.g = math.Log1p(o.y)
		}
		for j, c := range engCols {
			if c >= 0 && in.st.horizon.has(data.Bracket(i, c, nv), p.PostedAt) {
				o.parts |= 1 << j
			}
		}
		a.obs = append(a.obs, o)
	}
	return arms
}

// checkBracket notes on o what the snapshots around the horizon say about the value: its age
// under horizon=latest, a count that fell between them, an interpolation over a wide gap.
func (in reportInput) checkBracket(o *observation, value string, b experiments.Bracket, postedAt time.Time, first bool) {
	h := in.st.horizon
	if h.latest {
		if age := b.Before.ObservedAt.Sub(postedAt); first || age < o.age {
			o.age = age
		}
		return
	}
	if !b.Before.Found || !b.After.Found || !b.After.ObservedAt.After(b.Before.ObservedAt) {
		return
	}
	if kind, _ := experiments.MetricKind(value, nil); kind == experiments.KindCount && b.After.Value < b.Before.Value && o.fell == "" {
		o.fell = value
	}
	ageBefore, ageAfter := b.Before.ObservedAt.Sub(postedAt), b.After.ObservedAt.Sub(postedAt)
	if ageBefore != h.age && ageAfter != h.age && b.After.ObservedAt.Sub(b.Before.ObservedAt) > h.age {
		o.wide = true
	}
}

// metricReport computes every part of the report on one metric. The parts are independent
// and the large ones (the comparisons, the factor model, the omnibus tests) run concurrently.
func metricReport(in reportInput, m metricSpec, arms []*arm, common []Warning) MetricReport {
	mr := MetricReport{Metric: m.name, Kind: m.kind, Numerator: m.numerator, Denominator: m.denominator,
		Variants: []VariantStats{}, Comparisons: []Comparison{}, ChanceToBeBest: map[string]float64{},
		Factors: []FactorEffect{}, Warnings: []Warning{}}
	var outliers, weekdays []Warning
	var wg sync.WaitGroup
	if in.control >= 0 && len(arms) >= 2 {
		wg.Go(func() { mr.Comparisons = compareAll(in, m, arms) })
	}
	if m.kind == experiments.KindCount {
		wg.Go(func() {
			if len(arms) >= 2 {
				mr.Omnibus = omnibus(arms)
			}
		})
		wg.Go(func() { mr.Factors = factorEffects(in, arms) })
	}
	wg.Go(func() {
		mr.ChanceToBeBest = chanceToBeBest(m, arms)
		weekdays = weekdayWarnings(in, arms)
		weekdays = append(weekdays, accountImbalanceWarning(in, arms)...)
		outliers = outlierWarnings(m, arms)
	})
	for _, a := range arms {
		mr.Variants = append(mr.Variants, describe(m, a))
	}
	wg.Wait()
	mr.Warnings = append(mr.Warnings, sampleWarnings(in, m, arms)...)
	mr.Warnings = append(mr.Warnings, dataWarnings(in, m, arms)...)
	for _, c := range mr.Comparisons {
		if c.Reason != "" {
			mr.Warnings = append(mr.Warnings, notEnoughDataWarning(in, m, arms, c))
		}
		mr.Warnings = append(mr.Warnings, comparisonWarnings(in, m, arms[in.control], armOf(arms, c.VariantID), c)...)
	}
	mr.Warnings = append(mr.Warnings, outliers...)
	mr.Warnings = append(mr.Warnings, weekdays...)
	mr.Warnings = append(mr.Warnings, common...)
	return mr
}

// armOf finds the arm of a variant.
func armOf(arms []*arm, variantID string) *arm {
	for _, a := range arms {
		if a.v.ID == variantID {
			return a
		}
	}
	return nil
}

// describe gives R's mean, median and sd of the variant's values; geo_mean for counts; for
// ratio metrics the mean, median and sd of the posts' own rates and, as a description, the
// pooled rate Σnum/Σden over the posts with a rate.
func describe(m metricSpec, a *arm) VariantStats {
	vs := VariantStats{VariantID: a.v.ID, Key: a.v.Key, Name: a.v.Name, IsControl: a.v.IsControl,
		NPosts: len(a.obs), NImmature: a.immature, NUnobserved: a.unobserved, NNoRate: a.noRate}
	xs := a.values()
	if len(xs) > 0 {
		d := stats.Describe(xs)
		vs.Mean, vs.Median = num(d.Mean), num(d.Median)
		if len(xs) >= 2 {
			vs.SD = num(d.SD)
		}
		if m.kind == experiments.KindCount {
			vs.GeoMean.Value = num(d.GeoMean)
		}
	}
	switch m.kind {
	case experiments.KindCount:
		vs.GeoMean.Set = true
	case experiments.KindRatio:
		vs.Rate.Set = true
		num_, den := a.ratioParts()
		if r, ok := rate(num_, den); ok {
			vs.Rate.Value = num(r)
		}
	}
	return vs
}

// rate is Σnum/Σden; ok is false without a positive denominator.
func rate(num, den []float64) (float64, bool) {
	var sn, sd float64
	for i := range num {
		sn += num[i]
		sd += den[i]
	}
	if !(sd > 0) {
		return 0, false
	}
	return sn / sd, true
}

// reasonOf turns a statistics error into the sentence a report shows.
func reasonOf(err error) string {
	var ie stats.InsufficientDataError
	if errors.As(err, &ie) {
		return ie.Reason
	}
	return "cannot compute: " + err.Error()
}

// metricLabel names a metric in sentences: "views", "engagement rate", "custom metric reach_2".
func metricLabel(name string) string {
	switch name {
	case "watch_time_seconds":
		return "watch time"
	case "avg_watch_seconds":
		return "average watch time"
	case "followers_gained":
		return "new followers"
	}
	if c, ok := strings.CutPrefix(name, "custom."); ok {
		return strings.ReplaceAll(c, "_", " ")
	}
	return strings.ReplaceAll(name, "_", " ")
}
