package stats

import "math"

// Meta is a random-effects pooled estimate.
type Meta struct {
	Estimate float64 // pooled effect
	SE       float64 // its standard error
	CILow    float64 // normal confidence interval at level 1 − alpha
	CIHigh   float64
	PValue   float64 // two-sided, normal: 2·pnorm(−|Estimate/SE|)
	Tau2     float64 // between-account variance of the true effects
	Q        float64 // Cochran's heterogeneity statistic
	QDF      float64 // its degrees of freedom, k − 1
	QPValue  float64 // pchisq(Q, k − 1, lower.tail = FALSE)
	I2       float64 // share of the spread due to real differences, a fraction in [0, 1] (not a percentage)
}

// MetaDL pools per-account estimates by DerSimonian–Laird random effects,
// as metafor's rma(yi, sei = se, method = "DL"). With w_i = 1/se_i²,
//
//	ŷ  = Σw_i·y_i/Σw_i                          (fixed-effect estimate)
//	Q  = Σw_i(y_i − ŷ)²,  df = k − 1
//	τ² = max(0, (Q − df)/(Σw_i − Σw_i²/Σw_i))
//	w*_i = 1/(se_i² + τ²),  μ = Σw*_i·y_i/Σw*_i,  SE = 1/sqrt(Σw*_i)
//	CI = μ ± qnorm(1 − alpha/2)·SE,  I² = max(0, (Q − df)/Q)
//
// It needs 2 estimates or more, every standard error positive.
func MetaDL(estimates, standardErrors []float64, alpha float64) (Meta, error) {
	if len(estimates) != len(standardErrors) {
		return Meta{}, insufficient("cannot pool because there are %d estimates but %d standard errors", len(estimates), len(standardErrors))
	}
	if len(estimates) < 2 {
		return Meta{}, insufficient("cannot pool because there are fewer than 2 accounts with an estimate")
	}
	for i := range estimates {
		if !allFinite(estimates[i], standardErrors[i]) {
			return Meta{}, insufficient("cannot pool because an estimate or its standard error is missing or infinite")
		}
		if !(standardErrors[i] > 0) {
			return Meta{}, insufficient("cannot pool because an account's estimate has no uncertainty (standard error not above zero)")
		}
	}
	if err := checkAlpha(alpha); err != nil {
		return Meta{}, err
	}
	var sw, sw2, swy float64
	for i, y := range estimates {
		w := 1 / (standardErrors[i] * standardErrors[i])
		sw += w
		sw2 += w * w
		swy += w * y
	}
	fixed := swy / sw
	var q float64
	for i, y := range estimates {
		d := y - fixed
		q += d * d / (standardErrors[i] * standardErrors[i])
	}
	df := float64(len(estimates) - 1)
	tau2 := math.Max(0, (q-df)/(sw-sw2/sw))
	var swStar, swyStar float64
	for i, y := range estimates {
		w := 1 / (standardErrors[i]*standardErrors[i] + tau2)
		swStar += w
		swyStar += w * y
	}
	est := swyStar / swStar
	se := 1 / math.Sqrt(swStar)
	if !allFinite(est, se, q, tau2) || !(se > 0) {
		return Meta{}, errTooLarge
	}
	z := normQuantile(1 - alpha/2)
	i2 := 0.0
	if q > 0 {
		i2 = math.Max(0, (q-df)/q)
	}
	r := Meta{
		Estimate: est,
		SE:       se,
		CILow:    est - z*se,
		CIHigh:   est + z*se,
		PValue:   normTwoSided(est / se),
		Tau2:     tau2,
		Q:        q,
		QDF:      df,
		QPValue:  chiSqUpper(q, df),
		I2:       i2,
	}
	if !allFinite(r.Estimate, r.SE, r.CILow, r.CIHigh, r.PValue, r.Tau2, r.Q, r.QPValue, r.I2) {
		return Meta{}, errTooLarge
	}
	return r, nil
}
