package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Benchmarks run each method at 100 and 100,000 values per group, on views
// drawn from a log-normal distribution (rounded to counts, so with ties).
// testdata/bench.R times R's wilcox.test and kruskal.test on the same sizes.

var benchSizes = []int{100, 100000}

// benchCounts returns k groups of n simulated view counts, the same on every
// call.
func benchCounts(k, n int) [][]float64 {
	rng := rand.New(rand.NewPCG(uint64(k), uint64(n)))
	groups := make([][]float64, k)
	for g := range groups {
		groups[g] = make([]float64, n)
		for i := range groups[g] {
			groups[g][i] = math.Round(math.Exp(7 + 0.1*float64(g) + 1.2*rng.NormFloat64()))
		}
	}
	return groups
}

// benchSized runs the operation that setup prepares for each size. Besides
// ns/op it reports cpu-ns/op, the process's CPU time per operation, which
// stays meaningful on a machine shared with other work.
func benchSized(b *testing.B, setup func(n int) func()) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchOp(b, setup(n)) })
	}
}

func benchOp(b *testing.B, op func()) {
	start := cpuTime()
	for b.Loop() {
		op()
	}
	if cpu := cpuTime() - start; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkWelchLog(b *testing.B) {
	benchSized(b, func(n int) func() {
		g := benchCounts(2, n)
		return func() {
			WelchLog(g[0], g[1], 0.05)
		}
	})
}

func BenchmarkWelchRaw(b *testing.B) {
	benchSized(b, func(n int) func() {
		g := benchCounts(2, n)
		return func() {
			WelchRaw(g[0], g[1], 0.05)
		}
	})
}

func BenchmarkWelchRawSummary(b *testing.B) {
	benchSized(b, func(n int) func() {
		g := benchCounts(2, n)
		sa, sb := Summarize(g[0]), Summarize(g[1])
		return func() {
			WelchRawSummary(sa, sb, 0.05)
		}
	})
}

func BenchmarkMannWhitneyU(b *testing.B) {
	benchSized(b, func(n int) func() {
		g := benchCounts(2, n)
		return func() {
			MannWhitneyU(g[0], g[1])
		}
	})
}

// BenchmarkPermutationTest draws 10,000 relabellings at n = 100 per group
// and 1,000 at n = 100,000 (a draw costs O(n)), over 3 strata.
func BenchmarkPermutationTest(b *testing.B) {
	benchSized(b, func(n int) func() {
		g := benchCounts(2, n)
		values := append(append([]float64(nil), g[0]...), g[1]...)
		treated := make([]bool, 2*n)
		strata := make([]string, 2*n)
		for i := range values {
			treated[i] = i >= n
			strata[i] = []string{"ifrc", "kenyaredcross", "cruzrojachile"}[i%3]
		}
		perms := 10000
		if n > 1000 {
			perms = 1000
		}
		return func() {
			PermutationTest(values, treated, strata, perms, 1)
		}
	})
}

func BenchmarkRatioDelta(b *testing.B) {
	benchSized(b, func(n int) func() {
		den := benchCounts(2, n)
		num := make([][]float64, 2)
		for g := range num {
			for _, v := range den[g] {
				num[g] = append(num[g], math.Round(v*0.06))
			}
		}
		return func() {
			RatioDelta(num[0], den[0], num[1], den[1], 0.05)
		}
	})
}

func BenchmarkKruskal(b *testing.B) {
	benchSized(b, func(n int) func() {
		g := benchCounts(4, n)
		return func() {
			Kruskal(g)
		}
	})
}

func BenchmarkWelchANOVA(b *testing.B) {
	benchSized(b, func(n int) func() {
		g := benchCounts(4, n)
		return func() {
			WelchANOVA(g)
		}
	})
}

// BenchmarkPAdjust adjusts n p-values.
func BenchmarkPAdjust(b *testing.B) {
	benchSized(b, func(n int) func() {
		rng := rand.New(rand.NewPCG(1, 2))
		p := make([]float64, n)
		for i := range p {
			p[i] = rng.Float64()
		}
		return func() {
			PAdjust(p, "holm")
			PAdjust(p, "bh")
		}
	})
}

func BenchmarkBayesNormal(b *testing.B) {
	benchSized(b, func(n int) func() {
		g := benchCounts(2, n)
		return func() {
			BayesNormal(g[0], g[1])
		}
	})
}

// BenchmarkBayesFromNormal does not depend on n.
func BenchmarkBayesFromNormal(b *testing.B) {
	benchOp(b, func() { BayesFromNormal(0.02, 0.01) })
}

// BenchmarkChanceToBeBest takes the default 100,000 draws over 4 variants;
// it does not depend on n.
func BenchmarkChanceToBeBest(b *testing.B) {
	means := []float64{7.0, 7.1, 7.05, 6.9}
	sds := []float64{0.1, 0.12, 0.08, 0.1}
	benchOp(b, func() { ChanceToBeBest(means, sds, 0, 1) })
}

// BenchmarkPowerT solves for an answer near n: lifts of 60% and 1.6% with
// sd 1.2 need about 100 and 100,000 posts per variant.
func BenchmarkPowerT(b *testing.B) {
	benchSized(b, func(n int) func() {
		mde := 0.6
		if n > 1000 {
			mde = 0.0152
		}
		return func() {
			PowerT(1.2, mde, 0.05, 0.8)
		}
	})
}

// BenchmarkChiSquareGOF tests n categories.
func BenchmarkChiSquareGOF(b *testing.B) {
	benchSized(b, func(n int) func() {
		counts := benchCounts(1, n)[0]
		weights := make([]float64, n)
		for i := range weights {
			weights[i] = 1
		}
		return func() {
			ChiSquareGOF(counts, weights)
		}
	})
}

// BenchmarkChiSquareIndependence tests a weekday × variant table of 7 × n/25
// columns (4 and 4,000 variants).
func BenchmarkChiSquareIndependence(b *testing.B) {
	benchSized(b, func(n int) func() {
		cols := benchCounts(7, n/25)
		return func() {
			ChiSquareIndependence(cols)
		}
	})
}

// BenchmarkMetaDL pools n estimates.
func BenchmarkMetaDL(b *testing.B) {
	benchSized(b, func(n int) func() {
		rng := rand.New(rand.NewPCG(5, 6))
		est := make([]float64, n)
		se := make([]float64, n)
		for i := range est {
			est[i] = 0.3 + 0.2*rng.NormFloat64()
			se[i] = 0.1 + 0.3*rng.Float64()
		}
		return func() {
			MetaDL(est, se, 0.05)
		}
	})
}

// BenchmarkOLSFactors fits 2n rows (n per slot level) on four factors with
// 2, 3, 2 and 3 levels: 7 coefficients and four drop-one refits.
func BenchmarkOLSFactors(b *testing.B) {
	benchSized(b, func(n int) func() {
		g := benchCounts(2, n)
		y := log1pAll(append(append([]float64(nil), g[0]...), g[1]...))
		rng := rand.New(rand.NewPCG(7, 8))
		pick := func(name string, levels ...string) Factor {
			f := Factor{Name: name, Reference: levels[0]}
			for range y {
				f.Levels = append(f.Levels, levels[rng.IntN(len(levels))])
			}
			return f
		}
		slot := Factor{Name: "slot", Reference: "morning"}
		for i := range y {
			slot.Levels = append(slot.Levels, []string{"morning", "evening"}[i/n])
		}
		factors := []Factor{slot, pick("hashtag", "ForClimate", "ClimateAction", "RedCross"),
			pick("format", "video", "photo"), pick("account", "ifrc", "cruzrojachile", "kenyaredcross")}
		return func() {
			OLSFactors(y, factors)
		}
	})
}

func BenchmarkDescribe(b *testing.B) {
	benchSized(b, func(n int) func() {
		x := benchCounts(1, n)[0]
		return func() {
			Describe(x)
		}
	})
}

func BenchmarkQuantile(b *testing.B) {
	benchSized(b, func(n int) func() {
		x := benchCounts(1, n)[0]
		return func() {
			Quantile(x, 0.75)
		}
	})
}

// BenchmarkGroupSequential computes designs without the cache: 4 looks (the
// report's) and 10.
func BenchmarkGroupSequential(b *testing.B) {
	for _, looks := range []int{4, 10} {
		b.Run(fmt.Sprintf("looks=%d", looks), func(b *testing.B) {
			benchOp(b, func() {
				if _, err := groupSequential(0.05, looks); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkGroupSequentialCached is the report's repeated call.
func BenchmarkGroupSequentialCached(b *testing.B) {
	benchOp(b, func() {
		GroupSequential(0.05, 4)
	})
}

// BenchmarkLin fits n = 1000 posts over three accounts of uneven size.
func BenchmarkLin(b *testing.B) {
	const n = 1000
	g := log1pAll(benchCounts(1, n)[0])
	rng := rand.New(rand.NewPCG(3, 4))
	treated := make([]bool, n)
	account := make([]string, n)
	for i := range g {
		treated[i] = rng.IntN(2) == 1
		account[i] = []string{"ifrc", "ifrc", "ifrc", "cruzrojachile", "kenyaredcross"}[rng.IntN(5)]
		if treated[i] {
			g[i] += 0.1
		}
	}
	benchOp(b, func() {
		if _, err := Lin(g, treated, account, 0.05); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkPowerGS(b *testing.B) {
	benchOp(b, func() {
		PowerGS(1.1, 0.2, 0.05, 0.8, 2, 4)
	})
}
