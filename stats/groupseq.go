package stats

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/integrate/quad"
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
// carried from look to look on composite Gauss–Legendre nodes, and c_k is
// found by Brent's method.
//
// Inflation is θ²/(z_{1−α/2} + z_{0.8})², θ the drift (E Z_k = θ√t_k) at
// which the probability that the first crossing is the upper boundary
// equals 0.8, rpact's default beta = 0.2 without two-sided power; with one
// look it is 1.
//
// The integration follows rpact's truncation of the continuation region to
// [−6, 8] on its own scale (boundaries beyond are replaced by these values,
// and by 7.5 for the inflation), which matters only for boundaries above 6,
// that is for a small alpha spread over many looks. Results are memoized per
// (alpha, looks), so the report may ask for them as often as it likes; the
// returned design is the caller's own copy.
//
// alpha must be in (0, 1) and looks in 1…MaxLooks. An alpha so small that a
// boundary would lie beyond 8 has no design (rpact gives none either).
func GroupSequential(alpha float64, looks int) (GSDesign, error) {
	if err := checkAlpha(alpha); err != nil {
		return GSDesign{}, err
	}
	if looks < 1 || looks > MaxLooks {
		return GSDesign{}, fmt.Errorf("stats: looks must be between 1 and %d, got %d", MaxLooks, looks)
	}
	key := gsKey{alpha, looks}
	if d, ok := gsCache.Load(key); ok {
		return d.(GSDesign).clone(), nil
	}
	d, err := groupSequential(alpha, looks)
	if err != nil {
		return GSDesign{}, err
	}
	if gsCacheSize.Add(1) <= gsCacheMax {
		gsCache.Store(key, d)
	}
	return d.clone(), nil
}

type gsKey struct {
	alpha float64
	looks int
}

// The cache holds one design per (alpha, looks). Experiments use a handful
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

// rpact's truncation of the integration region, on the scale it integrates
// on, and of the boundaries when it searches the drift.
const (
	gsUpperCap      = 8
	gsLowerCap      = -6
	gsInflationCap  = 7.5
	gsBeta          = 0.2
	gsBoundaryTol   = 1e-13
	gsInflationTol  = 1e-12
	gsPanelPerSD    = 1.0 // Gauss–Legendre panel width, in standard deviations of the step between looks
	gsNodesPerPanel = 12
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
func gsBoundaries(t, spent []float64) ([]float64, error) {
	c := []float64{upperQuantile(spent[0] / 2)}
	if !allFinite(c[0]) {
		return nil, fmt.Errorf("the first look spends no alpha")
	}
	// mass is the stage-1 probability below −c_1 that truncation at −6
	// leaves outside the grid; rpact counts it as crossed at look 2.
	lo1, hi1 := truncate(-c[0]), truncate(c[0])
	cut := normCDF(lo1) - normCDF(-c[0])
	g := newGrid(lo1, hi1, stepSD(t, 1))
	for i := range g.x {
		g.dn[i] *= normPDF(g.x[i])
	}
	for k := 1; k < len(t); k++ {
		target := spent[k] - spent[k-1]
		extra := 0.0
		if k == 1 {
			extra = cut
		}
		f := func(ck float64) float64 {
			return extra + g.above(t[k-1], t[k], truncate(ck)) + g.below(t[k-1], t[k], truncate(-ck)) - target
		}
		lo, hi := 0.0, float64(gsUpperCap)
		flo, fhi := f(lo), f(hi)
		if fhi > 0 {
			return nil, fmt.Errorf("look %d would need a boundary beyond %d", k+1, gsUpperCap)
		}
		if flo < 0 {
			return nil, fmt.Errorf("look %d cannot spend its alpha", k+1)
		}
		ck := zeroin(lo, hi, flo, fhi, f, gsBoundaryTol, 1000)
		c = append(c, ck)
		if k+1 < len(t) {
			g = g.next(t[k-1], t[k], truncate(-ck), truncate(ck), stepSD(t, k+1))
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
		return 0, fmt.Errorf("the inflation factor %g is out of range", infl)
	}
	return infl, nil
}

// gsUpperPower is the probability that the first crossing is of the upper
// boundary when E Z_k = θ√t_k. It integrates Z_k − θ√t_k, whose steps have
// no drift, between the shifted boundaries, truncated as rpact does.
func gsUpperPower(t, c []float64, theta float64) float64 {
	lower := func(k int) float64 { return -c[k] - theta*math.Sqrt(t[k]) }
	upper := func(k int) float64 { return c[k] - theta*math.Sqrt(t[k]) }
	lo1, hi1 := truncate(lower(0)), truncate(upper(0))
	power := upperTail(hi1)
	if len(t) == 1 {
		return power
	}
	// The stage-1 mass between the true lower boundary and the truncation
	// is counted by rpact as continuing and then as crossing upward.
	power += normCDF(lo1) - normCDF(lower(0))
	g := newGrid(lo1, hi1, stepSD(t, 1))
	for i := range g.x {
		g.dn[i] *= normPDF(g.x[i])
	}
	for k := 1; k < len(t); k++ {
		power += g.above(t[k-1], t[k], truncate(upper(k)))
		if k+1 < len(t) {
			g = g.next(t[k-1], t[k], truncate(lower(k)), truncate(upper(k)), stepSD(t, k+1))
		}
	}
	return power
}

// truncate clamps a boundary into [−6, 8].
func truncate(b float64) float64 {
	return math.Max(gsLowerCap, math.Min(gsUpperCap, b))
}

// stepSD is the standard deviation, on the scale of Z_{k−1}, of the step
// to look k+1 (0-based k): √((t_{k+1} − t_k)/t_k). Panels are sized by it.
func stepSD(t []float64, k int) float64 {
	if k >= len(t) {
		return 1
	}
	return math.Sqrt((t[k] - t[k-1]) / t[k-1])
}

// grid is the sub-density of Z_k on its continuation region, as nodes x
// and dn = quadrature weight × density.
type grid struct {
	x, dn []float64
}

// newGrid lays composite Gauss–Legendre nodes on [lo, hi] with panels no
// wider than gsPanelPerSD·sd; dn holds the weights.
func newGrid(lo, hi, sd float64) grid {
	if !(hi > lo) {
		return grid{}
	}
	panels := int(math.Ceil((hi - lo) / (gsPanelPerSD * sd)))
	h := (hi - lo) / float64(panels)
	g := grid{x: make([]float64, panels*gsNodesPerPanel), dn: make([]float64, panels*gsNodesPerPanel)}
	for p := 0; p < panels; p++ {
		a := lo + float64(p)*h
		s := p * gsNodesPerPanel
		quad.Legendre{}.FixedLocations(g.x[s:s+gsNodesPerPanel], g.dn[s:s+gsNodesPerPanel], a, a+h)
	}
	return g
}

// transition is the standardised position of boundary b at look t relative
// to each node at the previous look tp: (b√t − x√tp)/√(t − tp), so that
// P(Z_t < b | Z_tp = x) = Φ of it.
func (g grid) transition(tp, t, b float64, each func(i int, z float64)) {
	st, stp, se := math.Sqrt(t), math.Sqrt(tp), math.Sqrt(t-tp)
	for i, x := range g.x {
		each(i, (b*st-x*stp)/se)
	}
}

// above is P(continued so far, Z_t ≥ b).
func (g grid) above(tp, t, b float64) float64 {
	var s float64
	g.transition(tp, t, b, func(i int, z float64) { s += g.dn[i] * upperTail(z) })
	return s
}

// below is P(continued so far, Z_t < b).
func (g grid) below(tp, t, b float64) float64 {
	var s float64
	g.transition(tp, t, b, func(i int, z float64) { s += g.dn[i] * normCDF(z) })
	return s
}

// next carries the sub-density to look t, continuing on [lo, hi]:
// f_t(z) = Σ_i dn_i·φ((z√t − x_i√tp)/√(t − tp))·√(t/(t − tp)).
func (g grid) next(tp, t, lo, hi, sd float64) grid {
	out := newGrid(lo, hi, sd)
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
