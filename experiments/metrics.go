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

// Metrics are the built-in numbers of a snapshot, cumulative at the moment it was read. A nil
// number is unknown, never 0.
type Metrics struct {
	Views            *int64   `json:"views"`
	Reach            *int64   `json:"reach"`
	Likes            *int64   `json:"likes"`
	Comments         *int64   `json:"comments"`
	Shares           *int64   `json:"shares"`
	Saves            *int64   `json:"saves"`
	FollowersGained  *int64   `json:"followers_gained"`
	ProfileViews     *int64   `json:"profile_views"`
	WatchTimeSeconds *float64 `json:"watch_time_seconds"`
	AvgWatchSeconds  *float64 `json:"avg_watch_seconds"`
	CompletionRate   *float64 `json:"completion_rate"`
}

// SnapshotMetric is one built-in number of a snapshot: its name (the JSON field, the import
// column and the database column), its kind, and where Metrics keeps it.
type SnapshotMetric struct {
	Name     string
	Kind     string // KindCount or KindMean
	Fraction bool   // a share between 0 and 1
	whole    func(*Metrics) **int64
	real     func(*Metrics) **float64
}

// SnapshotMetrics is the catalogue of built-in snapshot metrics, in the order of the API and
// of the snapshots table. Every other list of metrics (validation, imports, storage, the
// report) is derived from it.
var SnapshotMetrics = []SnapshotMetric{
	{Name: "views", Kind: KindCount, whole: func(m *Metrics) **int64 { return &m.Views }},
	{Name: "reach", Kind: KindCount, whole: func(m *Metrics) **int64 { return &m.Reach }},
	{Name: "likes", Kind: KindCount, whole: func(m *Metrics) **int64 { return &m.Likes }},
	{Name: "comments", Kind: KindCount, whole: func(m *Metrics) **int64 { return &m.Comments }},
	{Name: "shares", Kind: KindCount, whole: func(m *Metrics) **int64 { return &m.Shares }},
	{Name: "saves", Kind: KindCount, whole: func(m *Metrics) **int64 { return &m.Saves }},
	{Name: "followers_gained", Kind: KindCount, whole: func(m *Metrics) **int64 { return &m.FollowersGained }},
	{Name: "profile_views", Kind: KindCount, whole: func(m *Metrics) **int64 { return &m.ProfileViews }},
	{Name: "watch_time_seconds", Kind: KindCount, real: func(m *Metrics) **float64 { return &m.WatchTimeSeconds }},
	{Name: "avg_watch_seconds", Kind: KindMean, real: func(m *Metrics) **float64 { return &m.AvgWatchSeconds }},
	{Name: "completion_rate", Kind: KindMean, Fraction: true, real: func(m *Metrics) **float64 { return &m.CompletionRate }},
}

// EngagementParts are the counts that engagements adds up.
var EngagementParts = []string{"likes", "comments", "shares", "saves"}

// Whole reports whether the metric is kept as a whole number (else as a real one).
func (sm SnapshotMetric) Whole() bool { return sm.whole != nil }

// WholeIn points at the metric in m when it is a whole number, else returns nil.
func (sm SnapshotMetric) WholeIn(m *Metrics) **int64 {
	if sm.whole == nil {
		return nil
	}
	return sm.whole(m)
}

// RealIn points at the metric in m when it is a real number, else returns nil.
func (sm SnapshotMetric) RealIn(m *Metrics) **float64 {
	if sm.real == nil {
		return nil
	}
	return sm.real(m)
}

// Stored is the metric's value in m as a column holds it: an *int64 or a *float64, nil inside
// when unknown.
func (sm SnapshotMetric) Stored(m *Metrics) any {
	if sm.whole != nil {
		return *sm.whole(m)
	}
	return *sm.real(m)
}

// In returns the metric's value in m; ok is false when it is unknown.
func (sm SnapshotMetric) In(m *Metrics) (float64, bool) {
	if sm.whole != nil {
		if p := *sm.whole(m); p != nil {
			return float64(*p), true
		}
		return 0, false
	}
	if p := *sm.real(m); p != nil {
		return *p, true
	}
	return 0, false
}

// SnapshotMetricByName finds a built-in snapshot metric.
func SnapshotMetricByName(name string) (SnapshotMetric, bool) {
	i := slices.IndexFunc(SnapshotMetrics, func(sm SnapshotMetric) bool { return sm.Name == name })
	if i < 0 {
		return SnapshotMetric{}, false
	}
	return SnapshotMetrics[i], true
}

// CountMetrics are the built-in snapshot metrics that hold counts.
var CountMetrics = snapshotMetricNames(KindCount)

// MeanMetrics are per-post averages, compared on their raw scale.
var MeanMetrics = snapshotMetricNames(KindMean)

func snapshotMetricNames(kind string) []string {
	var out []string
	for _, sm := range SnapshotMetrics {
		if sm.Kind == kind {
			out = append(out, sm.Name)
		}
	}
	return out
}

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

// Value returns the snapshot's value of a count or mean metric; ok is false when unknown.
// Engagements is the sum of the parts (likes, comments, shares, saves) the snapshot has,
// unknown only when it has none of them: TikTok exports, for one, have no saves.
func (s Snapshot) Value(metric string) (float64, bool) {
	if sm, ok := SnapshotMetricByName(metric); ok {
		return sm.In(&s.Metrics)
	}
	if metric == "engagements" {
		total, any := 0.0, false
		for _, part := range EngagementParts {
			if v, ok := s.Value(part); ok {
				total, any = total+v, true
			}
		}
		return total, any
	}
	if name, ok := strings.CutPrefix(metric, "custom."); ok {
		v, found := s.Custom[name]
		return v, found
	}
	return 0, false
}
