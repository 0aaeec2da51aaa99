package stats

import "math"

// TTest is the result of a two-sample comparison, always treatment minus
// control.
type TTest struct {
	Statistic float64 // t statistic
	DF        float64 // Welch–Satterthwaite degrees of freedom
	PValue    float64 // two-sided p-value of Estimate = 0
	Estimate  float64 // difference of means (treatment − control) on the method's scale
	SE        float64 // standard error of Estimate
	CILow     float64 // confidence interval of Estimate at level 1 − alpha
	CIHigh    float64

	Lift       float64 // relative change of the treatment over the control
	LiftSE     float64 // delta-method standard error of Lift
	LiftCILow  float64 // confidence interval of Lift
	LiftCIHigh float64
	LiftPValue float64 // two-sided p-value of Lift = 0
}

// WelchLog is Welch's two-sample t test on the log1p scale, the default for
// count metrics, which are skewed:
//
//	t.test(log1p(treatment), log1p(control))   # var.equal = FALSE
//
// Estimate = mean(log1p b) − mean(log1p a) is the change in the typical
// (geometric-mean) post. Lift = exp(Estimate) − 1 with the interval
// exp(CI) − 1, which is asymmetric. LiftSE = exp(Estimate)·SE by the delta
// method, and LiftPValue equals PValue, since Lift = 0 exactly when
// Estimate = 0.
//
// Values must be zero or more. Each group needs 2 values; the two groups may
// not both be constant.
func WelchLog(control, treatment []float64, alpha float64) (TTest, error) {
	if err := checkTwoGroups(control, treatment); err != nil {
		return TTest{}, err
	}
	if err := checkCounts(control, "the control group"); err != nil {
		return TTest{}, err
	}
	if err := checkCounts(treatment, "the treatment group"); err != nil {
		return TTest{}, err
	}
	if err := checkAlpha(alpha); err != nil {
		return TTest{}, err
	}
	a, b := Summarize(log1pAll(control)), Summarize(log1pAll(treatment))
	r, err := welch(a, b, alpha)
	if err != nil {
		return TTest{}, err
	}
	r.Lift = math.Expm1(r.Estimate)
	r.LiftSE = math.Exp(r.Estimate) * r.SE
	r.LiftCILow = math.Expm1(r.CILow)
	r.LiftCIHigh = math.Expm1(r.CIHigh)
	r.LiftPValue = r.PValue
	return finiteTTest(r)
}

// WelchRaw is Welch's two-sample t test on the values as they are, for mean
// metrics and the "mean" view of counts:
//
//	t.test(treatment, control)   # var.equal = FALSE
//
// Lift = m_b/m_a − 1, with the delta-method standard error
//
//	LiftSE = sqrt(var_b/(n_b·m_a²) + m_b²·var_a/(n_a·m_a⁴))
//
// and the interval Lift ± qt(1 − alpha/2, DF)·LiftSE on the Welch DF of the
// test; LiftPValue = 2·pt(−|Lift/LiftSE|, DF).
//
// Each group needs 2 values, the two groups may not both be constant, and the
// control's mean may not be zero (the relative lift would be undefined).
func WelchRaw(control, treatment []float64, alpha float64) (TTest, error) {
	if err := checkTwoGroups(control, treatment); err != nil {
		return TTest{}, err
	}
	return WelchRawSummary(Summarize(control), Summarize(treatment), alpha)
}

// WelchRawSummary is WelchRaw from each group's size, mean and variance.
func WelchRawSummary(control, treatment Summary, alpha float64) (TTest, error) {
	if err := checkSummary(control, "the control group"); err != nil {
		return TTest{}, err
	}
	if err := checkSummary(treatment, "the treatment group"); err != nil {
		return TTest{}, err
	}
	if err := checkAlpha(alpha); err != nil {
		return TTest{}, err
	}
	r, err := welch(control, treatment, alpha)
	if err != nil {
		return TTest{}, err
	}
	ma, mb := control.Mean, treatment.Mean
	if ma == 0 {
		return TTest{}, insufficient("cannot compute a relative lift because the control group's average is zero")
	}
	va := control.Var / float64(control.N)
	vb := treatment.Var / float64(treatment.N)
	r.Lift = mb/ma - 1
	r.LiftSE = math.Sqrt(vb/(ma*ma) + mb*mb*va/(ma*ma*ma*ma))
	setLiftInterval(&r, alpha)
	return finiteTTest(r)
}

// setLiftInterval fills the symmetric interval and p-value of a delta-method
// lift from Lift, LiftSE and DF.
func setLiftInterval(r *TTest, alpha float64) {
	q := tCritical(alpha, r.DF)
	r.LiftCILow = r.Lift - q*r.LiftSE
	r.LiftCIHigh = r.Lift + q*r.LiftSE
	if r.LiftSE > 0 {
		r.LiftPValue = tTwoSided(r.Lift/r.LiftSE, r.DF)
	} else {
		r.LiftPValue = 1
	}
}

// welch is the core of R's t.test(b, a, var.equal = FALSE):
//
//	se = sqrt(v_a/n_a + v_b/n_b)
//	df = se⁴ / ((v_a/n_a)²/(n_a−1) + (v_b/n_b)²/(n_b−1))
//	t  = (m_b − m_a)/se,  p = 2·pt(−|t|, df)
//	CI = m_b − m_a ± qt(1 − alpha/2, df)·se
func welch(a, b Summary, alpha float64) (TTest, error) {
	sa := a.Var / float64(a.N)
	sb := b.Var / float64(b.N)
	se := math.Sqrt(sa + sb)
	if !allFinite(se, a.Mean, b.Mean) {
		return TTest{}, errTooLarge
	}
	// R's test for "data are essentially constant".
	if se <= 10*epsilon*math.Max(math.Abs(a.Mean), math.Abs(b.Mean)) || se == 0 {
		return TTest{}, insufficient("cannot test because every post in each group has the same value, so there is no variation to compare against")
	}
	df := welchDF(sa, sb, a.N, b.N)
	est := b.Mean - a.Mean
	t := est / se
	if !allFinite(df, est, t) || df <= 0 {
		return TTest{}, errTooLarge
	}
	q := tCritical(alpha, df)
	return TTest{
		Statistic: t,
		DF:        df,
		PValue:    tTwoSided(t, df),
		Estimate:  est,
		SE:        se,
		CILow:     est - q*se,
		CIHigh:    est + q*se,
	}, nil
}

// welchDF is the Welch–Satterthwaite degrees of freedom for two groups whose
// means have sampling variances sa and sb.
func welchDF(sa, sb float64, na, nb int) float64 {
	s := sa + sb
	// Divide through by s² first so that tiny or huge variances do not
	// underflow or overflow the fourth powers.
	fa, fb := sa/s, sb/s
	return 1 / (fa*fa/float64(na-1) + fb*fb/float64(nb-1))
}

// epsilon is R's .Machine$double.eps.
const epsilon = 2.220446049250313e-16

// checkTwoGroups validates the raw values of a two-group comparison.
func checkTwoGroups(control, treatment []float64) error {
	if err := checkSample(control, "the control group", 2); err != nil {
		return err
	}
	return checkSample(treatment, "the treatment group", 2)
}

// checkSummary validates a group given by its summary statistics.
func checkSummary(s Summary, group string) error {
	if s.N < 2 {
		return insufficient("cannot test because %s has fewer than 2 posts", group)
	}
	if !allFinite(s.Mean, s.Var) {
		return insufficient("cannot test because %s's average or spread is missing or infinite", group)
	}
	if s.Var < 0 {
		return insufficient("cannot test because %s's variance is negative", group)
	}
	return nil
}

// finiteTTest returns r, or an error if any field overflowed.
func finiteTTest(r TTest) (TTest, error) {
	if !allFinite(r.Statistic, r.DF, r.PValue, r.Estimate, r.SE, r.CILow, r.CIHigh,
		r.Lift, r.LiftSE, r.LiftCILow, r.LiftCIHigh, r.LiftPValue) {
		return TTest{}, errTooLarge
	}
	return r, nil
}
