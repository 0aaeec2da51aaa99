package stats

import (
	"math"
	"math/rand/v2"
	"sync"
)

// DefaultPermutations is the number of relabellings PermutationTest draws
// when asked for zero or fewer; MaxPermutations caps a larger request, which
// would take long and gain little precision.
const (
	DefaultPermutations = 10000
	MaxPermutations     = 1000000
)

// Permutation is the result of a permutation test.
type Permutation struct {
	Estimate     float64 // mean(log1p treatment) − mean(log1p control)
	PValue       float64 // (1 + #{|T*| ≥ |T|})/(B + 1)
	Permutations int     // B, the number of relabellings drawn
}

// PermutationTest compares the mean log1p of the treated values with that of
// the others by relabelling: under no effect, which posts were treated is
// arbitrary within each stratum (an account), so the labels are shuffled
// within strata, keeping each stratum's number of treated posts, and the
// observed difference T is ranked among B shuffled ones T*:
//
//	p = (1 + #{|T*| ≥ |T|}) / (B + 1)
//
// A shuffled difference within 1e-9·max(1, |T|) of |T| counts as equal, so
// rounding in the sums cannot hide a tie. The draws come from a PCG generator
// seeded with seed, so the result is the same on every run. A nil strata
// treats all values as one stratum; permutations ≤ 0 means
// DefaultPermutations, and more than MaxPermutations means MaxPermutations.
//
// There is no closed-form R expression: with B random relabellings the
// p-value carries Monte Carlo error of about sqrt(p(1−p)/B).
//
// Values must be zero or more; the treated and the other posts need 2 values
// each, and the values may not all be equal.
func PermutationTest(values []float64, treated []bool, strata []string, permutations int, seed uint64) (Permutation, error) {
	return PermutationTestRuns(values, treated, strata, permutations, 1, seed)
}

// PermutationTestRuns is PermutationTest with the relabellings drawn in runs
// independent streams at the same time, stream r from seed + r with
// permutations/runs draws: together they are one test of B = Σ draws, and
// the p-value counts the extreme relabellings of all streams. With runs = 1
// it is PermutationTest.
func PermutationTestRuns(values []float64, treated []bool, strata []string, permutations, runs int, seed uint64) (Permutation, error) {
	if len(treated) != len(values) || (strata != nil && len(strata) != len(values)) {
		return Permutation{}, insufficient("cannot test because the values, their groups and their accounts are lists of different lengths")
	}
	var a, b []float64
	for i, v := range values {
		if treated[i] {
			b = append(b, v)
		} else {
			a = append(a, v)
		}
	}
	if err := checkTwoGroups(a, b); err != nil {
		return Permutation{}, err
	}
	if err := checkCounts(values, "one of the posts"); err != nil {
		return Permutation{}, err
	}
	if permutations <= 0 {
		permutations = DefaultPermutations
	}
	permutations = min(permutations, MaxPermutations)
	runs = max(1, min(runs, permutations))
	p := newPermuter(values, treated, strata)
	if p.constant {
		return Permutation{}, insufficient("cannot test because every post has the same value")
	}
	t := p.diff(p.observed)
	extreme := make([]int, runs)
	drawn := make([]int, runs)
	var wg sync.WaitGroup
	for r := range runs {
		drawn[r] = permutations / runs
		own := p
		if r > 0 {
			own = newPermuter(values, treated, strata) // draws shuffle in place: one permuter per stream
		}
		wg.Go(func() { extreme[r] = own.countExtreme(t, drawn[r], seed+uint64(r)) })
	}
	wg.Wait()
	var nExtreme, nDrawn int
	for r := range runs {
		nExtreme += extreme[r]
		nDrawn += drawn[r]
	}
	res := Permutation{
		Estimate:     t,
		PValue:       float64(1+nExtreme) / float64(nDrawn+1),
		Permutations: nDrawn,
	}
	if !allFinite(res.Estimate) {
		return Permutation{}, errTooLarge
	}
	return res, nil
}

// countExtreme draws n relabellings from seed and counts those with |T*| ≥ |T|,
// a difference within 1e-9·max(1, |T|) of |T| counting as equal.
func (p *permuter) countExtreme(t float64, n int, seed uint64) int {
	tol := 1e-9 * math.Max(1, math.Abs(t))
	rng := rand.New(rand.NewPCG(seed, 0x7065726d))
	extreme := 0
	for range n {
		if math.Abs(p.diff(p.draw(rng))) >= math.Abs(t)-tol {
			extreme++
		}
	}
	return extreme
}

// permuter holds the log1p values grouped by stratum. A relabelling needs
// only the sum of the treated values: in each stratum it draws the smaller of
// the treated and control sets as a uniform random subset (a partial
// Fisher–Yates shuffle), so a draw costs O(Σ min(treated, control)).
type permuter struct {
	strata   []stratum
	fixed    float64 // treated sum from strata with only one label, which no shuffle changes
	total    float64 // sum of all log1p values
	nT, nC   float64
	observed float64 // the observed treated sum
	constant bool
}

type stratum struct {
	values      []float64 // shuffled in place between draws
	total       float64
	k           int  // size of the subset drawn
	drawTreated bool // whether the subset drawn is the treated one
}

func newPermuter(values []float64, treated []bool, strata []string) *permuter {
	p := &permuter{constant: true}
	index := map[string]int{}
	var members [][]float64
	var nTreated []int
	for i, v := range values {
		lv := math.Log1p(v)
		if lv != math.Log1p(values[0]) {
			p.constant = false
		}
		key := ""
		if strata != nil {
			key = strata[i]
		}
		s, ok := index[key]
		if !ok {
			s = len(members)
			index[key] = s
			members = append(members, nil)
			nTreated = append(nTreated, 0)
		}
		members[s] = append(members[s], lv)
		p.total += lv
		if treated[i] {
			nTreated[s]++
			p.nT++
			p.observed += lv
		} else {
			p.nC++
		}
	}
	for s, vs := range members {
		var sum float64
		for _, v := range vs {
			sum += v
		}
		t, c := nTreated[s], len(vs)-nTreated[s]
		switch {
		case c == 0:
			p.fixed += sum
		case t == 0:
		default:
			p.strata = append(p.strata, stratum{values: vs, total: sum, k: min(t, c), drawTreated: t <= c})
		}
	}
	return p
}

// draw returns the treated sum of one random relabelling.
func (p *permuter) draw(rng *rand.Rand) float64 {
	sum := p.fixed
	for i := range p.strata {
		s := &p.strata[i]
		var sub float64
		n := len(s.values)
		for j := 0; j < s.k; j++ {
			r := j + rng.IntN(n-j)
			s.values[j], s.values[r] = s.values[r], s.values[j]
			sub += s.values[j]
		}
		if s.drawTreated {
			sum += sub
		} else {
			sum += s.total - sub
		}
	}
	return sum
}

// diff turns a treated sum into the difference of means.
func (p *permuter) diff(treatedSum float64) float64 {
	return treatedSum/p.nT - (p.total-treatedSum)/p.nC
}
