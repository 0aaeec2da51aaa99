package stats

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// GSDesign is a two-sided group-sequential design with equally spaced looks
// and O'Brien–Fleming-type alpha spending.
//
// The JSON names are those of the R reference (stats-cases.json).
type GSDesign struct {
	Alpha            float64   `json:"-"`
	Looks            int       `json:"-"`
	InformationRates []float64 `json:"-"`               // k/looks for look k
	CriticalValues   []float64 `json:"critical_values"` // two-sided z boundary of each look: cross when |Z_k| ≥ CriticalValues[k−1]
	NominalLevels    []float64 `json:"nominal_levels"`  // 2·(1 − Φ(c_k)): a look is crossed when its two-sided p-value is below this
	Inflation        float64   `json:"inflation"`       // the maximum sample size over the fixed-design one at power 0.8
	AlphaSpent       []float64 `json:"-"`               // cumulative alpha spent by look k: 4·(1 − Φ(z_{1−α/4}/√t_k))
}

// MaxLooks is the largest number of looks GroupSequential designs.
const MaxLooks = 20

// GroupSequential returns the boundaries of a two-sided group-sequential
// test with looks equally spaced in information, as
//
//	d <- rpact::getDesignGroupSequential(kMax = looks, alpha = alpha, sided = 2,
//	        typeOfDesign = "asOF", informationRates = (1:looks)/looks)
//	d$criticalValues; 2 * (1 - pnorm(d$criticalValues))
//	rpact::getDesignCharacteristics(d)$inflationFactor
//
// Alpha is spent with the Lan–DeMets O'Brien–Fleming-type function
// α(t) = 4·(1 − Φ(z_{1−α/4}/√t)) (α/2 per side). The first boundary is
// c_1 = z_{1−α(t_1)/2}; boundary k solves
//
//	P(|Z_j| < c_j for j < k, |Z_k| ≥ c_k) = α(t_k) − α(t_{k−1})
//
// for the standardised statistics Z_j under no effect, jointly normal with
// corr(Z_i, Z_j) = √(t_i/t_j). The probability is a numerical integration
// over the looks (Armitage, McPherson and Rowe 1969; Jennison and Turnbull
// 2000, ch. 19): the sub-density of Z_{k−1} on the continuation region is
// carried from look to look on a grid, with
//
//	f_k(z) = ∫ f_{k−1}(x)·φ((z√t_k − x√t_{k−1})/√(t_k − t_{k−1}))·√(t_k/(t_k − t_{k−1})) dx,
//
// integrated by the composite seven-point Newton–Cotes rule on 91 points,
// the rule rpact uses, and c_k is found by Brent's method (to 1e-13, where
// rpact bisects to 1e-8).
//
// Inflation is θ²/(z_{1−α/2} + z_{0.8})², θ the drift (E Z_k = θ√t_k) at
// which the probability that the first crossing is the upper boundary
// equals 0.8, rpact's default beta = 0.2 without two-sided power; with one
// look it is 1.
//
// The integration follows rpact's truncation of the continuation region to
// [−6, 8] (boundaries beyond are replaced by these values, and by 7.5 when
// searching the drift) and its accounting of probabilities, which matter
// only for boundaries above 6, that is for a small alpha spread over many
// looks. rpact reports a boundary of 7.5 or more as Inf (a look that cannot
// stop the experiment); GroupSequential gives the finite boundary, whose
// nominal level is below 1e-13. Over looks 1…10 and alpha from 1e-4 to 0.49
// (stats/testdata/gs-design-grid.json) the two agree to 2e-8. rpact takes
// alpha below 0.5 only; above it the same computation applies.
//
// Results are memoized per (alpha, looks), so the report may ask for them
// as often as it likes; the returned design is the caller's own copy.
//
// alpha must be in (0, 1) and looks in 1…MaxLooks. An alpha so small for
// its number of looks that a boundary would lie beyond 8 with spending left
// over, or that the drift search leaves the computable range, has no design
// (rpact gives none either).
func GroupSequential(alpha float64, looks int) (GSDesign, error) {
	if err := checkAlpha(alpha); err != nil {
		return GSDesign{}, err
	}
	if looks < 1 || looks > MaxLooks {
		return GSDesign{}, fmt.Errorf("stats: looks must be between 1 and %d, got %d", MaxLooks, looks)
	}
	key := gsKey{alpha, looks}
	if e, ok := gsCache.Load(key); ok {
		return e.(gsEntry).design()
	}
	d, err := groupSequential(alpha, looks)
	e := gsEntry{d, err}
	if gsCacheSize.Add(1) <= gsCacheMax {
		gsCache.Store(key, e)
	}
	return e.design()
}

// gsEntry is a cached answer, a design or the reason there is none.
type gsEntry struct {
	d   GSDesign
	err error
}

func (e gsEntry) design() (GSDesign, error) {
	if e.err != nil {
		return GSDesign{}, e.err
	}
	return e.d.clone(), nil
}

type gsKey struct {
	alpha float64
	looks int
}

// The cache holds one answer per (alpha, looks). Experiments use a handful
// of alphas; the bound only keeps a stream of odd ones from growing it.
var (
	gsCache     sync.Map
	gsCacheSize atomic.Int64
)

const gsCacheMax = 4096

func (d GSDesign) clone() GSDesign {
	c := d
	c.InformationRates = append([]float64(nil), d.InformationRates...)
	c.CriticalValues = append([]float64(nil), d.CriticalValues...)
	c.NominalLevels = append([]float64(nil), d.NominalLevels...)
	c.AlphaSpent = append([]float64(nil), d.AlphaSpent...)
	return c
}

// The first three are rpact's truncation of the integration region and of
// the boundaries when it searches the drift.
const (
	gsUpperCap     = 8
	gsLowerCap     = -6
	gsInflationCap = 7.5
	gsBeta         = 0.2
	gsBoundaryTol  = 1e-13
	gsSpendSlack   = 1e-6 // rpact accepts a boundary at the end of its search range when the spending it misses is below this
	gsInflationTol = 1e-12
	gsPanels       = 15 // Newton–Cotes panels per look: 91 nodes
)

// groupSequential computes a design without the cache.
func groupSequential(alpha float64, looks int) (GSDesign, error) {
	d := GSDesign{Alpha: alpha, Looks: looks}
	zq := upperQuantile(alpha / 4)
	for k := 1; k <= looks; k++ {
		t := float64(k) / float64(looks)
		d.InformationRates = append(d.InformationRates, t)
		d.AlphaSpent = append(d.AlphaSpent, 4*upperTail(zq/math.Sqrt(t)))
	}
	c, err := gsBoundaries(d.InformationRates, d.AlphaSpent)
	if err != nil {
		return GSDesign{}, fmt.Errorf("stats: no group-sequential design at alpha %g over %d looks: %w", alpha, looks, err)
	}
	d.CriticalValues = c
	for _, ck := range c {
		d.NominalLevels = append(d.NominalLevels, normTwoSided(ck))
	}
	d.Inflation = 1
	if looks > 1 {
		infl, err := gsInflation(alpha, d.InformationRates, c)
		if err != nil {
			return GSDesign{}, fmt.Errorf("stats: no group-sequential design at alpha %g over %d looks: %w", alpha, looks, err)
		}
		d.Inflation = infl
	}
	if !allFinite(d.Inflation) || !allFinite(d.CriticalValues...) || !allFinite(d.NominalLevels...) {
		return GSDesign{}, fmt.Errorf("stats: no group-sequential design at alpha %g over %d looks: the calculation did not settle", alpha, looks)
	}
	return d, nil
}

// gsBoundaries solves each look's boundary from the alpha spent by it.
// Probabilities are accounted as rpact does: what crosses at look k is what
// continued past look k−1 (at look 2, Φ(min(c_1, 8)) − Φ(−c_1); later, the
// integral over the previous grid) less what the grid carries to inside
// the boundaries, so the rule's error in the mass is part of it.
func gsBoundaries(t, spent []float64) ([]float64, error) {
	c := []float64{upperQuantile(spent[0] / 2)}
	if !allFinite(c[0]) {
		return nil, fmt.Errorf("the first look spends no alpha")
	}
	hi1 := truncate(c[0])
	crossed := upperTail(hi1) + normCDF(-c[0])
	w := newWalker(-c[0], c[0])
	for k := 1; k < len(t); k++ {
		target := spent[k] - crossed
		f := func(ck float64) float64 {
			up, down := w.cross(t[k-1], t[k], truncate(-ck), truncate(ck))
			return up + down - target
		}
		lo, hi := 0.0, float64(gsUpperCap)
		flo, fhi := f(lo), f(hi)
		var ck float64
		switch {
		case fhi > gsSpendSlack:
			return nil, fmt.Errorf("look %d would need a boundary beyond %d", k+1, gsUpperCap)
		case fhi >= 0:
			ck = hi // what is left to spend is within rpact's tolerance: the boundary stays at the cap
		case flo < -gsSpendSlack:
			return nil, fmt.Errorf("look %d cannot spend its alpha", k+1)
		case flo <= 0:
			ck = lo
		default:
			ck = zeroin(lo, hi, flo, fhi, f, gsBoundaryTol, 1000)
		}
		c = append(c, ck)
		up, down := w.cross(t[k-1], t[k], truncate(-ck), truncate(ck))
		crossed += up + down
		if k+1 < len(t) {
			w.advance(t[k-1], t[k], truncate(-ck), truncate(ck))
		}
	}
	return c, nil
}

// gsInflation finds the drift at which the upper boundary is crossed first
// with probability 1 − beta, and returns its square over the fixed design's.
func gsInflation(alpha float64, t, c []float64) (float64, error) {
	zb := upperQuantile(gsBeta)
	fixed := math.Pow(upperQuantile(alpha/2)+zb, 2)
	capped := make([]float64, len(c))
	for k, ck := range c {
		capped[k] = math.Min(ck, gsInflationCap)
	}
	f := func(shift float64) float64 { return gsUpperPower(t, capped, math.Sqrt(shift)) - (1 - gsBeta) }
	lo, hi := 0.0, 4*fixed
	flo, fhi := f(lo), f(hi)
	if flo > 0 || fhi < 0 {
		return 0, fmt.Errorf("no drift gives power %g", 1-gsBeta)
	}
	shift := zeroin(lo, hi, flo, fhi, f, gsInflationTol*fixed, 1000)
	infl := shift / fixed
	if !(infl >= 1-1e-5 && infl <= 4) {
		return 0, fmt.Errorf("the boundaries leave the range they can be computed in (inflation factor %g)", infl)
	}
	return infl, nil
}

// gsUpperPower is the probability that the first crossing is of the upper
// boundary when E Z_k = θ√t_k. It integrates Z_k − θ√t_k, whose steps have
// no drift, between the shifted boundaries, truncated and accounted as
// rpact does.
func gsUpperPower(t, c []float64, theta float64) float64 {
	lower := func(k int) float64 { return -c[k] - theta*math.Sqrt(t[k]) }
	upper := func(k int) float64 { return c[k] - theta*math.Sqrt(t[k]) }
	power := upperTail(truncate(upper(0)))
	w := newWalker(lower(0), upper(0))
	for k := 1; k < len(t); k++ {
		up, _ := w.cross(t[k-1], t[k], truncate(lower(k)), truncate(upper(k)))
		power += up
		if k+1 < len(t) {
			w.advance(t[k-1], t[k], truncate(lower(k)), truncate(upper(k)))
		}
	}
	return power
}

// walker carries the sub-density of the statistic from look to look, with
// the probability cont of having continued past the last look.
type walker struct {
	g    grid
	cont float64
}

// newWalker starts after look 1 with boundaries lo < hi: the continuation
// probability is Φ(hi) − Φ(lo) with only hi truncated, and the grid spans
// the truncated interval, as in rpact.
func newWalker(lo, hi float64) *walker {
	w := &walker{g: newGrid(truncate(lo), truncate(hi))}
	w.cont = normCDF(truncate(hi)) - normCDF(math.Min(lo, gsUpperCap))
	for i, x := range w.g.x {
		w.g.dn[i] *= normPDF(x)
	}
	return w
}

// cross returns the probabilities of crossing look t (the previous look
// being tp) above hi, as the continuation probability less what the grid
// carries below hi, and below lo.
func (w *walker) cross(tp, t, lo, hi float64) (up, down float64) {
	return w.cont - w.g.below(tp, t, hi), w.g.below(tp, t, lo)
}

// advance moves past look t, continuing on [lo, hi].
func (w *walker) advance(tp, t, lo, hi float64) {
	w.cont = w.g.below(tp, t, hi) - w.g.below(tp, t, lo)
	w.g = w.g.next(tp, t, lo, hi)
}

// truncate clamps a boundary into [−6, 8].
func truncate(b float64) float64 {
	return math.Max(gsLowerCap, math.Min(gsUpperCap, b))
}

// grid is the sub-density of Z_k on its continuation region, as nodes x
// and dn = quadrature weight × density.
type grid struct {
	x, dn []float64
}

// newGrid lays the nodes and weights of the composite seven-point closed
// Newton–Cotes rule, gsPanels panels of six steps, on [lo, hi]; dn holds the
// weights. This is the rule and grid rpact integrates with, so that the two
// agree to the precision of the root finding even where the rule's own
// error shows (boundaries above 6, whose spending is below 1e-8).
func newGrid(lo, hi float64) grid {
	if !(hi > lo) {
		return grid{}
	}
	const m = 6 * gsPanels
	h := (hi - lo) / m
	g := grid{x: make([]float64, m+1), dn: make([]float64, m+1)}
	for i := range g.x {
		g.x[i] = lo + float64(i)*h
		w := newtonCotes7[i%6]
		if i == 0 || i == m {
			w /= 2 // an end node belongs to one panel, an inner joint to two
		}
		g.dn[i] = w * 6 * h / 840
	}
	return g
}

// newtonCotes7 are the weights ×840 of the seven-point closed Newton–Cotes
// rule (41, 216, 27, 272, 27, 216, 41 over six steps), with the joint of two
// panels counted twice (82).
var newtonCotes7 = [6]float64{82, 216, 27, 272, 27, 216}

// transition is the standardised position of boundary b at look t relative
// to each node at the previous look tp: (b√t − x√tp)/√(t − tp), so that
// P(Z_t < b | Z_tp = x) = Φ of it.
func (g grid) transition(tp, t, b float64, each func(i int, z float64)) {
	st, stp, se := math.Sqrt(t), math.Sqrt(tp), math.Sqrt(t-tp)
	for i, x := range g.x {
		each(i, (b*st-x*stp)/se)
	}
}

// below is P(continued so far, Z_t < b).
func (g grid) below(tp, t, b float64) float64 {
	var s float64
	g.transition(tp, t, b, func(i int, z float64) { s += g.dn[i] * normCDF(z) })
	return s
}

// next carries the sub-density to look t, continuing on [lo, hi]:
// f_t(z) = Σ_i dn_i·φ((z√t − x_i√tp)/√(t − tp))·√(t/(t − tp)).
func (g grid) next(tp, t, lo, hi float64) grid {
	out := newGrid(lo, hi)
	st, stp, se := math.Sqrt(t), math.Sqrt(tp), math.Sqrt(t-tp)
	scale := st / se
	for j, z := range out.x {
		var f float64
		for i, x := range g.x {
			u := (z*st - x*stp) / se
			f += g.dn[i] * math.Exp(-0.5*u*u)
		}
		out.dn[j] *= f * scale / math.Sqrt(2*math.Pi)
	}
	return out
}

// upperTail is 1 − Φ(z) without cancellation.
func upperTail(z float64) float64 {
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

// upperQuantile is qnorm(p, lower.tail = FALSE).
func upperQuantile(p float64) float64 {
	return -normQuantile(p)
}
