package planning

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"postlab/experiments"
)

func floatPtr(x float64) *float64 { return &x }

// TestPlanSampleSizeGivenSD pins power_gs to R (rpact 4 looks, O'Brien–Fleming-type):
//
//	nf <- power.t.test(delta = log(1.2), sd = 1.27, sig.level = 0.05, power = 0.8)$n   # 762.635447456174
//	d <- getDesignGroupSequential(kMax = 4, alpha = 0.05, sided = 2, typeOfDesign = "asOF",
//	       informationRates = (1:4) / 4)
//	getDesignCharacteristics(d)$inflationFactor  # 1.01963733045673; ceiling(nf * that) = 778
//	# 3 variants, alpha 0.01, power 0.9: alpha / 2 for each comparison
//	power.t.test(delta = log(1.2), sd = 1.27, sig.level = 0.005, power = 0.9)$n  # 1624.18249155235
//	# inflation at alpha 0.005: 1.00659184592109; ceiling = 1635
func TestPlanSampleSizeGivenSD(t *testing.T) {
	s := NewService(nil, nil) // a given sd needs no store
	tests := []struct {
		in                SampleSizeInput
		nFixed, inflation float64
		n, total          int
		weeks             int
		looks             []int
	}{
		{SampleSizeInput{MDE: floatPtr(0.2), Baseline: &BaselineInput{SD: floatPtr(1.27)}, PostsPerWeek: floatPtr(60)},
			762.635447456174, 1.01963733045673, 778, 1556, 26, []int{195, 389, 584, 778}},
		{SampleSizeInput{MDE: floatPtr(0.2), Alpha: floatPtr(0.01), Power: floatPtr(0.9), Variants: intPtr(3),
			Baseline: &BaselineInput{SD: floatPtr(1.27)}, PostsPerWeek: floatPtr(100)},
			1624.18249155235, 1.00659184592109, 1635, 4905, 50, []int{409, 818, 1227, 1635}},
	}
	for _, tt := range tests {
		got, err := s.PlanSampleSize(context.Background(), experiments.Principal{}, tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Method != "power_gs" || got.PostsPerVariant != tt.n || got.TotalPosts != tt.total || got.Weeks == nil || *got.Weeks != tt.weeks ||
			!slices.Equal(got.LookPosts, tt.looks) || got.SDSource != "given" {
			t.Errorf("PlanSampleSize(%+v) = %+v, want %d per variant, %d in all, %d weeks, looks at %v", tt.in, got, tt.n, tt.total, tt.weeks, tt.looks)
		}
		if math.Abs(got.NFixed-tt.nFixed) > 1e-6*tt.nFixed || math.Abs(got.Inflation-tt.inflation) > 1e-6 {
			t.Errorf("PlanSampleSize(%+v): n_fixed %v, inflation %v; want %v, %v", tt.in, got.NFixed, got.Inflation, tt.nFixed, tt.inflation)
		}
	}
}

func TestLookPosts(t *testing.T) {
	for p, want := range map[int][]int{3: {1, 2, 3, 3}, 8: {2, 4, 6, 8}, 10: {3, 5, 8, 10}, 584: {146, 292, 438, 584}} {
		if got := LookPosts(p); !slices.Equal(got, want) {
			t.Errorf("LookPosts(%d) = %v, want %v", p, got, want)
		}
	}
}

func TestSampleSizeSettings(t *testing.T) {
	ok := func() SampleSizeInput {
		return SampleSizeInput{MDE: floatPtr(0.2), Baseline: &BaselineInput{SD: floatPtr(1)}}
	}
	tests := []struct {
		name  string
		edit  func(*SampleSizeInput)
		field string
	}{
		{"no mde", func(in *SampleSizeInput) { in.MDE = nil }, "mde"},
		{"negative mde", func(in *SampleSizeInput) { in.MDE = floatPtr(-0.1) }, "mde"},
		{"alpha 0", func(in *SampleSizeInput) { in.Alpha = floatPtr(0) }, "alpha"},
		{"power 1", func(in *SampleSizeInput) { in.Power = floatPtr(1) }, "power"},
		{"1 variant", func(in *SampleSizeInput) { one := 1; in.Variants = &one }, "variants"},
		{"rate 0", func(in *SampleSizeInput) { in.PostsPerWeek = floatPtr(0) }, "posts_per_week"},
		{"no baseline", func(in *SampleSizeInput) { in.Baseline = nil }, "baseline"},
		{"empty baseline", func(in *SampleSizeInput) { in.Baseline = &BaselineInput{} }, "baseline"},
		{"two baselines", func(in *SampleSizeInput) { in.Baseline.Experiment = "e" }, "baseline"},
		{"sd 0", func(in *SampleSizeInput) { in.Baseline.SD = floatPtr(0) }, "baseline.sd"},
		{"account without experiment", func(in *SampleSizeInput) { in.Baseline.Account = "ifrc" }, "baseline.account"},
		{"mean metric", func(in *SampleSizeInput) { in.Baseline.Metric = "completion_rate" }, "baseline.metric"},
		{"unknown metric", func(in *SampleSizeInput) { in.Baseline.Metric = "vibes" }, "baseline.metric"},
	}
	for _, tt := range tests {
		in := ok()
		tt.edit(&in)
		_, err := sampleSizeSettings(in)
		var e *experiments.Error
		if !errors.As(err, &e) || !slices.ContainsFunc(e.Fields, func(f experiments.FieldError) bool { return f.Field == tt.field }) {
			t.Errorf("%s: sampleSizeSettings() = %v, want an error naming %s", tt.name, err, tt.field)
		}
	}
	if _, err := sampleSizeSettings(ok()); err != nil {
		t.Errorf("sampleSizeSettings(valid) = %v", err)
	}
}

func TestSampleSizeSummary(t *testing.T) {
	views, clicks := "views", "custom.link_clicks"
	weeks, one := 26, 1
	tests := []struct {
		s    SampleSize
		want string
	}{
		{SampleSize{PostsPerVariant: 765, TotalPosts: 1530, Weeks: &weeks, Metric: &views, MDE: 0.2, Power: 0.8, Variants: 2, PostsPerWeek: floatPtr(60)},
			"To detect a 20% lift in views with 80% power you need 765 posts per variant (1,530 in all), about 26 weeks at 60 posts a week."},
		{SampleSize{PostsPerVariant: 12, TotalPosts: 36, Metric: &clicks, MDE: 0.125, Power: 0.9, Variants: 3},
			"To detect a 12.5% lift in link clicks with 90% power you need 12 posts per variant (36 in all, across 3 variants)."},
		{SampleSize{PostsPerVariant: 2, TotalPosts: 4, Weeks: &one, MDE: 1, Power: 0.8, Variants: 2, PostsPerWeek: floatPtr(7.5)},
			"To detect a 100% lift with 80% power you need 2 posts per variant (4 in all), about 1 week at 7.5 posts a week."},
		{SampleSize{PostsPerVariant: 5840, TotalPosts: 11680, MDE: 0.2, Power: 0.8, Variants: 2, LookPosts: LookPosts(5840)},
			"To detect a 20% lift with 80% power you need 5,840 posts per variant (11,680 in all). The report checks at 1,460, 2,920, 4,380 and 5,840 posts per variant; a clear result at an earlier check ends the experiment sooner."},
		{SampleSize{PostsPerVariant: 5, TotalPosts: 10, MDE: 3, Power: 0.8, Variants: 2, LookPosts: LookPosts(5)},
			"To detect a 300% lift with 80% power you need 5 posts per variant (10 in all). The report checks at 3, 4 and 5 posts per variant; a clear result at an earlier check ends the experiment sooner."},
		{SampleSize{PostsPerVariant: 3, TotalPosts: 6, MDE: 100, Power: 0.8, Variants: 2, LookPosts: LookPosts(3)},
			"To detect a 10000% lift with 80% power you need 3 posts per variant (6 in all). The report decides at 3 posts per variant."},
	}
	for _, tt := range tests {
		if got := sampleSizeSummary(tt.s); got != tt.want {
			t.Errorf("sampleSizeSummary() = %q, want %q", got, tt.want)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := planThousands(n); got != want {
			t.Errorf("planThousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestScheduleAdherenceSummary(t *testing.T) {
	now := time.Date(2026, 9, 20, 12, 0, 0, 0, time.UTC)
	slot := func(hoursAgo float64, onTime, wrong bool) experiments.ScheduledSlot {
		return experiments.ScheduledSlot{ScheduleSlot: experiments.ScheduleSlot{PlannedAt: now.Add(-time.Duration(hoursAgo * float64(time.Hour)))}, OnTime: onTime, WrongVariant: wrong}
	}
	a := Adherence([]experiments.ScheduledSlot{slot(48, true, false), slot(24, false, true), slot(3, false, false),
		slot(1, true, false), slot(-24, false, false)}, now)
	if a.Slots != 5 || a.Due != 3 || a.OnTime != 1 || a.Missed != 2 || a.WrongVariant != 1 || a.OnTimeShare == nil || *a.OnTimeShare != 1.0/3 {
		t.Errorf("Adherence() = %+v, want 3 due (slots within 2 hours are not yet), 1 on time, 2 missed, 1 wrong variant", a)
	}
	if want := "1 of the 3 planned posts due so far went out on time with the planned variant (33.3%); 1 went out with another variant."; a.Summary != want {
		t.Errorf("summary = %q, want %q", a.Summary, want)
	}
	if a := Adherence([]experiments.ScheduledSlot{slot(-1, false, false)}, now); a.Due != 0 || a.OnTimeShare != nil || a.Summary != "None of the plan's 1 planned post is due yet." {
		t.Errorf("Adherence(nothing due) = %+v", a)
	}
}

// extremeFloats are the floats a formatter must survive: zeros, subnormals, the smallest and
// largest normals, values at the edges of plain and scientific writing, NaN and ±Inf, and a
// seeded sample of arbitrary bit patterns.
func extremeFloats() []float64 {
	xs := []float64{0, math.Copysign(0, -1), 5e-324, 1e-310, 2.2250738585072014e-308, 1e-300, 1e-15, 0.005,
		0.0995, 9.95, 1e9 - 1, 1e9, 1e15, 1e300, 1e308, math.MaxFloat64, math.NaN(), math.Inf(1)}
	for _, x := range slices.Clone(xs) {
		xs = append(xs, -x)
	}
	r := rand.New(rand.NewPCG(8, 1))
	for range 2000 {
		xs = append(xs, math.Float64frombits(r.Uint64()))
	}
	return xs
}

// boundedText fails the test when a formatter's text is long enough to have grown with its
// input: plain numbers up to 1e9 and three significant digits beyond need far less.
func boundedText(t *testing.T, name string, in any, got string, limit int) {
	t.Helper()
	if len(got) == 0 || len(got) > limit {
		t.Errorf("%s(%v) = %q (%d bytes), want a short non-empty text", name, in, got, len(got))
	}
}

// withinDeadline runs fn and fails the test when it has not returned in d: a formatter that
// loops on the size of a number never returns (one that recurses kills the test binary).
func withinDeadline(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("formatting did not finish in %s", d)
	}
}

func TestPlanFormattersBoundedForEveryFloat(t *testing.T) {
	ints := []int{0, 1, -1, 999, 1000, -1000, math.MaxInt, math.MinInt, math.MinInt + 1}
	withinDeadline(t, 10*time.Second, func() {
		for _, x := range extremeFloats() {
			boundedText(t, "planPercent", x, planPercent(x), 16)
			boundedText(t, "planDecimal", x, planDecimal(x, 2), 16)
			weeks := int(math.Ceil(1530 / x)) // what an unbounded rate would make of the weeks
			s := SampleSize{PostsPerVariant: 765, TotalPosts: 1530, Weeks: &weeks, MDE: x, Power: x, Variants: 2, PostsPerWeek: &x}
			boundedText(t, "sampleSizeSummary", x, sampleSizeSummary(s), 200)
		}
		for _, n := range ints {
			boundedText(t, "planThousands", n, planThousands(n), 26)
		}
	})
	for n, want := range map[int]string{math.MinInt: "-9,223,372,036,854,775,808", math.MaxInt: "9,223,372,036,854,775,807"} {
		if got := planThousands(n); got != want {
			t.Errorf("planThousands(%d) = %q, want %q", n, got, want)
		}
	}
	for _, tt := range []struct {
		x    float64
		want string
	}{{1e-300, "0"}, {0.01, "0.01"}, {7.5, "7.5"}, {-1e-300, "0"}, {1e308, "1e+308"}, {math.Inf(1), "+Inf"}} {
		if got := planDecimal(tt.x, 2); got != tt.want {
			t.Errorf("planDecimal(%v, 2) = %q, want %q", tt.x, got, tt.want)
		}
	}
}

func TestPlanSampleSizeRefusesRatesOutsideTheRange(t *testing.T) {
	s := NewService(nil, nil)
	for _, rate := range []float64{1e-300, 5e-324, 0.0099, 100000.5, 1e308, math.Inf(1), math.NaN()} {
		_, err := s.PlanSampleSize(context.Background(), experiments.Principal{}, SampleSizeInput{MDE: floatPtr(0.2),
			Baseline: &BaselineInput{SD: floatPtr(1)}, PostsPerWeek: floatPtr(rate)})
		var e *experiments.Error
		if !errors.As(err, &e) || e.Code != experiments.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "posts_per_week" {
			t.Errorf("posts_per_week %v: err = %v, want 422 naming posts_per_week", rate, err)
		}
	}
	got, err := s.PlanSampleSize(context.Background(), experiments.Principal{}, SampleSizeInput{MDE: floatPtr(0.2),
		Baseline: &BaselineInput{SD: floatPtr(1)}, PostsPerWeek: floatPtr(MinPostsPerWeek)})
	if err != nil || got.Weeks == nil || *got.Weeks != int(math.Ceil(float64(got.TotalPosts)/MinPostsPerWeek)) {
		t.Errorf("posts_per_week %v: %+v, %v; want the weeks at the slowest rate allowed", MinPostsPerWeek, got, err)
	}
}

// TestSampleSizeNamesTheFieldAtFault: an sd so small that the lift in sds overflows is the sd's
// fault, not the mde's; an mde above the range says what the range is.
func TestSampleSizeNamesTheFieldAtFault(t *testing.T) {
	s := NewService(nil, nil)
	tests := []struct {
		name    string
		in      SampleSizeInput
		field   string
		message string
	}{
		{"subnormal sd", SampleSizeInput{MDE: floatPtr(0.2), Baseline: &BaselineInput{SD: floatPtr(5e-324)}}, "baseline.sd", "too small"},
		{"mde 1e308", SampleSizeInput{MDE: floatPtr(1e308), Baseline: &BaselineInput{SD: floatPtr(1)}}, "mde", "at most 100"},
		{"mde 101", SampleSizeInput{MDE: floatPtr(101), Baseline: &BaselineInput{SD: floatPtr(1)}}, "mde", "at most 100"},
	}
	for _, tt := range tests {
		_, err := s.PlanSampleSize(context.Background(), experiments.Principal{}, tt.in)
		var e *experiments.Error
		if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != tt.field || !strings.Contains(e.Fields[0].Message, tt.message) {
			t.Errorf("%s: PlanSampleSize() = %v, want one error naming %s that says %q", tt.name, err, tt.field, tt.message)
		}
	}
}
