package experiments

import (
	"math"
	"testing"
	"time"
)

func TestHorizonRuleValueAt(t *testing.T) {
	posted := time.Date(2026, 9, 14, 17, 5, 0, 0, time.UTC)
	reading := func(hours, value float64) Reading {
		return Reading{Found: true, ObservedAt: posted.Add(time.Duration(hours * float64(time.Hour))), Value: value}
	}
	h := HorizonRule{Age: HorizonDuration(24), Tolerance: 0.25}
	tests := []struct {
		name   string
		b      Bracket
		want   float64
		wantOK bool
	}{
		{"interpolated", Bracket{Before: reading(18, 100), After: reading(30, 160)}, 130, true},
		{"exactly at H", Bracket{Before: reading(24, 120), After: reading(24, 120)}, 120, true},
		{"at H after a gap", Bracket{Before: reading(10, 50), After: reading(24, 120)}, 120, true},
		{"far apart still interpolated", Bracket{Before: reading(1, 10), After: reading(100, 1000)}, 10 + 990*23.0/99, true},
		{"nearest before, within 6 h", Bracket{Before: reading(18, 100)}, 100, true},
		{"nearest after, within 6 h", Bracket{After: reading(30, 160)}, 160, true},
		{"before, too early", Bracket{Before: reading(17.9, 100)}, 0, false},
		{"after, too late", Bracket{After: reading(30.1, 160)}, 0, false},
		{"none", Bracket{}, 0, false},
	}
	for _, tt := range tests {
		got, ok := h.ValueAt(tt.b, posted)
		if ok != tt.wantOK || math.Abs(got-tt.want) > 1e-9*math.Max(1, tt.want) {
			t.Errorf("%s: ValueAt = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
	latest := HorizonRule{Latest: true}
	if v, ok := latest.ValueAt(Bracket{Before: reading(70, 9)}, posted); !ok || v != 9 {
		t.Errorf("latest ValueAt = %v, %v; want 9, true", v, ok)
	}
}
