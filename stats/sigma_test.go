package stats

import (
	"math"
	"testing"
)

// TestResidualSD checks sigma(lm(...)) against R:
//
//	y <- c(1.2, 2.3, 0.4, 3.1, 2.2, 1.9, 4.0, 2.5, 3.3, 1.1)
//	treat <- factor(c(0,1,0,1,0,1,0,1,1,0)); acct <- factor(c("a","a","a","a","b","b","b","b","b","a"))
//	sigma(lm(y ~ treat + acct)); sigma(lm(y ~ treat)); sd(y)
func TestResidualSD(t *testing.T) {
	y := []float64{1.2, 2.3, 0.4, 3.1, 2.2, 1.9, 4.0, 2.5, 3.3, 1.1}
	treat := Factor{Name: "treat", Levels: []string{"0", "1", "0", "1", "0", "1", "0", "1", "1", "0"}}
	acct := Factor{Name: "account", Levels: []string{"a", "a", "a", "a", "b", "b", "b", "b", "b", "a"}}
	for _, tc := range []struct {
		name    string
		factors []Factor
		want    float64
	}{
		{"treat + account", []Factor{treat, acct}, 0.96904469404027971},
		{"treat", []Factor{treat}, 1.0686440005914037},
		{"none", nil, 1.1005049346146119},
	} {
		got, err := ResidualSD(y, tc.factors)
		if err != nil || math.Abs(got-tc.want) > 1e-9*tc.want {
			t.Errorf("ResidualSD(%s) = %v, %v, want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := ResidualSD([]float64{1, 2}, []Factor{{Name: "treat", Levels: []string{"0", "1"}}}); err == nil {
		t.Error("ResidualSD with as many coefficients as values: want an error")
	}
}
