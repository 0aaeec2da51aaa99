package stats

import (
	"math"
	"strconv"
)

// ChiSquare is a test whose statistic follows a chi-square distribution
// under the null hypothesis.
type ChiSquare struct {
	Statistic float64
	DF        float64
	PValue    float64 // upper tail: pchisq(Statistic, DF, lower.tail = FALSE)
}

// FTest is a test whose statistic follows an F distribution under the null
// hypothesis.
type FTest struct {
	Statistic float64
	DF1, DF2  float64
	PValue    float64 // upper tail: pf(Statistic, DF1, DF2, lower.tail = FALSE)
}

// Kruskal is the Kruskal–Wallis rank-sum test that all groups come from the
// same distribution, an omnibus check over k variants that needs no
// assumption about the shape of the values:
//
//	kruskal.test(values, group)
//
// With R_g the sum of the mid-ranks of group g in the pooled values (N in
// all) and t the sizes of tied runs,
//
//	H = (12/(N(N+1))·Σ R_g²/n_g − 3(N+1)) / (1 − Σ(t³−t)/(N³−N)),  df = k − 1
//
// It needs 2 groups or more, each with a value, and not every value the same.
func Kruskal(groups [][]float64) (ChiSquare, error) {
	if err := checkGroups(groups, 1); err != nil {
		return ChiSquare{}, err
	}
	sorted := make([][]float64, len(groups))
	n := 0.0
	for g, xs := range groups {
		sorted[g] = sortedCopy(xs)
		n += float64(len(xs))
	}
	rankSums, ties := rankSums(sorted)
	correction := 1 - ties/(n*n*n-n)
	if !(correction > 0) {
		return ChiSquare{}, insufficient("cannot compare because every post has the same value")
	}
	var s float64
	for g, xs := range groups {
		s += rankSums[g] * rankSums[g] / float64(len(xs))
	}
	h := (12*s/(n*(n+1)) - 3*(n+1)) / correction
	h = math.Max(h, 0) // rounding can leave a tiny negative when all groups tie
	df := float64(len(groups) - 1)
	return ChiSquare{Statistic: h, DF: df, PValue: chiSqUpper(h, df)}, nil
}

// WelchANOVA is Welch's one-way analysis of means on the log1p scale, which
// does not assume equal variances; it applies log1p itself:
//
//	oneway.test(log1p(y) ~ g, var.equal = FALSE)
//
// With n_i, m_i, v_i each group's size, mean and variance of log1p(y),
// w_i = n_i/v_i, W = Σw_i, m = Σw_i·m_i/W and
// λ = Σ(1 − w_i/W)²/(n_i − 1) / (k² − 1):
//
//	F = Σw_i(m_i − m)²/(k − 1) / (1 + 2(k − 2)λ),  df1 = k − 1,  df2 = 1/(3λ)
//
// Values must be zero or more; it needs 2 groups or more, each with 2 values
// that are not all the same.
func WelchANOVA(groups [][]float64) (FTest, error) {
	if err := checkGroups(groups, 2); err != nil {
		return FTest{}, err
	}
	k := float64(len(groups))
	n := make([]float64, len(groups))
	m := make([]float64, len(groups))
	w := make([]float64, len(groups))
	var sumW float64
	for i, xs := range groups {
		if err := checkCounts(xs, groupName(i)); err != nil {
			return FTest{}, err
		}
		mean, v := meanVar(log1pAll(xs))
		if !(v > 0) {
			return FTest{}, insufficient("cannot compare because every post in %s has the same value", groupName(i))
		}
		n[i], m[i], w[i] = float64(len(xs)), mean, float64(len(xs))/v
		sumW += w[i]
	}
	var grand float64
	for i := range w {
		grand += w[i] * m[i]
	}
	grand /= sumW
	var between, lambda float64
	for i := range w {
		between += w[i] * (m[i] - grand) * (m[i] - grand)
		f := 1 - w[i]/sumW
		lambda += f * f / (n[i] - 1)
	}
	lambda /= k*k - 1
	r := FTest{
		Statistic: between / ((k - 1) * (1 + 2*(k-2)*lambda)),
		DF1:       k - 1,
		DF2:       1 / (3 * lambda),
	}
	if !allFinite(r.Statistic, r.DF2) || !(r.DF2 > 0) {
		return FTest{}, errTooLarge
	}
	r.PValue = fUpper(r.Statistic, r.DF1, r.DF2)
	return r, nil
}

// checkGroups validates the groups of an omnibus test.
func checkGroups(groups [][]float64, atLeast int) error {
	if len(groups) < 2 {
		return insufficient("cannot compare because there are fewer than 2 groups")
	}
	for i, xs := range groups {
		if err := checkSample(xs, groupName(i), atLeast); err != nil {
			return err
		}
	}
	return nil
}

// groupName names the i-th group (0-based) in messages.
func groupName(i int) string {
	return "group " + strconv.Itoa(i+1)
}
