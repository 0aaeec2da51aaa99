package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Under no true difference a test at alpha = 0.05 must say "significant" in
// about 5% of experiments. 2,000 simulated experiments of 25 posts per
// variant, views drawn from the same skewed (log-normal) distribution for
// both, put the rejection rate within 3.5%–6.5% (about three standard errors).
func TestNullRejectionRate(t *testing.T) {
	const (
		experiments = 2000
		n           = 25
		alpha       = 0.05
	)
	rng := rand.New(rand.NewPCG(2024, 7))
	draw := func() []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Round(math.Exp(7 + 1.2*rng.NormFloat64()))
		}
		return x
	}
	var welchRejects, mwRejects int
	for range experiments {
		a, b := draw(), draw()
		w, err := WelchLog(a, b, alpha)
		if err != nil {
			t.Fatalf("WelchLog(%v, %v) error: %v", a, b, err)
		}
		if w.PValue < alpha {
			welchRejects++
		}
		m, err := MannWhitneyU(a, b)
		if err != nil {
			t.Fatalf("MannWhitneyU(%v, %v) error: %v", a, b, err)
		}
		if m.PValue < alpha {
			mwRejects++
		}
	}
	for name, rejects := range map[string]int{"WelchLog": welchRejects, "MannWhitneyU": mwRejects} {
		rate := float64(rejects) / experiments
		if rate < 0.035 || rate > 0.065 {
			t.Errorf("%s rejection rate under the null = %.4f, want 0.035–0.065", name, rate)
		}
		t.Logf("%s rejection rate under the null: %.4f", name, rate)
	}
}

// The permutation p-value is deterministic for a seed and close to the Welch
// p-value on well-behaved data.
func TestPermutationDeterministic(t *testing.T) {
	values := []float64{1508, 157, 896, 1608, 330, 12, 40, 700, 2200, 95, 310, 1250}
	treated := []bool{true, false, true, true, false, false, true, false, true, false, false, true}
	strata := []string{"a", "a", "a", "b", "b", "b", "a", "b", "a", "b", "a", "b"}
	first, err := PermutationTest(values, treated, strata, 2000, 42)
	if err != nil {
		t.Fatalf("PermutationTest error: %v", err)
	}
	again, _ := PermutationTest(values, treated, strata, 2000, 42)
	if first != again {
		t.Errorf("PermutationTest(seed 42) = %+v then %+v, want the same result", first, again)
	}
	if first.Permutations != 2000 {
		t.Errorf("PermutationTest(…, 2000, 42).Permutations = %d, want 2000", first.Permutations)
	}
	def, _ := PermutationTest(values, treated, nil, 0, 42)
	if def.Permutations != DefaultPermutations {
		t.Errorf("PermutationTest(…, 0, 42).Permutations = %d, want %d", def.Permutations, DefaultPermutations)
	}
}

func TestChanceToBeBest(t *testing.T) {
	means := []float64{0.1, 0.3, 0.25}
	sds := []float64{0.05, 0.05, 0.1}
	got, err := ChanceToBeBest(means, sds, 0, 1)
	if err != nil {
		t.Fatalf("ChanceToBeBest(%v, %v) error: %v", means, sds, err)
	}
	again, _ := ChanceToBeBest(means, sds, 0, 1)
	var sum float64
	for i := range got {
		sum += got[i]
		if got[i] != again[i] {
			t.Errorf("ChanceToBeBest(seed 1) = %v then %v, want the same result", got, again)
		}
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("ChanceToBeBest(%v, %v) sums to %v, want 1", means, sds, sum)
	}
	// Two variants: the exact answer is Φ((m2 − m1)/sqrt(s1² + s2²)).
	two, _ := ChanceToBeBest(means[:2], sds[:2], 0, 1)
	want := normCDF((0.3 - 0.1) / math.Sqrt(0.05*0.05*2))
	if math.Abs(two[1]-want) > 4*math.Sqrt(want*(1-want)/DefaultDraws)+1e-4 {
		t.Errorf("ChanceToBeBest(%v, %v)[1] = %v, want %v", means[:2], sds[:2], two[1], want)
	}
}

// The Hodges–Lehmann shift by selection equals the median of all pairwise
// differences computed directly.
func TestHodgesLehmannBySelection(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		a := make([]float64, 1+rng.IntN(30))
		b := make([]float64, 1+rng.IntN(30))
		for i := range a {
			a[i] = float64(rng.IntN(20)) // many ties
		}
		for i := range b {
			b[i] = float64(rng.IntN(20))
		}
		var diffs []float64
		for _, x := range b {
			for _, y := range a {
				diffs = append(diffs, x-y)
			}
		}
		want := Quantile(diffs, 0.5)
		if got := hodgesLehmann(sortedCopy(a), sortedCopy(b)); got != want {
			t.Fatalf("trial %d: hodgesLehmann(%v, %v) = %v, want %v", trial, a, b, got, want)
		}
	}
}

// OLS agrees with R on a small hand-checked model:
//
//	y <- c(1, 2, 4, 3, 6, 5); g <- factor(c("a","b","c","a","b","c"))
//	summary(lm(y ~ g)); drop1(lm(y ~ g), test = "F")
func TestOLSFactorsSmall(t *testing.T) {
	y := []float64{1, 2, 4, 3, 6, 5}
	g := Factor{Name: "g", Levels: []string{"a", "b", "c", "a", "b", "c"}}
	got, err := OLSFactors(y, []Factor{g})
	if err != nil {
		t.Fatalf("OLSFactors error: %v", err)
	}
	if got.ResidualDF != 3 || len(got.Coefficients) != 3 || got.Coefficients[1].Term != "gb" || got.Coefficients[2].Term != "gc" {
		t.Fatalf("OLSFactors(y ~ g) = %+v, want terms (Intercept), gb, gc on 3 df", got)
	}
	// R: estimates 2, 2, 2.5; se of each level 1.87082869338697 (t 1.06904496764970
	// for gb); drop1: F = 1 on 2 and 3 df, p = 0.46475800154489.
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"(Intercept)", got.Coefficients[0].Estimate, 2},
		{"gb", got.Coefficients[1].Estimate, 2},
		{"gc", got.Coefficients[2].Estimate, 2.5},
		{"se gb", got.Coefficients[1].SE, 1.87082869338697},
		{"t gb", got.Coefficients[1].T, 1.06904496764970},
		{"p gb", got.Coefficients[1].PValue, 0.363426069573904},
		{"F g", got.Terms[0].FStatistic, 1},
		{"p g", got.Terms[0].PValue, 0.46475800154489},
	} {
		if !agrees(c.got, c.want) {
			t.Errorf("OLSFactors(y ~ g) %s = %v, want %v", c.name, c.got, c.want)
		}
	}
}
