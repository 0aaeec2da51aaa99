package stats

import "math"

// Ratio is the comparison of a ratio metric (such as engagements per view)
// between two groups. The embedded TTest holds Estimate = TreatmentRate −
// ControlRate and its test, and the relative Lift.
type Ratio struct {
	ControlRate   float64
	TreatmentRate float64
	TTest
}

// RatioDelta compares ratio metrics with the post as the unit, by the delta
// method. For each group, with n posts, numerators u and denominators v:
//
//	rate = Σu/Σv
//	V    = (s²_u − 2·rate·s_uv + rate²·s²_v)/(n·mean(v)²)
//
// where s² and s_uv are sample (co)variances; V is computed as the variance
// of the residuals u − rate·v, the same quantity without cancellation. Then
//
//	Δ = rate_b − rate_a,  SE = sqrt(V_a + V_b),  t = Δ/SE
//	df = (V_a + V_b)²/(V_a²/(n_a−1) + V_b²/(n_b−1))   (Welch–Satterthwaite)
//	p = 2·pt(−|t|, df),  CI = Δ ± qt(1 − alpha/2, df)·SE
//	Lift = rate_b/rate_a − 1,  LiftSE = sqrt(V_b/rate_a² + rate_b²·V_a/rate_a⁴)
//	LiftCI = Lift ± qt(1 − alpha/2, df)·LiftSE
//
// Each group needs 2 posts with a positive total denominator; the control's
// rate may not be zero, and the rates may not be exactly constant in both
// groups.
func RatioDelta(controlNum, controlDen, treatmentNum, treatmentDen []float64, alpha float64) (Ratio, error) {
	a, err := ratioGroup(controlNum, controlDen, "the control group")
	if err != nil {
		return Ratio{}, err
	}
	b, err := ratioGroup(treatmentNum, treatmentDen, "the treatment group")
	if err != nil {
		return Ratio{}, err
	}
	if err := checkAlpha(alpha); err != nil {
		return Ratio{}, err
	}
	if a.rate == 0 {
		return Ratio{}, insufficient("cannot compute a relative lift because the control group's rate is zero")
	}
	v := a.v + b.v
	if !(v > 0) {
		return Ratio{}, insufficient("cannot test because every post in each group has exactly its group's rate, so there is no variation to compare against")
	}
	est := b.rate - a.rate
	se := math.Sqrt(v)
	df := welchDF(a.v, b.v, a.n, b.n)
	if !allFinite(est, se, df) || df <= 0 {
		return Ratio{}, errTooLarge
	}
	q := tCritical(alpha, df)
	t := TTest{
		Statistic: est / se,
		DF:        df,
		PValue:    tTwoSided(est/se, df),
		Estimate:  est,
		SE:        se,
		CILow:     est - q*se,
		CIHigh:    est + q*se,
		Lift:      b.rate/a.rate - 1,
		LiftSE:    math.Sqrt(b.v/(a.rate*a.rate) + b.rate*b.rate*a.v/math.Pow(a.rate, 4)),
	}
	setLiftInterval(&t, alpha)
	t, err = finiteTTest(t)
	if err != nil {
		return Ratio{}, err
	}
	return Ratio{ControlRate: a.rate, TreatmentRate: b.rate, TTest: t}, nil
}

// ratioSide is one group's rate and the sampling variance of that rate.
type ratioSide struct {
	rate, v float64
	n       int
}

func ratioGroup(num, den []float64, group string) (ratioSide, error) {
	if len(num) != len(den) {
		return ratioSide{}, insufficient("cannot test because %s has a different number of numerators and denominators", group)
	}
	if err := checkSample(num, group, 2); err != nil {
		return ratioSide{}, err
	}
	if err := checkSample(den, group, 2); err != nil {
		return ratioSide{}, err
	}
	var su, sv float64
	for i := range num {
		su += num[i]
		sv += den[i]
	}
	if !(sv > 0) {
		return ratioSide{}, insufficient("cannot compute a rate because %s's denominators add up to zero", group)
	}
	n := len(num)
	rate := su / sv
	resid := make([]float64, n)
	for i := range num {
		resid[i] = num[i] - rate*den[i]
	}
	_, s2 := meanVar(resid)
	meanDen := sv / float64(n)
	v := s2 / (float64(n) * meanDen * meanDen)
	if !allFinite(rate, v) {
		return ratioSide{}, errTooLarge
	}
	return ratioSide{rate: rate, v: v, n: n}, nil
}

// Rate is one group's rate of a ratio metric and the sampling variance of that
// rate, as RatioDelta computes them for each group.
type Rate struct {
	Rate float64 // Σu/Σv
	Var  float64 // V = (s²_u − 2·rate·s_uv + rate²·s²_v)/(n·mean(v)²)
	N    int     // posts
}

// SE is the standard error of the rate, sqrt(V).
func (r Rate) SE() float64 { return math.Sqrt(r.Var) }

// PostSD is the spread of one post's contribution to the rate, sqrt(n·V): the
// sd of the linearised values (u − rate·v)/mean(v), the unit a sample size for
// the rate is counted in.
func (r Rate) PostSD() float64 { return math.Sqrt(float64(r.N) * r.Var) }

// RateOf gives a group's rate Σu/Σv with its delta-method variance, the post
// as the unit (see RatioDelta). It needs 2 posts, finite values and a positive
// total denominator.
func RateOf(num, den []float64) (Rate, error) {
	s, err := ratioGroup(num, den, "the group")
	if err != nil {
		return Rate{}, err
	}
	return Rate{Rate: s.rate, Var: s.v, N: s.n}, nil
}
