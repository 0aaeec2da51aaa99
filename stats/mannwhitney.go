package stats

import (
	"math"
	"math/rand/v2"
	"slices"
)

// MannWhitney is the result of the Wilcoxon rank-sum (Mann–Whitney) test of
// treatment against control.
type MannWhitney struct {
	Statistic       float64 // W: the number of (treatment, control) pairs in which the treatment value is larger, ties counting half
	PValue          float64 // two-sided, normal approximation with tie and continuity correction
	HLShift         float64 // Hodges–Lehmann shift: the median of all treatment − control differences
	ProbSuperiority float64 // W/(n_a·n_b): the chance that a random treatment post beats a random control post
}

// MannWhitneyU is the Wilcoxon rank-sum test, a robustness check for counts
// that makes no assumption about the shape of their distribution:
//
//	wilcox.test(treatment, control, exact = FALSE, correct = TRUE)
//
// With R the mid-ranks of the pooled values,
//
//	W = Σ R(treatment) − n_b(n_b+1)/2
//	σ = sqrt(n_a·n_b/12 · ((N+1) − Σ(t³−t)/(N(N−1))))   (t: sizes of tied runs)
//	d = W − n_a·n_b/2,  z = (d − sign(d)·½)/σ,  p = 2·pnorm(−|z|)
//
// HLShift is median(outer(treatment, control, "-")), found by selection
// without building the n_a·n_b differences (Monahan's algorithm), so it stays
// fast for large groups.
//
// Each group needs 2 values, and not every value may be the same.
func MannWhitneyU(control, treatment []float64) (MannWhitney, error) {
	if err := checkTwoGroups(control, treatment); err != nil {
		return MannWhitney{}, err
	}
	a, b := sortedCopy(control), sortedCopy(treatment)
	na, nb := float64(len(a)), float64(len(b))
	sums, ties := rankSums([][]float64{a, b})
	w := sums[1] - nb*(nb+1)/2
	n := na + nb
	sigma := math.Sqrt(na * nb / 12 * ((n + 1) - ties/(n*(n-1))))
	if !(sigma > 0) {
		return MannWhitney{}, insufficient("cannot test because every post in both groups has the same value")
	}
	z := w - na*nb/2
	switch {
	case z > 0:
		z -= 0.5
	case z < 0:
		z += 0.5
	}
	z /= sigma
	r := MannWhitney{
		Statistic:       w,
		PValue:          math.Min(1, normTwoSided(z)),
		HLShift:         hodgesLehmann(a, b),
		ProbSuperiority: w / (na * nb),
	}
	if !allFinite(r.Statistic, r.PValue, r.HLShift, r.ProbSuperiority) {
		return MannWhitney{}, errTooLarge
	}
	return r, nil
}

// rankSums ranks the pooled values of groups, each sorted increasingly, and
// returns each group's sum of mid-ranks and Σ(t³−t) over runs of t tied
// values. Merging the sorted groups costs O(N·k) for N values in k groups.
func rankSums(sorted [][]float64) (sums []float64, ties float64) {
	sums = make([]float64, len(sorted))
	pos := make([]int, len(sorted))
	run := make([]int, len(sorted))
	ranked := 0
	for {
		v, found := 0.0, false
		for g, xs := range sorted {
			if pos[g] < len(xs) && (!found || xs[pos[g]] < v) {
				v, found = xs[pos[g]], true
			}
		}
		if !found {
			return sums, ties
		}
		t := 0
		for g, xs := range sorted {
			c := 0
			for pos[g]+c < len(xs) && xs[pos[g]+c] == v {
				c++
			}
			run[g] = c
			t += c
		}
		// The run takes ranks ranked+1 … ranked+t; each gets their mean.
		mid := float64(ranked) + float64(t+1)/2
		for g := range sorted {
			sums[g] += float64(run[g]) * mid
			pos[g] += run[g]
		}
		ranked += t
		ft := float64(t)
		ties += ft*ft*ft - ft
	}
}

// sortedCopy returns x sorted increasingly, leaving x as it is.
func sortedCopy(x []float64) []float64 {
	s := append([]float64(nil), x...)
	slices.Sort(s)
	return s
}

// hodgesLehmann returns the median of b_i − a_j over all pairs, given a and
// b sorted increasingly.
func hodgesLehmann(a, b []float64) float64 {
	// With x = b and y = −a in reverse, both increasing, b_i − a_j is the sum
	// x_i + y_j (exactly, in floating point), so the pairs form a matrix
	// sorted along rows and columns.
	x := b
	y := make([]float64, len(a))
	for i, v := range a {
		y[len(a)-1-i] = -v
	}
	total := len(x) * len(y)
	k := (total + 1) / 2 // 1-based rank of the lower median
	lo := kthSum(x, y, k)
	if total%2 == 1 {
		return lo
	}
	// The next order statistic is lo again if lo repeats, else the smallest
	// sum above lo: the first one past lo in some row.
	leq := make([]int, len(x))
	if _, nLeq := countBelow(x, y, lo, make([]int, len(x)), leq); nLeq > k {
		return lo
	}
	hi := math.Inf(1)
	for i := range x {
		if leq[i] < len(y) {
			hi = math.Min(hi, x[i]+y[leq[i]])
		}
	}
	return lo/2 + hi/2
}

// kthSum returns the k-th smallest (1-based) of x_i + y_j for increasing x
// and y, by randomised selection over the rows' candidate ranges (Monahan
// 1984, "Fast computation of the Hodges–Lehmann location estimator"): each
// round picks a random remaining pair as pivot, counts the sums below and at
// it in O(n_x + n_y), and keeps only the side that holds the k-th. Expected
// rounds are O(log(n_x·n_y)).
func kthSum(x, y []float64, k int) float64 {
	m, n := len(x), len(y)
	lo := make([]int, m) // candidates of row i are columns lo[i]..hi[i]-1
	hi := make([]int, m)
	for i := range hi {
		hi[i] = n
	}
	less := make([]int, m)
	leq := make([]int, m)
	// A fixed seed keeps the result (not only its value) reproducible.
	rng := rand.New(rand.NewPCG(0x5eed, 0x4c))
	for {
		remaining := 0
		for i := range lo {
			remaining += hi[i] - lo[i]
		}
		pick := rng.IntN(remaining)
		var pivot float64
		for i := range lo {
			if c := hi[i] - lo[i]; pick < c {
				pivot = x[i] + y[lo[i]+pick]
				break
			} else {
				pick -= c
			}
		}
		nLess, nLeq := countBelow(x, y, pivot, less, leq)
		switch {
		case k <= nLess:
			for i := range hi {
				hi[i] = min(hi[i], less[i])
				lo[i] = min(lo[i], hi[i])
			}
		case k > nLeq:
			for i := range lo {
				lo[i] = max(lo[i], leq[i])
				hi[i] = max(hi[i], lo[i])
			}
		default:
			return pivot
		}
	}
}

// countBelow fills less[i] (leq[i]) with the number of columns j where
// x_i + y_j < pivot (≤ pivot) and returns the totals. As x_i grows the
// boundaries move left, so one sweep per boundary suffices.
func countBelow(x, y []float64, pivot float64, less, leq []int) (nLess, nLeq int) {
	n := len(y)
	j, k := n, n
	for i := range x {
		for j > 0 && x[i]+y[j-1] >= pivot {
			j--
		}
		for k > 0 && x[i]+y[k-1] > pivot {
			k--
		}
		less[i], leq[i] = j, k
		nLess += j
		nLeq += k
	}
	return nLess, nLeq
}
