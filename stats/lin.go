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
// Two cases where lm_lin has no plain answer:
//   - one account: the covariate is constant, and lm_lin stops with
//     "contrasts can be applied only to factors with 2 or more levels". Lin
//     then has no covariates and is lm_robust(g ~ treat, se_type = "HC2"):
//     the difference of the arms' means with the HC2 (Welch-type) error and
//     n − 2 degrees of freedom.
//   - an account where only one variant posted: the design is rank
//     deficient. lm_lin answers, but which column it leaves out (NA) is
//     chosen by Eigen's column-pivoted QR, and with it what the treat
//     coefficient means: with accounts a, b posting both variants and c
//     only the treatment, it drops c's main effect and keeps c's
//     interaction, so treat is no longer the effect at the average account
//     mix. Lin refuses such data, naming the account: an account that
//     posted one variant cannot tell variant from account, and the report
//     leaves it out of the comparison in any case.
//
// Errors: lists of different lengths, fewer than 2 posts in an arm, a
// missing or infinite value, alpha outside (0, 1), an account with fewer
// than 2 posts of either variant (with one, the model fits that post
// exactly: leverage 1, where HC2 divides by zero), or a model that fits
// every value exactly. With 2 or more posts in every account × variant cell
// the design has full rank and n ≥ 2p.
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
	n, p := x.Dims()
	fit, err := fitQR(x, g, terms)
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
	r := LinResult{Estimate: est, SE: se, Statistic: est / se, DF: df, Accounts: len(levels)}
	q := tCritical(alpha, df)
	r.CILow, r.CIHigh = est-q*se, est+q*se
	if !allFinite(r.Estimate, r.SE, r.Statistic, r.CILow, r.CIHigh) || !(se > 0) {
		return LinResult{}, errTooLarge
	}
	r.PValue = tTwoSided(r.Statistic, df)
	return r, nil
}

// checkCells asks for 2 or more posts of each variant in every account.
// An account with none of one variant cannot separate variant from account
// (the design is rank deficient); one with a single post of a variant has
// that post fitted exactly (leverage 1, where the HC2 weight 1/(1 − h) is
// undefined) and nothing to measure its spread with.
func checkCells(treated []bool, account []string, levels []string) error {
	counts := map[string]*[2]int{}
	for _, a := range levels {
		counts[a] = &[2]int{}
	}
	for i, a := range account {
		if treated[i] {
			counts[a][1]++
		} else {
			counts[a][0]++
		}
	}
	for _, a := range levels {
		for arm, variant := range []string{"control", "treatment"} {
			switch counts[a][arm] {
			case 0:
				return insufficient("cannot test with accounts because account %q posted no %s, so its posts cannot tell the variant from the account; leave it out of the comparison", a, variant)
			case 1:
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
