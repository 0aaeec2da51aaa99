package experiments

import (
	"regexp"
	"slices"
	"strings"
)

// Metric kinds decide the test a report runs (SPEC §1 and §3).
const (
	KindCount = "count" // welch_log on log1p, with Mann–Whitney and permutation checks
	KindRatio = "ratio" // ratio_delta
	KindMean  = "mean"  // welch_raw
)

// CountMetrics are the snapshot columns that hold counts.
var CountMetrics = []string{"views", "reach", "likes", "comments", "shares", "saves",
	"followers_gained", "profile_views", "watch_time_seconds"}

// MeanMetrics are per-post averages, compared on their raw scale.
var MeanMetrics = []string{"completion_rate", "avg_watch_seconds"}

// BuiltinRatios are the ratio metrics every experiment has.
var BuiltinRatios = []RatioMetric{
	{Name: "engagement_rate", Numerator: "engagements", Denominator: "views"},
	{Name: "like_rate", Numerator: "likes", Denominator: "views"},
	{Name: "comment_rate", Numerator: "comments", Denominator: "views"},
	{Name: "share_rate", Numerator: "shares", Denominator: "views"},
	{Name: "save_rate", Numerator: "saves", Denominator: "views"},
	{Name: "follow_rate", Numerator: "followers_gained", Denominator: "views"},
}

var customNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ValidCustomName reports whether name can name a custom metric (custom.NAME).
func ValidCustomName(name string) bool { return customNameRE.MatchString(name) }

// MetricKind says what kind of metric name is for an experiment with the given custom ratio
// metrics; ok is false for an unknown name.
func MetricKind(name string, ratios []RatioMetric) (kind string, ok bool) {
	switch {
	case slices.Contains(CountMetrics, name), name == "engagements":
		return KindCount, true
	case slices.Contains(MeanMetrics, name):
		return KindMean, true
	case strings.HasPrefix(name, "custom."):
		return KindCount, ValidCustomName(strings.TrimPrefix(name, "custom."))
	}
	if _, ok := RatioByName(name, ratios); ok {
		return KindRatio, true
	}
	return "", false
}

// RatioByName finds a ratio metric among the built-in ones and the experiment's own.
func RatioByName(name string, ratios []RatioMetric) (RatioMetric, bool) {
	for _, r := range append(slices.Clone(BuiltinRatios), ratios...) {
		if r.Name == name {
			return r, true
		}
	}
	return RatioMetric{}, false
}

// Value returns the snapshot's value of a count or mean metric (engagements is the sum of
// likes, comments, shares and saves, unknown when any of them is); ok is false when unknown.
func (s Snapshot) Value(metric string) (float64, bool) {
	count := func(p *int64) (float64, bool) {
		if p == nil {
			return 0, false
		}
		return float64(*p), true
	}
	real := func(p *float64) (float64, bool) {
		if p == nil {
			return 0, false
		}
		return *p, true
	}
	switch metric {
	case "views":
		return count(s.Views)
	case "reach":
		return count(s.Reach)
	case "likes":
		return count(s.Likes)
	case "comments":
		return count(s.Comments)
	case "shares":
		return count(s.Shares)
	case "saves":
		return count(s.Saves)
	case "followers_gained":
		return count(s.FollowersGained)
	case "profile_views":
		return count(s.ProfileViews)
	case "watch_time_seconds":
		return real(s.WatchTimeSeconds)
	case "avg_watch_seconds":
		return real(s.AvgWatchSeconds)
	case "completion_rate":
		return real(s.CompletionRate)
	case "engagements":
		total := 0.0
		for _, p := range []*int64{s.Likes, s.Comments, s.Shares, s.Saves} {
			if p == nil {
				return 0, false
			}
			total += float64(*p)
		}
		return total, true
	}
	if name, ok := strings.CutPrefix(metric, "custom."); ok {
		v, found := s.Custom[name]
		return v, found
	}
	return 0, false
}
