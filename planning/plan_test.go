package planning

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"postlab/experiments"
)

func floatPtr(x float64) *float64 { return &x }

func TestPlanSampleSizeGivenSD(t *testing.T) {
	s := NewService(nil, nil) // a given sd needs no store
	got, err := s.PlanSampleSize(context.Background(), experiments.Principal{}, SampleSizeInput{MDE: floatPtr(0.2),
		Baseline: &BaselineInput{SD: floatPtr(1.27)}, PostsPerWeek: floatPtr(60)})
	if err != nil {
		t.Fatal(err)
	}
	// R: ceiling(power.t.test(delta = log(1.2), sd = 1.27, sig.level = 0.05, power = 0.8)$n)
	// = ceiling(762.635447456174) = 763; 1,526 posts at 60 a week take 26 weeks.
	const want = 763
	if got.PostsPerVariant != want || got.TotalPosts != 2*want || got.Weeks == nil || *got.Weeks != 26 ||
		got.SDSource != "given" || got.Alpha != 0.05 || got.Power != 0.8 || got.Variants != 2 {
		t.Errorf("PlanSampleSize() = %+v, want %d per variant with the defaults", got, want)
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
