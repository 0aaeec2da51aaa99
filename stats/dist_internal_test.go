package stats

import (
	"math"
	"testing"
)

// TestTCritical holds tCritical to R's qt(alpha/2, df, lower.tail = FALSE), to 1e-8
// relative, including the small alphas at many degrees of freedom that a Bonferroni share
// of alpha over many comparisons reaches (PowerT's search passes df up to 2·10⁷).
func TestTCritical(t *testing.T) {
	tests := []struct{ alpha, df, want float64 }{
		{0.05, 30, 2.04227245630124},
		{1e-07, 30000, 5.3280280554439},
		{1e-07, 100000, 5.32711507905732},
		{1e-08, 2e+06, 5.7307531102056},
		{1e-10, 1000, 6.53682083004059},
		{1e-12, 10000, 7.13975893627599},
		{1e-14, 1000, 7.85861700438271},
		{1e-14, 1e+07, 7.73926810178053},
		{1.01010101010101e-14, 200000, 7.73856713860158},
		{1e-14, 1, 63661977236758.1},
	}
	for _, tt := range tests {
		if got := tCritical(tt.alpha, tt.df); !(math.Abs(got-tt.want) <= 1e-8*tt.want) {
			t.Errorf("tCritical(%g, %g) = %.15g, want %.15g", tt.alpha, tt.df, got, tt.want)
		}
	}
}

// TestPowerTSmallAlpha: PowerT at a small alpha agrees with
// power.t.test(delta = log(1.2), sd = 1, sig.level = alpha, power = 0.8)$n.
func TestPowerTSmallAlpha(t *testing.T) {
	tests := []struct{ alpha, want float64 }{
		{1e-5 / 99, 2294.9701314447},
		{1e-8 / 99, 3222.90957772831},
		{1e-12 / 99, 4443.77742974495},
	}
	for _, tt := range tests {
		got, err := PowerT(1, 0.2, tt.alpha, 0.8)
		if err != nil || math.Abs(got.NExact-tt.want) > 1e-6*tt.want {
			t.Errorf("PowerT(1, 0.2, %g, 0.8) = %v, %v; want n %v", tt.alpha, got.NExact, err, tt.want)
		}
	}
}
