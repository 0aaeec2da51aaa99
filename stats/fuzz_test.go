package stats

import (
	"encoding/binary"
	"math"
	"reflect"
	"testing"
)

// The fuzz targets feed arbitrary slices (any bit pattern: NaN, ±Inf,
// subnormals, 1e308) to every method. A method may refuse the data with an
// error but must not panic, and a result it returns must be all finite, so
// that it always encodes as JSON. Their seeds run as ordinary tests.

// floats decodes 8 bytes per value.
func floats(b []byte) []float64 {
	out := make([]float64, 0, len(b)/8)
	for ; len(b) >= 8; b = b[8:] {
		out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	return out
}

// encode is the inverse of floats, for seeds.
func encode(xs ...float64) []byte {
	b := make([]byte, 8*len(xs))
	for i, x := range xs {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

// mustBeFinite fails the test if any float64 reachable in v is NaN or ±Inf.
func mustBeFinite(t *testing.T, name string, v any) {
	t.Helper()
	var walk func(reflect.Value)
	walk = func(r reflect.Value) {
		switch r.Kind() {
		case reflect.Float64:
			if x := r.Float(); math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("%s = %+v, want only finite numbers", name, v)
			}
		case reflect.Struct:
			for i := 0; i < r.NumField(); i++ {
				walk(r.Field(i))
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < r.Len(); i++ {
				walk(r.Index(i))
			}
		}
	}
	walk(reflect.ValueOf(v))
}

// seedPairs adds two-group seeds: ordinary counts, ties, constants, tiny and
// huge values and non-finite ones.
func seedPairs(f *testing.F) {
	f.Add(encode(4660, 1675, 1857, 3383, 5425), encode(14646, 26655, 4668, 3408, 2460, 9), 0.05)
	f.Add(encode(1, 1, 2, 2), encode(2, 2, 3), 0.1)
	f.Add(encode(5, 5, 5), encode(5, 5), 0.05)
	f.Add(encode(0, 0, 0), encode(0, 1, 0), 0.05)
	f.Add(encode(1e308, 1e-308, 0), encode(1.7e308, 3), 0.05)
	f.Add(encode(math.NaN(), 1), encode(math.Inf(1), 2), 0.05)
	f.Add(encode(-1e300, 1e300), encode(5e-324, 0), 0.5)
	f.Add(encode(1), encode(), 0.05)
}

func FuzzWelchLog(f *testing.F) {
	seedPairs(f)
	f.Fuzz(func(t *testing.T, a, b []byte, alpha float64) {
		r, err := WelchLog(floats(a), floats(b), alpha)
		if err == nil {
			mustBeFinite(t, "WelchLog", r)
		}
	})
}

func FuzzWelchRaw(f *testing.F) {
	seedPairs(f)
	f.Fuzz(func(t *testing.T, a, b []byte, alpha float64) {
		r, err := WelchRaw(floats(a), floats(b), alpha)
		if err == nil {
			mustBeFinite(t, "WelchRaw", r)
		}
	})
}

func FuzzWelchRawSummary(f *testing.F) {
	f.Add(3407, 0.41, 15.21, 3461, 0.70, 38.44, 0.05)
	f.Add(2, 0.0, 0.0, 2, 1.0, 0.0, 0.05)
	f.Add(2, 1e-308, 1e308, 1000000000, -1e308, 5e-324, 0.5)
	f.Add(-1, math.NaN(), math.Inf(1), 0, 1.0, 1.0, 2.0)
	f.Fuzz(func(t *testing.T, na int, ma, va float64, nb int, mb, vb, alpha float64) {
		r, err := WelchRawSummary(Summary{N: na, Mean: ma, Var: va}, Summary{N: nb, Mean: mb, Var: vb}, alpha)
		if err == nil {
			mustBeFinite(t, "WelchRawSummary", r)
		}
	})
}

func FuzzMannWhitneyU(f *testing.F) {
	seedPairs(f)
	f.Fuzz(func(t *testing.T, a, b []byte, _ float64) {
		r, err := MannWhitneyU(floats(a), floats(b))
		if err == nil {
			mustBeFinite(t, "MannWhitneyU", r)
		}
	})
}

func FuzzBayesNormal(f *testing.F) {
	seedPairs(f)
	f.Fuzz(func(t *testing.T, a, b []byte, _ float64) {
		r, err := BayesNormal(floats(a), floats(b))
		if err == nil {
			mustBeFinite(t, "BayesNormal", r)
		}
	})
}

func FuzzBayesFromNormal(f *testing.F) {
	for _, s := range [][2]float64{{0.3, 0.1}, {-40, 1e-300}, {1e308, 1e308}, {0, 0}, {math.NaN(), 1}, {-1e308, 5e-324}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, mu, sigma float64) {
		r, err := BayesFromNormal(mu, sigma)
		if err == nil {
			mustBeFinite(t, "BayesFromNormal", r)
		}
	})
}

func FuzzRatioDelta(f *testing.F) {
	f.Add(encode(266, 97, 102), encode(4660, 1675, 1857), encode(1295, 2350, 412), encode(14646, 26655, 4668), 0.05)
	f.Add(encode(0, 0), encode(1, 1), encode(1, 2), encode(3, 4), 0.05)
	f.Add(encode(1, 2), encode(2, 4), encode(3, 6), encode(3, 6), 0.05)
	f.Add(encode(1e308, -1e308), encode(1e-308, 5e-324), encode(1, 2), encode(3, 4), 0.5)
	f.Add(encode(math.NaN(), 2), encode(1, 1), encode(1, 2), encode(3), 0.05)
	f.Fuzz(func(t *testing.T, an, ad, bn, bd []byte, alpha float64) {
		r, err := RatioDelta(floats(an), floats(ad), floats(bn), floats(bd), alpha)
		if err == nil {
			mustBeFinite(t, "RatioDelta", r)
		}
	})
}

// groupsOf splits values into groups at each byte of cuts.
func groupsOf(values []float64, cuts []byte) [][]float64 {
	var groups [][]float64
	for _, c := range cuts {
		k := min(int(c)%8, len(values))
		groups = append(groups, values[:k])
		values = values[k:]
	}
	return append(groups, values)
}

func seedGroups(f *testing.F) {
	f.Add(encode(1463, 2006, 430, 2359, 293, 466, 64, 693, 9107, 12554, 1711, 3252), []byte{5, 4})
	f.Add(encode(1, 1, 1, 1, 1, 1), []byte{2, 2})
	f.Add(encode(1e308, 0, 1e-308, 5, 7, 1.7e308), []byte{3})
	f.Add(encode(math.NaN(), 1, 2, 3), []byte{1})
	f.Add(encode(1, 2, 3), []byte{0, 0, 0})
}

func FuzzKruskal(f *testing.F) {
	seedGroups(f)
	f.Fuzz(func(t *testing.T, v []byte, cuts []byte) {
		r, err := Kruskal(groupsOf(floats(v), cuts))
		if err == nil {
			mustBeFinite(t, "Kruskal", r)
		}
	})
}

func FuzzWelchANOVA(f *testing.F) {
	seedGroups(f)
	f.Fuzz(func(t *testing.T, v []byte, cuts []byte) {
		r, err := WelchANOVA(groupsOf(floats(v), cuts))
		if err == nil {
			mustBeFinite(t, "WelchANOVA", r)
		}
	})
}

func FuzzPAdjust(f *testing.F) {
	f.Add(encode(0.01, 0.04, 0.03, 0.005, 0.55, 0.6), "holm")
	f.Add(encode(0.01, 0.04, 0.03, 0.005, 0.55, 0.6), "bh")
	f.Add(encode(0, 1, 5e-324, 1), "none")
	f.Add(encode(math.NaN(), 2), "BH")
	f.Fuzz(func(t *testing.T, p []byte, method string) {
		r, err := PAdjust(floats(p), method)
		if err == nil {
			mustBeFinite(t, "PAdjust", r)
			for _, v := range r {
				if v < 0 || v > 1 {
					t.Fatalf("PAdjust(%v, %q) = %v, want values in [0, 1]", floats(p), method, r)
				}
			}
		}
	})
}

func FuzzChanceToBeBest(f *testing.F) {
	f.Add(encode(0.1, 0.2, 0.15), encode(0.05, 0.05, 0.1), 1000, uint64(1))
	f.Add(encode(1e308, -1e308), encode(1e308, 0), 10, uint64(2))
	f.Add(encode(0), encode(0), 0, uint64(3))
	f.Add(encode(math.NaN()), encode(1), 10, uint64(4))
	f.Fuzz(func(t *testing.T, m, s []byte, draws int, seed uint64) {
		draws = min(draws, 2000) // keep each run quick
		r, err := ChanceToBeBest(floats(m), floats(s), draws, seed)
		if err == nil {
			mustBeFinite(t, "ChanceToBeBest", r)
		}
	})
}

func FuzzPowerT(f *testing.F) {
	f.Add(1.27, 0.2, 0.05, 0.8)
	f.Add(1e-308, 1e308, 0.5, 0.5)
	f.Add(1e308, 1e-300, 1e-300, 0.999999)
	f.Add(0.3, -0.999999, 0.2, 0.1)
	f.Add(math.NaN(), 0.2, 0.05, 0.8)
	f.Fuzz(func(t *testing.T, sd, mde, alpha, power float64) {
		r, err := PowerT(sd, mde, alpha, power)
		if err == nil {
			mustBeFinite(t, "PowerT", r)
			if r.N < 2 {
				t.Fatalf("PowerT(%v, %v, %v, %v) = %+v, want N ≥ 2", sd, mde, alpha, power, r)
			}
		}
	})
}

func FuzzChiSquareGOF(f *testing.F) {
	f.Add(encode(1000, 1200), encode(0.5, 0.5))
	f.Add(encode(0, 0, 5), encode(1, 1e-308, 1e308))
	f.Add(encode(1e308, 1e308), encode(5e-324, 1))
	f.Add(encode(math.Inf(1), 1), encode(1, 1))
	f.Fuzz(func(t *testing.T, c, w []byte) {
		r, err := ChiSquareGOF(floats(c), floats(w))
		if err == nil {
			mustBeFinite(t, "ChiSquareGOF", r)
		}
	})
}

func FuzzChiSquareIndependence(f *testing.F) {
	f.Add(encode(3, 4, 5, 6, 0, 0, 7, 1), byte(2))
	f.Add(encode(1e308, 1e308, 5e-324, 1), byte(2))
	f.Add(encode(1, 2, 3), byte(0))
	f.Fuzz(func(t *testing.T, v []byte, cols byte) {
		values := floats(v)
		c := int(cols)%6 + 1
		var table [][]float64
		for len(values) >= c {
			table = append(table, values[:c])
			values = values[c:]
		}
		r, err := ChiSquareIndependence(table)
		if err == nil {
			mustBeFinite(t, "ChiSquareIndependence", r)
		}
	})
}

func FuzzMetaDL(f *testing.F) {
	f.Add(encode(0.24, 0.30, 0.29), encode(0.18, 0.21, 0.39), 0.05)
	f.Add(encode(1e308, -1e308), encode(1e-200, 1e200), 0.05)
	f.Add(encode(0, 0), encode(5e-324, 5e-324), 0.5)
	f.Add(encode(math.NaN(), 1), encode(1, 1), 0.05)
	f.Fuzz(func(t *testing.T, e, s []byte, alpha float64) {
		r, err := MetaDL(floats(e), floats(s), alpha)
		if err == nil {
			mustBeFinite(t, "MetaDL", r)
		}
	})
}

func FuzzPermutationTest(f *testing.F) {
	f.Add(encode(1508, 157, 896, 1608, 330, 12, 40), []byte{1, 0, 1, 1, 0, 0, 1}, uint64(1))
	f.Add(encode(3, 3, 3, 3), []byte{1, 1, 0, 0}, uint64(2))
	f.Add(encode(1e308, 0, 1.7e308, 5e-324), []byte{1, 3, 0, 2}, uint64(3))
	f.Add(encode(math.NaN(), 1, 2, 3), []byte{1, 0, 1, 0}, uint64(4))
	f.Fuzz(func(t *testing.T, v []byte, labels []byte, seed uint64) {
		values := floats(v)
		treated := make([]bool, len(values))
		strata := make([]string, len(values))
		for i := range values {
			if i < len(labels) {
				treated[i] = labels[i]&1 == 1
				strata[i] = string(rune('a' + labels[i]>>1%3))
			}
		}
		r, err := PermutationTest(values, treated, strata, 50, seed)
		if err == nil {
			mustBeFinite(t, "PermutationTest", r)
			if r.PValue <= 0 || r.PValue > 1 {
				t.Fatalf("PermutationTest p = %v, want in (0, 1]", r.PValue)
			}
		}
	})
}

func FuzzOLSFactors(f *testing.F) {
	f.Add(encode(6.1, 7.2, 5.5, 8.0, 6.6, 7.7, 5.9, 6.3), []byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add(encode(1, 2, 1, 2), []byte{0, 1, 0, 1})
	f.Add(encode(1e308, -1e308, 5e-324, 0, 1, 2), []byte{0, 1, 2, 0, 1, 2})
	f.Add(encode(math.NaN(), 1, 2), []byte{0, 1, 0})
	f.Fuzz(func(t *testing.T, v []byte, levels []byte) {
		y := floats(v)
		a := Factor{Name: "slot", Reference: "x"}
		b := Factor{Name: "format"}
		for i := range y {
			var l byte
			if i < len(levels) {
				l = levels[i]
			}
			a.Levels = append(a.Levels, string(rune('x'+l%2)))
			b.Levels = append(b.Levels, string(rune('a'+l>>1%3)))
		}
		r, err := OLSFactors(y, []Factor{a, b})
		if err == nil {
			mustBeFinite(t, "OLSFactors", r)
		}
	})
}

func FuzzDescribe(f *testing.F) {
	f.Add(encode(3, 0, 10, 7), 0.5)
	f.Add(encode(1.7e308, 1.7e308, -1.7e308), 0.3)
	f.Add(encode(math.NaN(), math.Inf(-1), -5), math.NaN())
	f.Add(encode(), 2.0)
	f.Fuzz(func(t *testing.T, v []byte, p float64) {
		x := floats(v)
		mustBeFinite(t, "Describe", Describe(x))
		mustBeFinite(t, "Quantile", Quantile(x, p))
	})
}

// FuzzLin takes labels whose low bit is the variant and the rest picks one
// of three accounts.
func FuzzLin(f *testing.F) {
	f.Add(encode(6.1, 7.2, 5.5, 8.0, 6.6, 7.7, 5.9, 6.3, 9.1, 8.8, 9.4, 9.0), []byte{0, 0, 1, 1, 0, 1, 0, 1, 2, 2, 3, 3}, 0.05)
	f.Add(encode(1, 1, 2, 2, 5, 5, 8, 8), []byte{0, 0, 1, 1, 2, 2, 3, 3}, 0.1)
	f.Add(encode(1e308, -1e308, 5e-324, 0, 1, 2, 3, 4), []byte{0, 1, 0, 1, 2, 3, 2, 3}, 0.05)
	f.Add(encode(math.NaN(), 1, 2, 3), []byte{0, 1, 0, 1}, 0.05)
	f.Add(encode(3, 4, 5, 6, 7), []byte{0, 0, 1, 1, 1}, 1e-300)
	f.Add(encode(3, 4, 5, 6, 7, 8), []byte{0, 0, 1, 1, 5, 5}, 0.05)
	f.Fuzz(func(t *testing.T, v []byte, labels []byte, alpha float64) {
		g := floats(v)
		treated := make([]bool, len(g))
		account := make([]string, len(g))
		for i := range g {
			if i < len(labels) {
				treated[i] = labels[i]&1 == 1
				account[i] = string(rune('a' + labels[i]>>1%3))
			}
		}
		r, err := Lin(g, treated, account, alpha)
		if err == nil {
			mustBeFinite(t, "Lin", r)
			if !(r.SE > 0) || r.PValue < 0 || r.PValue > 1 || !(r.CILow <= r.Estimate && r.Estimate <= r.CIHigh) {
				t.Fatalf("Lin = %+v, want se > 0, p in [0, 1] and the estimate inside its interval", r)
			}
		}
	})
}

// FuzzGroupSequential asks for designs at any alpha and number of looks.
func FuzzGroupSequential(f *testing.F) {
	f.Add(0.05, 4)
	f.Add(0.01, 10)
	f.Add(1e-5, 7)
	f.Add(0.999999, 3)
	f.Add(math.NaN(), 2)
	f.Add(0.05, -1)
	f.Fuzz(func(t *testing.T, alpha float64, looks int) {
		if looks > MaxLooks+2 {
			looks = looks%(MaxLooks+2) + 1 // keep each input fast; beyond MaxLooks is refused anyway
		}
		d, err := GroupSequential(alpha, looks)
		if err != nil {
			return
		}
		mustBeFinite(t, "GroupSequential", d)
		if len(d.CriticalValues) != looks || len(d.NominalLevels) != looks || d.Inflation < 1-1e-5 {
			t.Fatalf("GroupSequential(%v, %d) = %+v, want %d looks and inflation ≥ 1", alpha, looks, d, looks)
		}
		for k, p := range d.NominalLevels {
			if !(p >= 0 && p <= alpha*(1+1e-12)) {
				t.Fatalf("GroupSequential(%v, %d) nominal level %d = %v, want in [0, alpha]", alpha, looks, k+1, p)
			}
		}
	})
}
