package stats

import (
	"math"
	"sort"
)

// Summary is a group described by its size, mean and sample variance (n−1
// denominator). It is the input of the summary-statistic entry points, for
// callers that hold aggregates rather than the values themselves.
type Summary struct {
	N    int
	Mean float64
	Var  float64
}

// Summarize returns the size, mean and sample variance (R's var, n−1
// denominator; 0 when there are fewer than 2 values) of x. It assumes x holds
// finite values.
func Summarize(x []float64) Summary {
	m, v := meanVar(x)
	return Summary{N: len(x), Mean: m, Var: v}
}

// meanVar returns the mean and the sample variance by two passes, which keeps
// the variance accurate when the mean is large relative to the spread.
func meanVar(x []float64) (mean, variance float64) {
	n := len(x)
	if n == 0 {
		return 0, 0
	}
	var s float64
	for _, v := range x {
		s += v
	}
	mean = s / float64(n)
	if n < 2 {
		return mean, 0
	}
	var ss, c float64
	for _, v := range x {
		d := v - mean
		ss += d * d
		c += d
	}
	// The second term corrects for rounding in the mean (the "corrected
	// two-pass" algorithm); it is zero in exact arithmetic.
	variance = (ss - c*c/float64(n)) / float64(n-1)
	return mean, math.Max(variance, 0)
}

// log1pAll returns log1p of each value.
func log1pAll(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Log1p(v)
	}
	return out
}

// Description is what a report shows for one variant's values.
type Description struct {
	N       int
	Mean    float64
	Median  float64
	SD      float64
	GeoMean float64
}

// Describe returns R's length, mean(x), median(x) (the mean of the middle two
// values when N is even) and sd(x) (n−1 denominator), and the geometric mean
// of counts GeoMean = exp(mean(log1p(x))) − 1.
//
// Describe never fails: NaN and ±Inf values are left out (N counts the values
// used); SD is 0 when N < 2; every field is 0 when N is 0; GeoMean is 0 when a
// value is negative, where log1p has no meaning for counts. A field that
// would overflow float64 is reported as math.MaxFloat64.
func Describe(x []float64) Description {
	xs := finiteSorted(x)
	n := len(xs)
	if n == 0 {
		return Description{}
	}
	d := Description{N: n, Median: quantileSorted(xs, 0.5)}
	d.Mean, d.SD = scaledMeanSD(xs)
	if xs[0] >= 0 {
		var s float64
		for _, v := range xs {
			s += math.Log1p(v)
		}
		d.GeoMean = math.Expm1(s / float64(n))
	}
	d.Mean, d.Median, d.SD, d.GeoMean = clamp(d.Mean), clamp(d.Median), clamp(d.SD), clamp(d.GeoMean)
	return d
}

// scaledMeanSD computes the mean and sd on x divided by its largest magnitude,
// so that values near the float64 limit do not overflow the sums.
func scaledMeanSD(x []float64) (mean, sd float64) {
	var scale float64
	for _, v := range x {
		scale = math.Max(scale, math.Abs(v))
	}
	if scale == 0 {
		return 0, 0
	}
	scaled := make([]float64, len(x))
	for i, v := range x {
		scaled[i] = v / scale
	}
	m, v := meanVar(scaled)
	return m * scale, math.Sqrt(v) * scale
}

// clamp replaces an overflowed value by the largest finite one of its sign.
func clamp(x float64) float64 {
	switch {
	case math.IsInf(x, 1):
		return math.MaxFloat64
	case math.IsInf(x, -1):
		return -math.MaxFloat64
	case math.IsNaN(x):
		return 0
	}
	return x
}

// finiteSorted returns the finite values of x in increasing order, in a new
// slice.
func finiteSorted(x []float64) []float64 {
	xs := make([]float64, 0, len(x))
	for _, v := range x {
		if allFinite(v) {
			xs = append(xs, v)
		}
	}
	sort.Float64s(xs)
	return xs
}

// Quantile returns R's quantile(x, p, type = 7), the default: with x sorted
// and h = (n−1)·p, the value (1−f)·x[⌊h⌋] + f·x[⌊h⌋+1] where f = h − ⌊h⌋.
//
// NaN and ±Inf values are left out, p is clamped to [0, 1], and an empty x
// gives 0.
func Quantile(x []float64, p float64) float64 {
	xs := finiteSorted(x)
	if len(xs) == 0 {
		return 0
	}
	if math.IsNaN(p) {
		p = 0.5
	}
	return clamp(quantileSorted(xs, math.Min(math.Max(p, 0), 1)))
}

// quantileSorted is type-7 interpolation on sorted, non-empty xs.
func quantileSorted(xs []float64, p float64) float64 {
	h := float64(len(xs)-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	f := h - lo
	if f == 0 || xs[i+1] == xs[i] {
		return xs[i]
	}
	return (1-f)*xs[i] + f*xs[i+1]
}
