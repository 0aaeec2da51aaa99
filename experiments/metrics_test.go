package experiments

import "testing"

// TestEngagementsSumTheParts: engagements add up the parts a snapshot has (a TikTok export has
// no saves), and are unknown only when it has none of them (SPEC §1).
func TestEngagementsSumTheParts(t *testing.T) {
	n := func(x int64) *int64 { return &x }
	for _, tt := range []struct {
		name   string
		m      Metrics
		want   float64
		wantOK bool
	}{
		{"all four", Metrics{Likes: n(5), Comments: n(1), Shares: n(2), Saves: n(3)}, 11, true},
		{"no saves", Metrics{Likes: n(5), Comments: n(1), Shares: n(2)}, 8, true},
		{"likes only, 0", Metrics{Likes: n(0)}, 0, true},
		{"none", Metrics{Views: n(100)}, 0, false},
	} {
		got, ok := Snapshot{Metrics: tt.m}.Value("engagements")
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: Value(engagements) = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
	for _, sm := range SnapshotMetrics {
		if kind, ok := MetricKind(sm.Name, nil); !ok || kind != sm.Kind {
			t.Errorf("MetricKind(%s) = %s, %v; want %s from the catalogue", sm.Name, kind, ok, sm.Kind)
		}
	}
}
