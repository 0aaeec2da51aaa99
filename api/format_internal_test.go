package api

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSignedPctBoundedForEveryFloat(t *testing.T) {
	xs := []float64{0, 5e-324, 1e-300, 0.005, 0.42, 1e7, 1e9, 1e300, 1e308, math.MaxFloat64, math.Inf(1), math.NaN()}
	for _, x := range xs {
		xs = append(xs, -x)
	}
	r := rand.New(rand.NewPCG(8, 2))
	for range 2000 {
		xs = append(xs, math.Float64frombits(r.Uint64()))
	}
	for _, x := range xs {
		if got := signedPct(x); len(got) == 0 || len(got) > 16 {
			t.Errorf("signedPct(%v) = %q, want a short label", x, got)
		}
	}
	for x, want := range map[float64]string{0.42: "+42%", -0.42: "-42%", 1e300: "1e+302%", 0.004: "0%"} {
		if got := signedPct(x); got != want {
			t.Errorf("signedPct(%v) = %q, want %q", x, got, want)
		}
	}
}
