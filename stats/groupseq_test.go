package stats

import (
	"math"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
)

// simulateLooks draws n experiments whose look statistics are
// Z_k = S_k/√t_k with S a Brownian motion of drift θ, and returns how often
// some look crosses |Z_k| ≥ c_k and how often the first crossing is upward.
func simulateLooks(d GSDesign, theta float64, n int, seed uint64) (crossed, upFirst float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var nc, nu int
	for range n {
		var s, tp float64
		for k, t := range d.InformationRates {
			s += theta*(t-tp) + math.Sqrt(t-tp)*rng.NormFloat64()
			tp = t
			if z := s / math.Sqrt(t); math.Abs(z) >= d.CriticalValues[k] {
				nc++
				if z > 0 {
					nu++
				}
				break
			}
		}
	}
	return float64(nc) / float64(n), float64(nu) / float64(n)
}

// The boundaries spend alpha over the looks and the inflation gives power
// 0.8 at its drift, checked by simulating the looks rather than integrating.
func TestGroupSequentialBySimulation(t *testing.T) {
	const n = 200_000
	for _, c := range []struct {
		alpha float64
		looks int
	}{{0.05, 4}, {0.1, 3}, {0.025, 6}} {
		d, err := GroupSequential(c.alpha, c.looks)
		if err != nil {
			t.Fatal(err)
		}
		crossed, _ := simulateLooks(d, 0, n, 1)
		if se := math.Sqrt(c.alpha * (1 - c.alpha) / n); math.Abs(crossed-c.alpha) > 4*se {
			t.Errorf("GroupSequential(%v, %d): %v of simulated null experiments cross, want %v ± %.2g", c.alpha, c.looks, crossed, c.alpha, 4*se)
		}
		theta := math.Sqrt(d.Inflation) * (upperQuantile(c.alpha/2) + upperQuantile(0.2))
		_, up := simulateLooks(d, theta, n, 2)
		if se := math.Sqrt(0.8 * 0.2 / n); math.Abs(up-0.8) > 4*se {
			t.Errorf("GroupSequential(%v, %d): at the inflated drift %v of simulated experiments cross upward first, want 0.8 ± %.2g", c.alpha, c.looks, up, 4*se)
		}
	}
}

// Concurrent callers get the same design as an uncached computation, and
// changing a returned design does not change the next one.
func TestGroupSequentialMemo(t *testing.T) {
	want, err := groupSequential(0.037, 5)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([]GSDesign, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = GroupSequential(0.037, 5)
		}()
	}
	wg.Wait()
	for i, g := range got {
		if !reflect.DeepEqual(g, want) {
			t.Fatalf("GroupSequential(0.037, 5) call %d = %+v, want %+v", i, g, want)
		}
	}
	got[0].CriticalValues[0] = 0
	if again, _ := GroupSequential(0.037, 5); !reflect.DeepEqual(again, want) {
		t.Errorf("GroupSequential(0.037, 5) after changing a returned design = %+v, want %+v", again, want)
	}
}

// One look is the fixed design: the boundary is z_{1−α/2}, no inflation.
func TestGroupSequentialOneLook(t *testing.T) {
	d, err := GroupSequential(0.05, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.CriticalValues) != 1 || !agrees(d.CriticalValues[0], 1.959963984540054) || !agrees(d.NominalLevels[0], 0.05) || d.Inflation != 1 {
		t.Errorf("GroupSequential(0.05, 1) = %+v, want boundary 1.959963984540054, level 0.05, inflation 1", d)
	}
}
