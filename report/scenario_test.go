package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"postlab/experiments"
)

// scenarioPost is a post with its numbers at exactly the horizon; a value left out is unknown.
type scenarioPost struct {
	variant, account string
	values           map[string]float64
}

// scenarioReport builds the report of posts logged an hour apart, reading every value the
// report asks for from the posts' maps (SnapshotPresence is 1 for every post).
func scenarioReport(t *testing.T, e experiments.Experiment, vs []experiments.Variant, posts []scenarioPost, o Options) Report {
	t.Helper()
	st, err := resolveReport(e, o)
	if err != nil {
		t.Fatalf("resolveReport: %v", err)
	}
	values := distinctValues(st.metrics)
	var d experiments.HorizonData
	for i, p := range posts {
		at := posted.Add(time.Duration(i) * time.Hour)
		d.Posts = append(d.Posts, experiments.HorizonPost{ID: fmt.Sprintf("p%05d", i), VariantID: "v-" + p.variant,
			Account: p.account, PostedAt: at, Timezone: "UTC"})
		for _, name := range values {
			v, ok := p.values[name]
			if name == experiments.SnapshotPresence {
				v, ok = 1, true
			}
			r := experiments.Reading{}
			if ok {
				r = experiments.Reading{Found: true, ObservedAt: at.Add(24 * time.Hour), Value: v}
			}
			d.Brackets = append(d.Brackets, experiments.Bracket{Before: r, After: r})
		}
	}
	return buildReport(e, vs, d, values, st, posted.Add(time.Duration(len(posts)+1000)*time.Hour))
}

func planned(n int) *int { return &n }

// TestScenarioSimpson: a treatment 30% worse on both accounts, posted mostly on the big one
// while the control went mostly to the small one. Pooled, the treatment looks far better;
// within accounts it is worse. The report must never say better, must estimate below 0, and
// must warn of the account imbalance.
func TestScenarioSimpson(t *testing.T) {
	for seed := range uint64(5) {
		rng := rand.New(rand.NewPCG(seed, 30))
		e, vs := fakeExperiment(nil, "control", "treatment")
		e.PlannedPostsPerVariant = planned(36)
		var posts []scenarioPost
		add := func(variant, account string, logMean float64, n int) {
			for range n {
				x := logMean + 0.5*rng.NormFloat64()
				if variant == "treatment" {
					x += math.Log(0.7)
				}
				posts = append(posts, scenarioPost{variant, account, map[string]float64{"views": math.Round(math.Exp(x))}})
			}
		}
		add("control", "small", 6, 30)
		add("control", "big", 10, 6)
		add("treatment", "small", 6, 6)
		add("treatment", "big", 10, 30)
		rng.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })
		r := scenarioReport(t, e, vs, posts, Options{})
		m := r.Metrics[0]
		c := m.Comparisons[0]
		if c.Decision == DecisionBetter || c.Estimate == nil || *c.Estimate >= 0 || c.Method != "lin_log" {
			t.Errorf("seed %d: decision %s, estimate %v, method %s; want never better, an estimate below 0, lin_log (%s)",
				seed, c.Decision, deref(c.Estimate), c.Method, c.Summary)
		}
		if !slices.Contains(warningCodes(m), "account_imbalance") {
			t.Errorf("seed %d: warnings %v, want account_imbalance", seed, warningCodes(m))
		}
		if strings.Contains(c.Summary, "more views") {
			t.Errorf("seed %d: summary says more views: %s", seed, c.Summary)
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestScenarioConfounded: the control only on one account, the treatment only on another:
// variant and account cannot be told apart, whatever the numbers.
func TestScenarioConfounded(t *testing.T) {
	e, vs := fakeExperiment(nil, "control", "treatment")
	e.PlannedPostsPerVariant = planned(20)
	var posts []scenarioPost
	for i := range 30 {
		posts = append(posts, scenarioPost{"control", "small", map[string]float64{"views": float64(300 + i*7)}},
			scenarioPost{"treatment", "big", map[string]float64{"views": float64(30000 + i*700)}})
	}
	r := scenarioReport(t, e, vs, posts, Options{})
	m := r.Metrics[0]
	c := m.Comparisons[0]
	if c.Decision != DecisionNotEnoughData || c.Reason != reasonNoPairing || !slices.Contains(c.Reasons, reasonNoPairing) {
		t.Errorf("decision %s, reason %q, reasons %v; want not_enough_data because no account posted both", c.Decision, c.Reason, c.Reasons)
	}
	if c.NExcluded != 60 || c.Estimate != nil || c.PValue != nil {
		t.Errorf("n_excluded %d, estimate %v, p %v; want every post excluded and no test", c.NExcluded, deref(c.Estimate), deref(c.PValue))
	}
	for _, code := range []string{"not_enough_data", "account_unpaired"} {
		if !slices.Contains(warningCodes(m), code) {
			t.Errorf("warnings %v, want %s", warningCodes(m), code)
		}
	}
	if r.Recommendation.VariantKey != nil {
		t.Errorf("recommendation %v, want none", *r.Recommendation.VariantKey)
	}
}

// TestScenarioZeros: a count metric where a third of the posts got no views: the report warns
// `zeros`, gives the change in the mean and the way Mann–Whitney points, and its sentence
// speaks of a typical post.
func TestScenarioZeros(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	e, vs := fakeExperiment(nil, "control", "treatment")
	e.PlannedPostsPerVariant = planned(40)
	var posts []scenarioPost
	for i := range 80 {
		v := []string{"control", "treatment"}[i%2]
		views := 0.0
		if rng.Float64() > 0.35 {
			views = math.Round(math.Exp(5 + rng.NormFloat64()))
		}
		posts = append(posts, scenarioPost{v, "ifrc", map[string]float64{"views": views}})
	}
	r := scenarioReport(t, e, vs, posts, Options{})
	m := r.Metrics[0]
	i := slices.IndexFunc(m.Warnings, func(w Warning) bool { return w.Code == "zeros" })
	if i < 0 {
		t.Fatalf("warnings %v, want zeros", warningCodes(m))
	}
	if msg := m.Warnings[i].Message; !strings.Contains(msg, "mean changed by") || !strings.Contains(msg, "Mann–Whitney") {
		t.Errorf("zeros warning %q: want the change in the mean and the way Mann–Whitney points", msg)
	}
	if c := m.Comparisons[0]; !strings.Contains(c.Summary, "typical post") || c.Method != "welch_log" {
		t.Errorf("summary %q, method %s: want a typical post, welch_log within one account", c.Summary, c.Method)
	}
}

// TestScenarioWhatIf: a report at another alpha decides nothing and recommends nothing.
func TestScenarioWhatIf(t *testing.T) {
	e, vs := fakeExperiment(nil, "control", "treatment")
	e.PlannedPostsPerVariant = planned(20)
	e.SecondaryMetrics = []string{"likes"}
	var posts []scenarioPost
	for i := range 40 {
		posts = append(posts, scenarioPost{"control", "ifrc", map[string]float64{"views": float64(100 + i), "likes": float64(i % 7)}},
			scenarioPost{"treatment", "ifrc", map[string]float64{"views": float64(1000 + 10*i), "likes": float64(i % 5)}})
	}
	own := scenarioReport(t, e, vs, posts, Options{})
	if own.WhatIf || own.Metrics[0].Comparisons[0].Decision != DecisionBetter || !own.Metrics[0].Comparisons[0].DecisionFinal ||
		own.Recommendation.VariantKey == nil || len(own.Metrics) != 2 {
		t.Fatalf("own report: what_if %v, %+v, metrics %d; want a final better, recommended, and the secondary metric",
			own.WhatIf, own.Metrics[0].Comparisons[0], len(own.Metrics))
	}
	if c := own.Metrics[1].Comparisons[0]; !c.Exploratory || !strings.HasPrefix(c.Summary, "Exploratory") {
		t.Errorf("secondary metric: exploratory %v, summary %q; want exploratory", c.Exploratory, c.Summary)
	}
	alpha := 0.5
	for _, o := range []Options{{Alpha: &alpha}, {Correction: "bh"}} {
		r := scenarioReport(t, e, vs, posts, o)
		if !r.WhatIf || r.Recommendation.VariantKey != nil {
			t.Errorf("%+v: what_if %v, recommendation %v; want a what-if report without a recommendation", o, r.WhatIf, r.Recommendation)
		}
		for _, m := range r.Metrics {
			for _, c := range m.Comparisons {
				if c.Decision != DecisionInconclusive || !slices.Contains(c.Reasons, reasonWhatIf) || c.DecisionFinal {
					t.Errorf("%+v %s: decision %s, reasons %v; want inconclusive, what-if report", o, m.Metric, c.Decision, c.Reasons)
				}
			}
			if !slices.Contains(warningCodes(m), "what_if") {
				t.Errorf("%+v %s: warnings %v, want what_if", o, m.Metric, warningCodes(m))
			}
		}
	}
	same := e.Alpha
	if r := scenarioReport(t, e, vs, posts, Options{Alpha: &same, Correction: e.Correction}); r.WhatIf {
		t.Error("alpha and correction equal to the experiment's: not a what-if report")
	}
}

// TestScenarioLooks: with a plan of 20, looks happen at 5, 10, 15 and 20 posts of each; a clear
// effect crosses early and stays decided however many posts follow; posts beyond the plan
// change nothing.
func TestScenarioLooks(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	e, vs := fakeExperiment(nil, "control", "treatment")
	e.PlannedPostsPerVariant = planned(20)
	var posts []scenarioPost
	for i := range 60 {
		v := []string{"control", "treatment"}[i%2]
		x := 6 + 0.1*rng.NormFloat64()
		if v == "treatment" {
			x += 1.5
		}
		posts = append(posts, scenarioPost{v, []string{"a", "b"}[(i/2)%2], map[string]float64{"views": math.Round(math.Exp(x))}})
	}
	var first Comparison
	for n := 10; n <= 60; n += 10 {
		c := scenarioReport(t, e, vs, posts[:n], Options{}).Metrics[0].Comparisons[0]
		var sizes []int
		for _, l := range c.Looks {
			sizes = append(sizes, l.PostsPerVariant)
		}
		if want := []int{5, 10, 15, 20}[:min(4, n/10)]; !slices.Equal(sizes, want) {
			t.Errorf("%d posts: looks at %v, want %v", n, sizes, want)
		}
		if n == 10 {
			first = c
			if c.Decision != DecisionBetter || !c.DecisionFinal || !c.Looks[0].Crossed {
				t.Fatalf("%d posts: %s final %v looks %+v; want better, final, at the first look", n, c.Decision, c.DecisionFinal, c.Looks)
			}
			continue
		}
		if c.Decision != first.Decision || !c.DecisionFinal || !reflect.DeepEqual(c.Looks[0], first.Looks[0]) {
			t.Errorf("%d posts: %s final %v, first look %+v; want the first look's decision to stand", n, c.Decision, c.DecisionFinal, c.Looks[0])
		}
	}
}
