package stats

import (
	"errors"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Factor is one categorical explanatory variable of a linear model.
type Factor struct {
	Name      string   // the factor's name, e.g. "slot"; coefficient terms are Name+level
	Levels    []string // Levels[i] is row i's level
	Reference string   // the baseline level of treatment coding; "" means the first level in sorted order
}

// Coefficient is one estimated term of a linear model.
//
// The JSON names are those of the R reference (stats-cases.json).
type Coefficient struct {
	Term     string  `json:"term"`     // R's term name: "(Intercept)", or factor name + level, e.g. "slotevening"
	Estimate float64 `json:"estimate"` // on the scale of y; for log1p(y) the level's Lift is exp(Estimate) − 1
	SE       float64 `json:"se"`
	T        float64 `json:"t"`
	PValue   float64 `json:"p_value"` // two-sided: 2·pt(−|T|, residual df)
	Lift     float64 `json:"-"`       // exp(Estimate) − 1: the relative change over the reference level when y is on the log scale (0 for the intercept)
}

// TermTest is the F test of dropping one whole factor from the model.
type TermTest struct {
	Term       string  `json:"term"`
	DF         int     `json:"df"` // the factor's number of non-reference levels
	FStatistic float64 `json:"f_statistic"`
	PValue     float64 `json:"p_value"`
}

// OLS is a fitted linear model with categorical factors.
type OLS struct {
	Coefficients []Coefficient `json:"coefficients"` // the intercept, then each factor's non-reference levels in sorted order
	Terms        []TermTest    `json:"terms"`        // one per factor, in the order given
	ResidualDF   int           `json:"residual_df"`  // n − number of coefficients
}

// OLSFactors fits y on categorical factors by least squares with treatment
// coding, as
//
//	lm(y ~ f1 + f2 + …)   with each factor relevel()ed to its Reference
//	drop1(fit, test = "F")
//
// Callers pass y on the scale they want (log1p(views) for counts). The design
// has an intercept and one 0/1 column per non-reference level; levels are in
// sorted byte order, which is R's default factor() order in the C locale and,
// in any locale, for names written in one letter case. The fit uses a QR
// decomposition (gonum/mat), so with X = QR, β = R⁻¹Qᵀy,
// σ² = RSS/(n − p), SE_j = σ·sqrt(V_jj) with V = (XᵀX)⁻¹ = R⁻¹R⁻ᵀ, and
// T = β/SE. Each factor's F test compares the model without it:
// F = ((RSS_without − RSS)/df_factor)/σ², p = pf(F, df_factor, n − p,
// lower.tail = FALSE), where RSS_without − RSS = β_Fᵀ(V_FF)⁻¹β_F over the
// factor's coefficients F (the extra sum of squares, equal to refitting
// without the factor but needing no second pass over the rows).
//
// Every factor needs 2 levels or more; the levels may not be confounded
// (always appearing together, which R reports as an NA coefficient); there
// must be more rows than coefficients, and the model may not fit y exactly.
func OLSFactors(y []float64, factors []Factor) (OLS, error) {
	if err := checkSample(y, "the data", 2); err != nil {
		return OLS{}, err
	}
	d, err := newDesign(y, factors)
	if err != nil {
		return OLS{}, err
	}
	n, p := len(y), len(d.terms)
	if n <= p {
		return OLS{}, insufficient("cannot estimate the factors because there are %d posts for %d effects; at least %d posts are needed", n, p, p+1)
	}
	full, err := fitQR(d.x, y, d.terms)
	if err != nil {
		return OLS{}, err
	}
	v := full.xtxInv
	rdf := float64(n - p)
	sigma2 := full.rss / rdf
	ss := sumSquares(y)
	if !allFinite(ss, sigma2) {
		return OLS{}, errTooLarge
	}
	// A residual norm below 1e-12 of y's is rounding: the fit is exact.
	if !(full.rss > 1e-24*ss) {
		return OLS{}, insufficient("cannot estimate the factors because they explain every value exactly, which leaves nothing to measure uncertainty with")
	}
	out := OLS{ResidualDF: n - p}
	for j, term := range d.terms {
		se := math.Sqrt(sigma2 * v.At(j, j))
		t := full.beta[j] / se
		c := Coefficient{Term: term, Estimate: full.beta[j], SE: se, T: t}
		if !allFinite(c.Estimate, c.SE, c.T) {
			return OLS{}, errTooLarge
		}
		c.PValue = tTwoSided(t, rdf)
		if j > 0 {
			c.Lift = clamp(math.Expm1(c.Estimate))
		}
		out.Coefficients = append(out.Coefficients, c)
	}
	for f, factor := range factors {
		extra, err := extraSumOfSquares(full.beta, v, d.first[f], d.columns[f])
		if err != nil {
			return OLS{}, err
		}
		df := d.columns[f]
		fstat := extra / float64(df) / sigma2
		if !allFinite(fstat) {
			return OLS{}, errTooLarge
		}
		out.Terms = append(out.Terms, TermTest{
			Term:       factor.Name,
			DF:         df,
			FStatistic: fstat,
			PValue:     fUpper(fstat, float64(df), rdf),
		})
	}
	return out, nil
}

// design is the treatment-coded model matrix.
type design struct {
	x       *mat.Dense
	terms   []string
	first   []int // first column of each factor
	columns []int // number of columns of each factor
}

func newDesign(y []float64, factors []Factor) (*design, error) {
	n := len(y)
	d := &design{terms: []string{"(Intercept)"}}
	column := make([]map[string]int, len(factors)) // level → its column, per factor
	for f, factor := range factors {
		if len(factor.Levels) != n {
			return nil, insufficient("cannot estimate the factors because %s has %d values for %d posts", factor.Name, len(factor.Levels), n)
		}
		levels := distinct(factor.Levels)
		if len(levels) < 2 {
			return nil, insufficient("cannot estimate the effect of %s because every post has the same %s", factor.Name, factor.Name)
		}
		ref := factor.Reference
		if ref == "" {
			ref = levels[0]
		}
		column[f] = map[string]int{}
		d.first = append(d.first, len(d.terms))
		found := false
		for _, l := range levels {
			if l == ref {
				found = true
				continue
			}
			column[f][l] = len(d.terms)
			d.terms = append(d.terms, factor.Name+l)
		}
		if !found {
			return nil, insufficient("cannot estimate the effect of %s because no post has its baseline level %q", factor.Name, ref)
		}
		d.columns = append(d.columns, len(levels)-1)
	}
	d.x = mat.NewDense(n, len(d.terms), nil)
	for i := 0; i < n; i++ {
		d.x.Set(i, 0, 1)
		for f, factor := range factors {
			if j, ok := column[f][factor.Levels[i]]; ok {
				d.x.Set(i, j, 1)
			}
		}
	}
	return d, nil
}

// distinct returns the distinct values of xs, sorted.
func distinct(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// qrFit is a least-squares fit.
type qrFit struct {
	beta   []float64
	rss    float64
	xtxInv *mat.SymDense // (XᵀX)⁻¹
}

// rankTol is R's lm tolerance for a column that is a linear combination of
// the ones before it (its norm after projection, relative to its own norm).
const rankTol = 1e-7

// fitQR fits y on x by QR. terms names x's columns, for the message when a
// column is confounded with the others.
func fitQR(x *mat.Dense, y []float64, terms []string) (qrFit, error) {
	n, p := x.Dims()
	var qr mat.QR
	qr.Factorize(x)
	var r mat.Dense
	qr.RTo(&r)
	for j := 0; j < p; j++ {
		norm := mat.Norm(x.ColView(j), 2)
		if math.Abs(r.At(j, j)) <= rankTol*norm {
			return qrFit{}, insufficient("cannot estimate %s separately: its posts always share the same levels of the other factors", terms[j])
		}
	}
	yv := mat.NewVecDense(n, append([]float64(nil), y...))
	var beta mat.VecDense
	if err := qr.SolveVecTo(&beta, false, yv); err != nil && !isCondition(err) {
		return qrFit{}, errConfounded
	}
	var fitted mat.VecDense
	fitted.MulVec(x, &beta)
	var rss float64
	for i := 0; i < n; i++ {
		e := y[i] - fitted.AtVec(i)
		rss += e * e
	}
	rinv := mat.NewTriDense(p, mat.Upper, nil)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			rinv.SetTri(i, j, r.At(i, j))
		}
	}
	if err := rinv.InverseTri(rinv); err != nil && !isCondition(err) {
		return qrFit{}, errConfounded
	}
	fit := qrFit{beta: make([]float64, p), rss: rss, xtxInv: mat.NewSymDense(p, nil)}
	for j := range fit.beta {
		fit.beta[j] = beta.AtVec(j)
	}
	fit.xtxInv.SymOuterK(1, rinv) // R⁻¹R⁻ᵀ
	return fit, nil
}

// errConfounded is the fallback for a design the rank check let through but
// the solver found singular.
var errConfounded = InsufficientDataError{Reason: "cannot estimate the factors because some of them always appear together"}

// extraSumOfSquares is RSS_without − RSS for dropping the k coefficients
// from column first: β_Fᵀ(V_FF)⁻¹β_F.
func extraSumOfSquares(beta []float64, v *mat.SymDense, first, k int) (float64, error) {
	block := mat.NewSymDense(k, nil)
	b := mat.NewVecDense(k, nil)
	for i := 0; i < k; i++ {
		b.SetVec(i, beta[first+i])
		for j := i; j < k; j++ {
			block.SetSym(i, j, v.At(first+i, first+j))
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(block) {
		return 0, errConfounded
	}
	var z mat.VecDense
	if err := chol.SolveVecTo(&z, b); err != nil && !isCondition(err) {
		return 0, errConfounded
	}
	return math.Max(0, mat.Dot(b, &z)), nil
}

// isCondition reports whether err is gonum's warning that a matrix is
// ill-conditioned; the rank check above has already ruled out singularity.
func isCondition(err error) bool {
	var c mat.Condition
	return errors.As(err, &c)
}

func sumSquares(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return s
}
