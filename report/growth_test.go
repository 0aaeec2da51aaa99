package report

import (
	"slices"
	"testing"
)

// TestGrowthAges: the ladder up to twice the horizon (at least 48 h), with the horizon itself.
func TestGrowthAges(t *testing.T) {
	tests := []struct {
		horizon float64
		want    []float64
	}{
		{24, []float64{1, 2, 3, 6, 12, 24, 48}},
		{6.5, []float64{1, 2, 3, 6, 6.5, 12, 24, 48}},
		{200, []float64{1, 2, 3, 6, 12, 24, 48, 72, 168, 200, 336}},
		{8784, []float64{1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720, 8784}},
		{0.5, []float64{0.5, 1, 2, 3, 6, 12, 24, 48}},
	}
	for _, tt := range tests {
		if got := growthAges(tt.horizon); !slices.Equal(got, tt.want) {
			t.Errorf("growthAges(%v) = %v, want %v", tt.horizon, got, tt.want)
		}
	}
}
