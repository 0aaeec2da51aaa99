package stats

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// LinResult is the treatment effect of Lin's estimator: the treat row of
// estimatr::lm_lin.
//
// The JSON names are those of the R reference (stats-cases.json).
type LinResult struct {
	Estimate  float64 `json:"estimate"`  // treatment minus control on the scale of g, adjusted for accounts
	SE        float64 `json:"se"`        // HC2 standard error
	Statistic float64 `json:"statistic"` // Estimate / SE
	DF        float64 `json:"df"`        // residual degrees of freedom, n − (number of estimated coefficients)
	PValue    float64 `json:"p_value"`   // two-sided, 2·pt(−|Statistic|, DF)
	CILow     float64 `json:"ci_low"`    // Estimate ± qt(1 − alpha/2, DF)·SE
	CIHigh    float64 `json:"ci_high"`

	Accounts int `json:"-"` // distinct accounts in the data
	// Dropped names the treatment × account interactions left out because
	// they were collinear with the other columns (an account where only one
	// variant posted); R reports them as NA.
	Dropped []string `json:"-"`
}

// Lin estimates the effect of treatment on g adjusted for the account each
// post came from, with Lin's (2013) estimator, as
//
//	estimatr::lm_lin(g ~ treat, covariates = ~ account, se_type = "HC2", alpha = alpha)
//
// reading the treat row. g is the outcome already transformed (the caller
// applies log1p to counts); treated[i] says whether post i had the treatment
// and account[i] names its account.
//
// The model is the least-squares fit of
//
//	g = b0 + τ·T + Σ_j γ_j·(D_j − D̄_j) + Σ_j δ_j·T·(D_j − D̄_j) + e
//
// where D_j (j = 2…k) are the 0/1 dummies of every account but the first in
// sorted order and D̄_j their means over all posts, so τ is the difference
// of the arms' adjusted means at the average account mix. Its variance is
// the HC2 sandwich, the τ entry of (XᵀX)⁻¹ Xᵀ diag(e_i²/(1 − h_ii)) X (XᵀX)⁻¹
// with h_ii the leverages; the t statistic has the residual degrees of
// freedom n − p, p the number of estimated coefficients, as lm_lin uses.
//
// Two cases where lm_lin itself has no plain answer:
//   - one account: the covariate is constant, and lm_lin stops with
//     "contrasts can be applied only to factors with 2 or more levels". Lin
//     then has no covariates and is lm_robust(g ~ treat, se_type = "HC2"):
//     the difference of the arms' means with the HC2 (Welch-type) error and
//     n − 2 degrees of freedom.
//   - an account where only one variant posted: its interaction column is a
//     combination of the others. lm_lin, like lm, leaves the collinear
//     column out (NA) and fits the rest; Lin does the same, taking columns
//     in R's order and dropping each that lies within 1e-7 of the span of
//     those before it, and names it in Dropped. Such an account informs only
//     its own arm's level, so callers that want a within-account comparison
//     should leave it out (the report keeps accounts that posted both).
//
// Errors: lists of different lengths, fewer than 2 posts in an arm, a
// missing or infinite value, alpha outside (0, 1), a post that is the only
// one of its variant in its account (leverage 1: HC2 divides by zero), no
// residual degrees of freedom, or a model that fits every value exactly.
func Lin(g []float64, treated []bool, account []string, alpha float64) (LinResult, error) {
	if err := checkAlpha(alpha); err != nil {
		return LinResult{}, err
	}
	n := len(g)
	if len(treated) != n || len(account) != n {
		return LinResult{}, insufficient("cannot test because there are %d values, %d variant labels and %d accounts; each post needs one of each", n, len(treated), len(account))
	}
	for _, v := range g {
		if !allFinite(v) {
			return LinResult{}, insufficient("cannot test because the data contains a missing or infinite value")
		}
	}
	var nt int
	for _, t := range treated {
		if t {
			nt++
		}
	}
	if n-nt < 2 {
		return LinResult{}, insufficient("cannot test because the control group has fewer than 2 posts")
	}
	if nt < 2 {
		return LinResult{}, insufficient("cannot test because the treatment group has fewer than 2 posts")
	}
	levels := distinct(account)
	if err := checkCells(treated, account, levels); err != nil {
		return LinResult{}, err
	}
	x, terms := linDesign(treated, account, levels)
	keep, dropped, err := independentColumns(x, terms)
	if err != nil {
		return LinResult{}, err
	}
	if len(dropped) > 0 {
		x = columns(x, keep)
	}
	p := len(keep)
	if n <= p {
		return LinResult{}, insufficient("cannot test because there are %d posts for %d effects; at least %d posts are needed", n, p, p+1)
	}
	fit, err := fitQR(x, g, keepTerms(terms, keep))
	if err != nil {
		return LinResult{}, err
	}
	if !allFinite(fit.rss) {
		return LinResult{}, errTooLarge
	}
	if !(fit.rss > 1e-24*sumSquares(g)) {
		return LinResult{}, insufficient("cannot test because the variant and account explain every value exactly, which leaves nothing to measure uncertainty with")
	}
	se, err := hc2SE(x, g, fit, 1)
	if err != nil {
		return LinResult{}, err
	}
	df := float64(n - p)
	est := fit.beta[1]
	r := LinResult{Estimate: est, SE: se, Statistic: est / se, DF: df, Accounts: len(levels), Dropped: dropped}
	q := tCritical(alpha, df)
	r.CILow, r.CIHigh = est-q*se, est+q*se
	if !allFinite(r.Estimate, r.SE, r.Statistic, r.CILow, r.CIHigh) || !(se > 0) {
		return LinResult{}, errTooLarge
	}
	r.PValue = tTwoSided(r.Statistic, df)
	return r, nil
}

// checkCells refuses an account × variant cell with exactly one post: with
// the interactions the model fits that post exactly (leverage 1), and the
// HC2 weight 1/(1 − h) is undefined.
func checkCells(treated []bool, account []string, levels []string) error {
	type cell struct {
		account string
		treated bool
	}
	counts := map[cell]int{}
	for i, a := range account {
		counts[cell{a, treated[i]}]++
	}
	for _, a := range levels {
		for _, t := range []bool{false, true} {
			if counts[cell{a, t}] == 1 {
				variant := "control"
				if t {
					variant = "treatment"
				}
				return insufficient("cannot test with accounts because account %q has a single %s post, which leaves nothing to measure its spread with", a, variant)
			}
		}
	}
	return nil
}

// linDesign builds lm_lin's model matrix, columns in R's order:
// (Intercept), treat, account_c for each non-first account, then
// treat:account_c for each.
func linDesign(treated []bool, account []string, levels []string) (*mat.Dense, []string) {
	n, k := len(treated), len(levels)
	p := 2 + 2*(k-1)
	terms := []string{"(Intercept)", "treat"}
	index := map[string]int{}
	for j, l := range levels[1:] {
		index[l] = j
		terms = append(terms, "account"+l+"_c")
	}
	for _, l := range levels[1:] {
		terms = append(terms, "treat:account"+l+"_c")
	}
	means := make([]float64, k-1)
	for _, a := range account {
		if j, ok := index[a]; ok {
			means[j]++
		}
	}
	for j := range means {
		means[j] /= float64(n)
	}
	x := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		x.Set(i, 0, 1)
		t := 0.0
		if treated[i] {
			t = 1
		}
		x.Set(i, 1, t)
		for j := range means {
			d := -means[j]
			if jj, ok := index[account[i]]; ok && jj == j {
				d++
			}
			x.Set(i, 2+j, d)
			x.Set(i, 2+k-1+j, t*d)
		}
	}
	return x, terms
}

// independentColumns walks x's columns in order, as R's lm does, and keeps
// each that is not within rankTol of the span of the kept ones (modified
// Gram–Schmidt). Only interaction columns may be dropped: an intercept,
// treat or account column in the span of the others means the data cannot
// tell the effects apart.
func independentColumns(x *mat.Dense, terms []string) (keep []int, dropped []string, err error) {
	n, p := x.Dims()
	var basis [][]float64
	for j := 0; j < p; j++ {
		v := mat.Col(nil, j, x)
		norm := vecNorm(v)
		for _, q := range basis {
			var dot float64
			for i := range v {
				dot += q[i] * v[i]
			}
			for i := range v {
				v[i] -= dot * q[i]
			}
		}
		rest := vecNorm(v)
		if norm == 0 || rest <= rankTol*norm {
			if j < 2+(p-2)/2 {
				return nil, nil, insufficient("cannot estimate %s separately from the other effects", terms[j])
			}
			dropped = append(dropped, terms[j])
			continue
		}
		for i := 0; i < n; i++ {
			v[i] /= rest
		}
		basis = append(basis, v)
		keep = append(keep, j)
	}
	return keep, dropped, nil
}

func vecNorm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// columns returns the given columns of x as a new matrix.
func columns(x *mat.Dense, cols []int) *mat.Dense {
	n, _ := x.Dims()
	out := mat.NewDense(n, len(cols), nil)
	for c, j := range cols {
		for i := 0; i < n; i++ {
			out.Set(i, c, x.At(i, j))
		}
	}
	return out
}

func keepTerms(terms []string, keep []int) []string {
	out := make([]string, len(keep))
	for c, j := range keep {
		out[c] = terms[j]
	}
	return out
}

// hc2SE is the HC2 standard error of coefficient j of a least-squares fit:
// sqrt(Σ_i w_i²·e_i²/(1 − h_ii)) with w = row j of (XᵀX)⁻¹Xᵀ and
// h_ii = x_iᵀ(XᵀX)⁻¹x_i.
func hc2SE(x *mat.Dense, y []float64, fit qrFit, j int) (float64, error) {
	n, p := x.Dims()
	var v float64
	row := make([]float64, p)
	for i := 0; i < n; i++ {
		for c := 0; c < p; c++ {
			row[c] = x.At(i, c)
		}
		var h, w, fitted float64
		for a := 0; a < p; a++ {
			var s float64
			for b := 0; b < p; b++ {
				s += fit.xtxInv.At(a, b) * row[b]
			}
			h += row[a] * s
			if a == j {
				w = s
			}
			fitted += row[a] * fit.beta[a]
		}
		if h >= 1-1e-10 {
			return 0, insufficient("cannot test because post %d is fitted exactly by its own account and variant, which leaves nothing to measure its spread with", i+1)
		}
		e := y[i] - fitted
		v += w * w * e * e / (1 - h)
	}
	if !allFinite(v) {
		return 0, errTooLarge
	}
	if !(v > 0) {
		return 0, insufficient("cannot test because every post equals its group's mean, which leaves nothing to measure uncertainty with")
	}
	return math.Sqrt(v), nil
}
