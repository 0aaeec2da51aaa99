package report

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"postlab/experiments"
	"postlab/stats"
)

var posted = time.Date(2026, 9, 14, 17, 5, 0, 0, time.UTC)

func reading(hours, value float64) experiments.Reading {
	return experiments.Reading{Found: true, ObservedAt: posted.Add(time.Duration(hours * float64(time.Hour))), Value: value}
}

func TestHorizonValueAt(t *testing.T) {
	h := horizon{age: experiments.HorizonDuration(24), tolerance: 0.25}
	none := experiments.Reading{}
	tests := []struct {
		name   string
		b      experiments.Bracket
		want   float64
		wantOK bool
	}{
		{"interpolated", experiments.Bracket{Before: reading(18, 100), After: reading(30, 160)}, 130, true},
		{"exactly at H", experiments.Bracket{Before: reading(24, 120), After: reading(24, 120)}, 120, true},
		{"at H after a gap", experiments.Bracket{Before: reading(10, 50), After: reading(24, 120)}, 120, true},
		{"far apart still interpolated", experiments.Bracket{Before: reading(1, 10), After: reading(100, 1000)}, 10 + 990*23.0/99, true},
		{"nearest before, within 6 h", experiments.Bracket{Before: reading(18, 100), After: none}, 100, true},
		{"nearest after, within 6 h", experiments.Bracket{Before: none, After: reading(30, 160)}, 160, true},
		{"before, too early", experiments.Bracket{Before: reading(17.9, 100), After: none}, 0, false},
		{"after, too late", experiments.Bracket{Before: none, After: reading(30.1, 160)}, 0, false},
		{"none", experiments.Bracket{}, 0, false},
		{"sub-second ages", experiments.Bracket{Before: reading(23.5, 0), After: experiments.Reading{Found: true, ObservedAt: posted.Add(24*time.Hour + 500*time.Microsecond), Value: 1800.0005}}, 1800, true},
	}
	for _, tt := range tests {
		got, ok := h.valueAt(tt.b, posted)
		if ok != tt.wantOK || math.Abs(got-tt.want) > 1e-9*math.Max(1, tt.want) {
			t.Errorf("%s: valueAt = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
	latest := horizon{latest: true}
	if v, ok := latest.valueAt(experiments.Bracket{Before: reading(70, 9)}, posted); !ok || v != 9 {
		t.Errorf("latest valueAt = %v, %v; want 9, true", v, ok)
	}
	if !h.immature(posted, posted.Add(23*time.Hour)) || h.immature(posted, posted.Add(24*time.Hour)) || latest.immature(posted, posted) {
		t.Error("immature: a post is immature only when younger than H, and never under latest")
	}
}

// fakeExperiment is an experiment with variants of the given keys, the first the control.
func fakeExperiment(factors []string, keys ...string) (experiments.Experiment, []experiments.Variant) {
	e := experiments.Experiment{ID: "e", Key: "exp", Name: "Exp", PrimaryMetric: "views", HorizonHours: 24,
		HorizonTolerance: 0.25, Alpha: 0.05, Correction: "holm", MDE: 0.2, Factors: factors}
	var vs []experiments.Variant
	for i, k := range keys {
		vs = append(vs, experiments.Variant{ID: "v-" + k, Key: k, Name: strings.ToUpper(k[:1]) + k[1:], IsControl: i == 0,
			Levels: map[string]string{"post_time": k, "format": "video", "hashtags": k}})
	}
	return e, vs
}

// fakePost is a post of variant v, posted at, with one snapshot per value at exactly 24 hours.
type fakePost struct {
	variant, account string
	at               time.Time
	values           []float64 // NaN: unknown
}

func fakeData(posts []fakePost) experiments.HorizonData {
	var d experiments.HorizonData
	for i, p := range posts {
		d.Posts = append(d.Posts, experiments.HorizonPost{ID: fmt.Sprintf("p%04d", i), VariantID: "v-" + p.variant,
			Account: p.account, PostedAt: p.at, Timezone: "Europe/Zurich"})
		for _, v := range p.values {
			r := experiments.Reading{Found: !math.IsNaN(v), ObservedAt: p.at.Add(24 * time.Hour), Value: v}
			if !r.Found {
				r = experiments.Reading{}
			}
			d.Brackets = append(d.Brackets, experiments.Bracket{Before: r, After: r})
		}
	}
	return d
}

func report(t *testing.T, e experiments.Experiment, vs []experiments.Variant, posts []fakePost, o Options, values ...string) Report {
	t.Helper()
	st, err := resolveReport(e, o)
	if err != nil {
		t.Fatalf("resolveReport: %v", err)
	}
	return buildReport(e, vs, fakeData(posts), values, st, posted.Add(60*24*time.Hour))
}

func warningCodes(m MetricReport) []string {
	var out []string
	for _, w := range m.Warnings {
		out = append(out, w.Code)
	}
	return out
}

// TestReportWeekdayImbalance: variants posted on different weekdays are flagged, unless the
// posting time is itself a factor under test.
func TestReportWeekdayImbalance(t *testing.T) {
	var posts []fakePost
	monday := time.Date(2026, 9, 7, 10, 0, 0, 0, time.UTC)
	for i := range 12 {
		posts = append(posts, fakePost{"morning", "ifrc", monday.AddDate(0, 0, 7*i), []float64{float64(100 + i*13)}},
			fakePost{"evening", "ifrc", monday.AddDate(0, 0, 7*i+5), []float64{float64(120 + i*17)}})
	}
	e, vs := fakeExperiment([]string{"format"}, "morning", "evening")
	r := report(t, e, vs, posts, Options{}, "views")
	if codes := warningCodes(r.Metrics[0]); !slices.Contains(codes, "weekday_imbalance") {
		t.Errorf("Monday vs Saturday posts: warnings %v, want weekday_imbalance", codes)
	}
	e.Factors = []string{"post_time"}
	r = report(t, e, vs, posts, Options{}, "views")
	if codes := warningCodes(r.Metrics[0]); slices.Contains(codes, "weekday_imbalance") {
		t.Errorf("post_time is a factor: warnings %v, want no weekday_imbalance", codes)
	}
}

// TestReportAllocationAndFactors: 40 posts against 10 planned 50/50 is a mismatch; hashtags
// and post_time change together in every variant, so only the first can be estimated.
func TestReportAllocationAndFactors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var posts []fakePost
	for i := range 50 {
		v, acct := "morning", []string{"ifrc", "unicef"}[i%2]
		if i%5 == 0 {
			v = "evening"
		}
		posts = append(posts, fakePost{v, acct, posted.AddDate(0, 0, i), []float64{math.Round(math.Exp(6 + rng.NormFloat64()))}})
	}
	e, vs := fakeExperiment([]string{"post_time", "hashtags", "format"}, "morning", "evening")
	r := report(t, e, vs, posts, Options{}, "views")
	if !r.Allocation.Mismatch || r.Allocation.Counts["morning"] != 40 || r.Allocation.ExpectedWeights["evening"] != 0.5 {
		t.Errorf("allocation = %+v, want a mismatch of 40 vs 10", r.Allocation)
	}
	m := r.Metrics[0]
	if !slices.Contains(warningCodes(m), "allocation_mismatch") {
		t.Errorf("warnings %v, want allocation_mismatch", warningCodes(m))
	}
	if len(m.Factors) != 3 {
		t.Fatalf("factors = %+v", m.Factors)
	}
	pt, tags, format := m.Factors[0], m.Factors[1], m.Factors[2]
	if pt.FStatistic == nil || len(pt.Levels) != 1 || pt.Levels[0].Level != "evening" || pt.Reference != "morning" {
		t.Errorf("post_time = %+v, want an estimate of evening against morning", pt)
	}
	if tags.FStatistic != nil || !strings.Contains(tags.Reason, "separately") {
		t.Errorf("hashtags = %+v, want no estimate: confounded with post_time", tags)
	}
	if format.FStatistic != nil || !strings.Contains(format.Reason, "same level") {
		t.Errorf("format = %+v, want no estimate: one level", format)
	}
}

// TestReportNeverNaN builds reports of small, odd samples (zeros, ties, one post, unknown
// values, zero denominators) and checks that each encodes as JSON and decides sensibly.
func TestReportNeverNaN(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	e, vs := fakeExperiment(nil, "a", "b", "c")
	e.RatioMetrics = []experiments.RatioMetric{{Name: "share_per_like", Numerator: "shares", Denominator: "likes"}}
	metrics := []string{"views", "engagement_rate", "completion_rate", "share_per_like"}
	values := []string{"views", "engagements", "completion_rate", "shares", "likes"}
	pick := func() float64 {
		switch rng.IntN(6) {
		case 0:
			return math.NaN()
		case 1:
			return 0
		case 2:
			return 5
		}
		return float64(rng.IntN(1000))
	}
	for trial := range 30 {
		var posts []fakePost
		for i := range rng.IntN(9) {
			vals := make([]float64, len(values))
			for k := range vals {
				vals[k] = pick()
			}
			if !math.IsNaN(vals[2]) {
				vals[2] = math.Mod(vals[2], 2) / 2
			}
			posts = append(posts, fakePost{[]string{"a", "b", "c"}[rng.IntN(3)], []string{"x", "y"}[i%2], posted.AddDate(0, 0, i), vals})
		}
		for _, o := range []Options{{Metrics: metrics}, {Metrics: metrics, Horizon: "latest"}} {
			r := report(t, e, vs, posts, o, values...)
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("trial %d: report does not encode: %v", trial, err)
			}
			for _, m := range r.Metrics {
				for _, c := range m.Comparisons {
					if c.Decision == DecisionNotEnoughData && (c.Reason == "" || !slices.Contains(warningCodes(m), "not_enough_data")) {
						t.Fatalf("trial %d: %s %s not_enough_data without a reason or warning: %+v", trial, m.Metric, c.Key, c)
					}
					if c.Summary == "" {
						t.Fatalf("trial %d: no summary", trial)
					}
				}
			}
		}
	}
}

func TestReportNoControl(t *testing.T) {
	e, vs := fakeExperiment(nil, "a", "b")
	vs[0].IsControl = false
	r := report(t, e, vs, nil, Options{}, "views")
	if m := r.Metrics[0]; len(m.Comparisons) != 0 || !slices.Contains(warningCodes(m), "no_control") {
		t.Errorf("no control: %+v", m)
	}
	if r.Recommendation.VariantKey != nil || r.Recommendation.Reason == "" {
		t.Errorf("recommendation = %+v", r.Recommendation)
	}
}

func TestResolveReport(t *testing.T) {
	e, _ := fakeExperiment(nil, "a")
	alpha := 0.9
	_, err := resolveReport(e, Options{Metrics: []string{"views", "nope"}, Horizon: "-3", Alpha: &alpha, Correction: "x"})
	var de *experiments.Error
	if !errorsAs(err, &de) || de.Code != experiments.EINVALID {
		t.Fatalf("resolveReport(bad) = %v, want EINVALID", err)
	}
	var fields []string
	for _, f := range de.Fields {
		fields = append(fields, f.Field)
	}
	for _, want := range []string{"metric", "horizon", "alpha", "correction"} {
		if !slices.Contains(fields, want) {
			t.Errorf("resolveReport(bad) names %v, want %s", fields, want)
		}
	}
	st, err := resolveReport(e, Options{Metrics: []string{"views", "views", "like_rate"}, Horizon: "6.5"})
	if err != nil || len(st.metrics) != 2 || st.horizon.age != 6*time.Hour+30*time.Minute || st.metrics[1].numerator != "likes" {
		t.Errorf("resolveReport = %+v, %v", st, err)
	}
}

func errorsAs(err error, target **experiments.Error) bool {
	e, ok := err.(*experiments.Error)
	*target = e
	return ok
}

func TestReportText(t *testing.T) {
	for _, tt := range []struct {
		x    float64
		want string
	}{{0.48, "48%"}, {0.004, "0.4%"}, {0.0995, "10%"}, {1.2852, "129%"}, {0.092, "9.2%"},
		{0.0004, "0.04%"}, {0.000004, "0.0004%"}, {0.00049, "0.05%"}, {0, "0%"}} {
		if got := percent(tt.x); got != tt.want {
			t.Errorf("percent(%v) = %q, want %q", tt.x, got, tt.want)
		}
	}
	for _, tt := range []struct {
		p    float64
		want string
	}{{0.004, "p = 0.004"}, {0.0004, "p < 0.001"}, {0.31234, "p = 0.31"}, {0.0123, "p = 0.012"}, {1, "p = 1"}} {
		if got := formatP(tt.p); got != tt.want {
			t.Errorf("formatP(%v) = %q, want %q", tt.p, got, tt.want)
		}
	}
	m := metricSpec{name: "views", kind: experiments.KindCount}
	in := reportInput{e: experiments.Experiment{MDE: 0.2}, st: reportSettings{alpha: 0.05}}
	control := &arm{v: experiments.Variant{ID: "a", Name: "Morning video"}}
	evening := &arm{v: experiments.Variant{ID: "b", Name: "Evening video"}}
	c := Comparison{VariantID: "b", Decision: DecisionBetter, Lift: num(0.48), LiftCILow: num(0.12), LiftCIHigh: num(0.95),
		PValue: num(0.004), PAdjusted: num(0.004)}
	v := verdict{all: pairTest{ok: true, liftOK: true, t: stats.TTest{Estimate: math.Log(1.48), Lift: 0.48}}, decidedAt: -1}
	want := "Evening video got 48% more views than Morning video (95% CI +12% to +95%); this is unlikely to be chance (p = 0.004)."
	if got := summary(in, m, control, evening, &c, v); got != want {
		t.Errorf("summary =\n%q, want\n%q", got, want)
	}
	for _, tt := range []struct {
		lift float64
		want string
	}{{0.0004, "Evening video got about as many views as Morning video"}, {-0.004, "Evening video got 0.4% fewer views than Morning video"}} {
		if got := changeClause(m, "Evening video", "Morning video", stats.TTest{Lift: tt.lift}, true, false); got != tt.want {
			t.Errorf("changeClause(%v) = %q, want %q", tt.lift, got, tt.want)
		}
	}
	for _, x := range []float64{-0.000001, -1e-12} {
		if got := signedPercent(x); strings.Contains(got, "-0%") || got == "0%" {
			t.Errorf("signedPercent(%v) = %q: a non-zero change must show as non-zero, never -0%%", x, got)
		}
	}
	if got := signedPercent(0); got != "0%" {
		t.Errorf("signedPercent(0) = %q, want 0%%", got)
	}
}

// TestReportFormattersBoundedForEveryFloat holds every number formatter of the report's text
// to a short answer for any float: one that recursed or looped on the size of a number
// (1e-300, 1e308) would kill the process, which no recover catches.
func TestReportFormattersBoundedForEveryFloat(t *testing.T) {
	xs := []float64{0, math.Copysign(0, -1), 5e-324, 1e-310, 1e-300, 1e-15, 0.005, 9.95, 1e9, 1e15, 1e300,
		math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1), -1e300, -5e-324}
	r := rand.New(rand.NewPCG(8, 1))
	for range 2000 {
		xs = append(xs, math.Float64frombits(r.Uint64()))
	}
	bounded := func(name string, in any, got string) {
		if len(got) == 0 || len(got) > 24 {
			t.Errorf("%s(%v) = %q (%d bytes), want a short non-empty text", name, in, got, len(got))
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, x := range xs {
			bounded("percent", x, percent(x))
			bounded("signedPercent", x, signedPercent(x))
			bounded("trimFloat", x, trimFloat(x))
			bounded("formatP", x, formatP(x))
			bounded("formatPlain", x, formatPlain(x))
		}
		for _, d := range []time.Duration{math.MinInt64, -1, 0, 1, math.MaxInt64} {
			bounded("formatHours", d, formatHours(d))
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("formatting did not finish in 10s")
	}
	for _, tt := range []struct {
		x    float64
		want string
	}{{1e-300, "0%"}, {1e300, "1e+302%"}, {1e308, "+Inf%"}, {9.99e6, "999000000%"}} {
		if got := percent(tt.x); got != tt.want {
			t.Errorf("percent(%v) = %q, want %q", tt.x, got, tt.want)
		}
	}
}
