package stats

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// GrowthBook's gbstats publishes test vectors for the methods it shares with
// ours. They are printed to about five significant digits, so they are
// checked to half a unit in the last printed digit.

func TestWelchRawSummaryGrowthBook(t *testing.T) {
	a := Summary{N: 3407, Mean: 0.41, Var: 15.21}
	b := Summary{N: 3461, Mean: 0.70, Var: 38.44}
	got, err := WelchRawSummary(a, b, 0.05)
	if err != nil {
		t.Fatalf("WelchRawSummary(%v, %v, 0.05) error: %v", a, b, err)
	}
	for _, c := range []struct {
		field     string
		got, want float64
	}{
		{"Lift", got.Lift, 0.70732},
		{"LiftSE", got.LiftSE, 0.37879},
		{"LiftCILow", got.LiftCILow, -0.03526},
		{"LiftCIHigh", got.LiftCIHigh, 1.44989},
		{"LiftPValue", got.LiftPValue, 0.06191},
		{"Estimate", got.Estimate, 0.29},
		{"CILow", got.CILow, 0.04538},
		{"CIHigh", got.CIHigh, 0.53462},
		{"PValue", got.PValue, 0.02016},
	} {
		if math.Abs(c.got-c.want) > 5e-6 {
			t.Errorf("WelchRawSummary(%v, %v, 0.05).%s = %.6f, want %v", a, b, c.field, c.got, c.want)
		}
	}
}

func TestChiSquareGOFGrowthBookSRM(t *testing.T) {
	for _, c := range []struct {
		counts, weights []float64
		want            float64
	}{
		{[]float64{1000, 1200}, []float64{0.5, 0.5}, 0.000020079},
		{[]float64{135, 115}, []float64{0.5, 0.5}, 0.205903211},
		{[]float64{310, 98}, []float64{0.75, 0.25}, 0.647434186},
	} {
		got, err := ChiSquareGOF(c.counts, c.weights)
		if err != nil {
			t.Fatalf("ChiSquareGOF(%v, %v) error: %v", c.counts, c.weights, err)
		}
		if math.Abs(got.PValue-c.want) > 5e-10 {
			t.Errorf("ChiSquareGOF(%v, %v).PValue = %.10g, want %v", c.counts, c.weights, got.PValue, c.want)
		}
	}
}

func TestPAdjustGrowthBookHolm(t *testing.T) {
	p := []float64{0.01, 0.04, 0.03, 0.005, 0.55, 0.6}
	want := []float64{0.05, 0.12, 0.12, 0.03, 1, 1}
	got, err := PAdjust(p, "holm")
	if err != nil {
		t.Fatalf("PAdjust(%v, holm) error: %v", p, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("PAdjust(%v, holm) = %v, want %v (-want +got):\n%s", p, got, want, diff)
	}
}
