package stats

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

// Degenerate inputs come from users (a variant with one post, a metric that
// never moved); each must give an InsufficientDataError with a reason, never a
// panic and never a NaN.
func TestDegenerateInputs(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	two := []float64{10, 20}
	three := []float64{5, 8, 13}
	for _, c := range []struct {
		name string
		call func() (any, error)
	}{
		{"WelchLog control of 1", func() (any, error) { return WelchLog([]float64{1}, three, 0.05) }},
		{"WelchLog empty treatment", func() (any, error) { return WelchLog(three, nil, 0.05) }},
		{"WelchLog NaN", func() (any, error) { return WelchLog([]float64{1, nan}, three, 0.05) }},
		{"WelchLog Inf", func() (any, error) { return WelchLog(three, []float64{1, inf}, 0.05) }},
		{"WelchLog both constant", func() (any, error) { return WelchLog([]float64{4, 4}, []float64{9, 9, 9}, 0.05) }},
		{"WelchLog negative", func() (any, error) { return WelchLog([]float64{-3, 4}, three, 0.05) }},
		{"WelchRaw control of 1", func() (any, error) { return WelchRaw([]float64{1}, three, 0.05) }},
		{"WelchRaw all zeros", func() (any, error) { return WelchRaw([]float64{0, 0, 0}, []float64{0, 0}, 0.05) }},
		{"WelchRaw control mean zero", func() (any, error) { return WelchRaw([]float64{0, 0, 0}, three, 0.05) }},
		{"WelchRaw huge", func() (any, error) { return WelchRaw([]float64{1e308, -1e308}, three, 0.05) }},
		{"WelchRawSummary n 1", func() (any, error) {
			return WelchRawSummary(Summary{N: 1, Mean: 2}, Summary{N: 5, Mean: 3, Var: 1}, 0.05)
		}},
		{"WelchRawSummary NaN var", func() (any, error) {
			return WelchRawSummary(Summary{N: 4, Mean: 2, Var: nan}, Summary{N: 5, Mean: 3, Var: 1}, 0.05)
		}},
		{"WelchRawSummary negative var", func() (any, error) {
			return WelchRawSummary(Summary{N: 4, Mean: 2, Var: -1}, Summary{N: 5, Mean: 3, Var: 1}, 0.05)
		}},
		{"MannWhitneyU control of 1", func() (any, error) { return MannWhitneyU([]float64{1}, three) }},
		{"MannWhitneyU all ties", func() (any, error) { return MannWhitneyU([]float64{7, 7}, []float64{7, 7, 7}) }},
		{"MannWhitneyU NaN", func() (any, error) { return MannWhitneyU(three, []float64{nan, 1}) }},
		{"PermutationTest lengths", func() (any, error) {
			return PermutationTest(three, []bool{true, false}, nil, 100, 1)
		}},
		{"PermutationTest strata lengths", func() (any, error) {
			return PermutationTest([]float64{1, 2, 3, 4}, []bool{true, true, false, false}, []string{"a"}, 100, 1)
		}},
		{"PermutationTest all treated", func() (any, error) {
			return PermutationTest(three, []bool{true, true, true}, nil, 100, 1)
		}},
		{"PermutationTest constant", func() (any, error) {
			return PermutationTest([]float64{3, 3, 3, 3}, []bool{true, true, false, false}, nil, 100, 1)
		}},
		{"PermutationTest Inf", func() (any, error) {
			return PermutationTest([]float64{1, inf, 3, 4}, []bool{true, true, false, false}, nil, 100, 1)
		}},
		{"RatioDelta lengths", func() (any, error) { return RatioDelta(two, three, two, two, 0.05) }},
		{"RatioDelta zero denominators", func() (any, error) { return RatioDelta(two, []float64{0, 0}, two, two, 0.05) }},
		{"RatioDelta control rate zero", func() (any, error) { return RatioDelta([]float64{0, 0}, two, []float64{1, 3}, two, 0.05) }},
		{"RatioDelta constant rates", func() (any, error) {
			return RatioDelta([]float64{1, 2}, two, []float64{2, 4}, two, 0.05)
		}},
		{"RatioDelta one post", func() (any, error) { return RatioDelta([]float64{1}, []float64{3}, two, two, 0.05) }},
		{"Kruskal one group", func() (any, error) { return Kruskal([][]float64{three}) }},
		{"Kruskal empty group", func() (any, error) { return Kruskal([][]float64{three, {}}) }},
		{"Kruskal all ties", func() (any, error) { return Kruskal([][]float64{{2, 2}, {2}, {2, 2}}) }},
		{"Kruskal NaN", func() (any, error) { return Kruskal([][]float64{three, {nan}}) }},
		{"WelchANOVA group of 1", func() (any, error) { return WelchANOVA([][]float64{three, {4}}) }},
		{"WelchANOVA constant group", func() (any, error) { return WelchANOVA([][]float64{three, {4, 4, 4}}) }},
		{"WelchANOVA negative", func() (any, error) { return WelchANOVA([][]float64{three, {4, -4, 4}}) }},
		{"PAdjust NaN", func() (any, error) { return PAdjust([]float64{0.1, nan}, "holm") }},
		{"PAdjust above 1", func() (any, error) { return PAdjust([]float64{0.1, 1.5}, "bh") }},
		{"BayesNormal one post", func() (any, error) { return BayesNormal(three, []float64{2}) }},
		{"BayesNormal constant", func() (any, error) { return BayesNormal([]float64{2, 2}, []float64{5, 5}) }},
		{"BayesFromNormal zero sigma", func() (any, error) { return BayesFromNormal(0.2, 0) }},
		{"BayesFromNormal NaN", func() (any, error) { return BayesFromNormal(nan, 1) }},
		{"ChanceToBeBest none", func() (any, error) { return ChanceToBeBest(nil, nil, 10, 1) }},
		{"ChanceToBeBest lengths", func() (any, error) { return ChanceToBeBest(two, three, 10, 1) }},
		{"ChanceToBeBest negative sd", func() (any, error) { return ChanceToBeBest(two, []float64{1, -1}, 10, 1) }},
		{"PowerT zero sd", func() (any, error) { return PowerT(0, 0.2, 0.05, 0.8) }},
		{"PowerT zero mde", func() (any, error) { return PowerT(1, 0, 0.05, 0.8) }},
		{"PowerT mde -100%", func() (any, error) { return PowerT(1, -1, 0.05, 0.8) }},
		{"PowerT power 1", func() (any, error) { return PowerT(1, 0.2, 0.05, 1) }},
		{"PowerT beyond 10 million", func() (any, error) { return PowerT(1, 1e-6, 0.05, 0.8) }},
		{"ChiSquareGOF one variant", func() (any, error) { return ChiSquareGOF([]float64{4}, []float64{1}) }},
		{"ChiSquareGOF no posts", func() (any, error) { return ChiSquareGOF([]float64{0, 0}, []float64{1, 1}) }},
		{"ChiSquareGOF zero weight", func() (any, error) { return ChiSquareGOF([]float64{3, 4}, []float64{1, 0}) }},
		{"ChiSquareGOF lengths", func() (any, error) { return ChiSquareGOF(two, three) }},
		{"ChiSquareIndependence empty", func() (any, error) { return ChiSquareIndependence(nil) }},
		{"ChiSquareIndependence ragged", func() (any, error) { return ChiSquareIndependence([][]float64{two, three}) }},
		{"ChiSquareIndependence one row", func() (any, error) {
			return ChiSquareIndependence([][]float64{{0, 0}, {3, 4}})
		}},
		{"MetaDL one account", func() (any, error) { return MetaDL([]float64{0.1}, []float64{0.2}, 0.05) }},
		{"MetaDL zero se", func() (any, error) { return MetaDL(two, []float64{0.1, 0}, 0.05) }},
		{"MetaDL lengths", func() (any, error) { return MetaDL(two, three, 0.05) }},
		{"OLSFactors one level", func() (any, error) {
			return OLSFactors([]float64{1, 2, 3}, []Factor{{Name: "slot", Levels: []string{"a", "a", "a"}}})
		}},
		{"OLSFactors confounded", func() (any, error) {
			return OLSFactors([]float64{1, 2, 3, 4, 5}, []Factor{
				{Name: "slot", Levels: []string{"a", "b", "a", "b", "a"}},
				{Name: "format", Levels: []string{"x", "y", "x", "y", "x"}},
			})
		}},
		{"OLSFactors too few rows", func() (any, error) {
			return OLSFactors([]float64{1, 2}, []Factor{{Name: "slot", Levels: []string{"a", "b"}}})
		}},
		{"OLSFactors missing reference", func() (any, error) {
			return OLSFactors([]float64{1, 2, 3}, []Factor{{Name: "slot", Levels: []string{"a", "b", "a"}, Reference: "c"}})
		}},
		{"OLSFactors perfect fit", func() (any, error) {
			return OLSFactors([]float64{1, 2, 1, 2}, []Factor{{Name: "slot", Levels: []string{"a", "b", "a", "b"}}})
		}},
		{"OLSFactors levels length", func() (any, error) {
			return OLSFactors([]float64{1, 2, 3}, []Factor{{Name: "slot", Levels: []string{"a", "b"}}})
		}},
		{"OLSFactors NaN", func() (any, error) {
			return OLSFactors([]float64{1, nan, 3}, []Factor{{Name: "slot", Levels: []string{"a", "b", "a"}}})
		}},
		{"Lin lengths", func() (any, error) {
			return Lin([]float64{1, 2, 3, 4}, []bool{false, false, true}, []string{"a", "a", "a", "a"}, 0.05)
		}},
		{"Lin NaN", func() (any, error) {
			return Lin([]float64{1, nan, 3, 4}, []bool{false, false, true, true}, []string{"a", "a", "a", "a"}, 0.05)
		}},
		{"Lin control of 1", func() (any, error) {
			return Lin([]float64{1, 2, 3}, []bool{false, true, true}, []string{"a", "a", "a"}, 0.05)
		}},
		{"Lin account with one variant", func() (any, error) {
			return Lin([]float64{1, 2, 3, 4, 5, 6}, []bool{false, false, true, true, true, true}, []string{"a", "a", "a", "a", "b", "b"}, 0.05)
		}},
		{"Lin single post in a cell", func() (any, error) {
			return Lin([]float64{1, 2, 3, 4, 5, 6, 7}, []bool{false, false, true, true, false, false, true}, []string{"a", "a", "a", "a", "b", "b", "b"}, 0.05)
		}},
		{"Lin constant within cells", func() (any, error) {
			return Lin([]float64{1, 1, 3, 3, 5, 5, 8, 8}, []bool{false, false, true, true, false, false, true, true}, []string{"a", "a", "a", "a", "b", "b", "b", "b"}, 0.05)
		}},
		{"Lin huge", func() (any, error) {
			return Lin([]float64{1e308, -1e308, 3, 4}, []bool{false, false, true, true}, []string{"a", "a", "a", "a"}, 0.05)
		}},
		{"PowerGS no comparison", func() (any, error) { return PowerGS(1, 0.2, 0.05, 0.8, 0, 4) }},
		{"PowerGS zero sd", func() (any, error) { return PowerGS(0, 0.2, 0.05, 0.8, 1, 4) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.call()
			var e InsufficientDataError
			if !errors.As(err, &e) {
				t.Fatalf("%s = %+v, %v; want an InsufficientDataError", c.name, got, err)
			}
			if e.Reason == "" || e.Error() != e.Reason {
				t.Errorf("%s error reason = %q, Error() = %q; want the same non-empty text", c.name, e.Reason, e.Error())
			}
			if !reflect.ValueOf(got).IsZero() {
				t.Errorf("%s = %+v alongside an error, want the zero value", c.name, got)
			}
		})
	}
}

func TestInsufficientDataErrorAsPointer(t *testing.T) {
	_, err := WelchLog([]float64{1}, []float64{1, 2}, 0.05)
	var p *InsufficientDataError
	if !errors.As(err, &p) || p.Reason != "cannot test because the control group has fewer than 2 posts" {
		t.Errorf("errors.As(WelchLog([1], [1 2], 0.05), *InsufficientDataError) = %v, want the control-group reason", p)
	}
}

// A bad alpha or method name is a caller's mistake, not the data's: it is an
// error, but not an InsufficientDataError.
func TestInvalidParameters(t *testing.T) {
	three := []float64{5, 8, 13}
	for _, c := range []struct {
		name string
		err  error
	}{
		{"WelchLog alpha 0", second(WelchLog(three, three, 0))},
		{"WelchRaw alpha 1", second(WelchRaw(three, three, 1))},
		{"RatioDelta alpha NaN", second(RatioDelta(three, three, three, three, math.NaN()))},
		{"MetaDL alpha 2", second(MetaDL(three, three, 2))},
		{"PAdjust bonferroni", second(PAdjust([]float64{0.1}, "bonferroni"))},
		{"Lin alpha 0", second(Lin(three, []bool{false, true, true}, []string{"a", "a", "a"}, 0))},
		{"GroupSequential alpha 1", second(GroupSequential(1, 4))},
		{"GroupSequential alpha NaN", second(GroupSequential(math.NaN(), 4))},
		{"GroupSequential looks 0", second(GroupSequential(0.05, 0))},
		{"GroupSequential looks 21", second(GroupSequential(0.05, MaxLooks+1))},
		{"GroupSequential alpha too small", second(GroupSequential(1e-8, 10))},
		{"PowerGS looks 0", second(PowerGS(1, 0.2, 0.05, 0.8, 1, 0))},
	} {
		var e InsufficientDataError
		if c.err == nil || errors.As(c.err, &e) {
			t.Errorf("%s error = %v, want a parameter error", c.name, c.err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestDescribeDegenerate(t *testing.T) {
	for _, c := range []struct {
		x    []float64
		want Description
	}{
		{nil, Description{}},
		{[]float64{math.NaN(), math.Inf(1)}, Description{}},
		{[]float64{4}, Description{N: 1, Mean: 4, Median: 4, SD: 0, GeoMean: 4}},
		{[]float64{-2, 2}, Description{N: 2, Mean: 0, Median: 0, SD: 2 * math.Sqrt2, GeoMean: 0}},
		{[]float64{math.MaxFloat64, math.MaxFloat64}, Description{N: 2, Mean: math.MaxFloat64, Median: math.MaxFloat64, SD: 0, GeoMean: math.MaxFloat64}},
	} {
		got := Describe(c.x)
		if got.N != c.want.N || !agrees(got.Mean, c.want.Mean) || !agrees(got.Median, c.want.Median) ||
			!agrees(got.SD, c.want.SD) || !agrees(got.GeoMean, c.want.GeoMean) {
			t.Errorf("Describe(%v) = %+v, want %+v", c.x, got, c.want)
		}
	}
	if got := Quantile(nil, 0.5); got != 0 {
		t.Errorf("Quantile(nil, 0.5) = %v, want 0", got)
	}
}

func TestDescribe(t *testing.T) {
	// R: x <- c(3, 0, 10, 7); c(mean(x), median(x), sd(x), exp(mean(log1p(x))) - 1)
	x := []float64{3, 0, 10, 7}
	got := Describe(x)
	want := Description{N: 4, Mean: 5, Median: 5, SD: 4.3969686527576393, GeoMean: 3.3314735413359866}
	if got.N != want.N || !agrees(got.Mean, want.Mean) || !agrees(got.Median, want.Median) ||
		!agrees(got.SD, want.SD) || !agrees(got.GeoMean, want.GeoMean) {
		t.Errorf("Describe(%v) = %+v, want %+v", x, got, want)
	}
	for _, c := range []struct{ p, want float64 }{
		// R: quantile(c(3, 0, 10, 7), c(0, .25, .5, .75, 1, .1))
		{0, 0}, {0.25, 2.25}, {0.5, 5}, {0.75, 7.75}, {1, 10}, {0.1, 0.9},
	} {
		if got := Quantile(x, c.p); !agrees(got, c.want) {
			t.Errorf("Quantile(%v, %v) = %v, want %v", x, c.p, got, c.want)
		}
	}
}

// agrees is the agreement asked of every method: relative error 1e-6, or
// absolute error 1e-9 for values near zero.
func agrees(got, want float64) bool {
	d := math.Abs(got - want)
	return d <= 1e-9 || d <= 1e-6*math.Abs(want)
}
