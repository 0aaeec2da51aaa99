package experiments

import (
	"math"
	"testing"
)

// TestPlannedShares: shares add up to 1 and keep the weights' proportions, a variant without
// a weight takes 1/k first, and weights whose sum overflows a float still share evenly.
func TestPlannedShares(t *testing.T) {
	for _, tt := range []struct {
		weights []float64
		want    []float64
	}{
		{[]float64{0, 0}, []float64{0.5, 0.5}},
		{[]float64{3, 1}, []float64{0.75, 0.25}},
		{[]float64{0, 1}, []float64{1.0 / 3, 2.0 / 3}}, // 0 takes 1/2 before scaling: 0.5 : 1
		{[]float64{1e308, 1e308}, []float64{0.5, 0.5}},
		{[]float64{math.MaxFloat64, math.MaxFloat64, math.MaxFloat64}, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}},
		{[]float64{5e-324, 5e-324}, []float64{0.5, 0.5}},
	} {
		vs := make([]Variant, len(tt.weights))
		for i, w := range tt.weights {
			vs[i].Weight = w
		}
		got := PlannedShares(vs)
		for i := range got {
			if math.Abs(got[i]-tt.want[i]) > 1e-12 {
				t.Errorf("PlannedShares(weights %v) = %v, want %v", tt.weights, got, tt.want)
				break
			}
		}
	}
}
