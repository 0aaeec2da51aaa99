package stats

import (
	"math"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// The helpers below wrap gonum's distributions with the tail that keeps full
// relative precision for small p-values (R's lower.tail = FALSE): 1 - CDF
// would lose every digit below about 1e-16.

// tTwoSided is 2·pt(-|t|, df), the two-sided p-value of a t statistic.
func tTwoSided(t, df float64) float64 {
	p := 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t))
	return math.Min(p, 1)
}

// tCritical is qt(alpha/2, df, lower.tail = FALSE), the critical value of a
// two-sided test at level alpha. It inverts P(|T| > q) = I_{df/(df+q²)}(df/2, ½)
// directly, as gonum's StudentsT.Quantile does, but without forming 1 − alpha/2,
// which would round away a tiny alpha.
//
// gonum's inversion fails for a small alpha at many degrees of freedom (at alpha
// 1e-7 and df 1e5 it answers 81.65 where qt gives 5.327): an answer whose
// p-value is not alpha is found again by root finding on the p-value.
func tCritical(alpha, df float64) float64 {
	x := mathext.InvRegIncBeta(df/2, 0.5, alpha)
	q := math.Sqrt(df * (1 - x) / x)
	if p := tTwoSided(q, df); q > 0 && !math.IsInf(q, 0) && math.Abs(p-alpha) <= 1e-9*alpha {
		return q
	}
	return tCriticalByRoot(alpha, df)
}

// tCriticalByRoot solves tTwoSided(q, df) = alpha on the log scale. q lies above the
// normal quantile (a t tail is heavier than the normal one), and is bracketed by doubling.
func tCriticalByRoot(alpha, df float64) float64 {
	logAlpha := math.Log(alpha)
	g := func(t float64) float64 {
		p := tTwoSided(t, df)
		if p == 0 { // underflow: far beyond the root, which has p = alpha > 0
			return math.Log(math.SmallestNonzeroFloat64) - logAlpha - 1
		}
		return math.Log(p) - logAlpha
	}
	lo := -normQuantile(alpha / 2)
	glo := g(lo)
	if glo <= 0 {
		return lo
	}
	hi := 2 * lo
	ghi := g(hi)
	for ghi > 0 && !math.IsInf(hi, 0) {
		lo, glo = hi, ghi
		hi *= 2
		ghi = g(hi)
	}
	return zeroin(lo, hi, glo, ghi, g, 0, 200)
}

// normTwoSided is 2·pnorm(-|z|).
func normTwoSided(z float64) float64 {
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

// normCDF is pnorm(z); gonum's Normal.CDF uses erfc, exact in both tails.
func normCDF(z float64) float64 {
	return distuv.UnitNormal.CDF(z)
}

// normPDF is dnorm(z).
func normPDF(z float64) float64 {
	return distuv.UnitNormal.Prob(z)
}

// normQuantile is qnorm(p).
func normQuantile(p float64) float64 {
	return distuv.UnitNormal.Quantile(p)
}

// chiSqUpper is pchisq(x, df, lower.tail = FALSE).
func chiSqUpper(x, df float64) float64 {
	return distuv.ChiSquared{K: df}.Survival(x)
}

// fUpper is pf(x, df1, df2, lower.tail = FALSE). gonum's F.Survival is
// 1 - CDF, so the upper tail is taken from the incomplete beta function
// directly: P(F > x) = I_{d2/(d2+d1·x)}(d2/2, d1/2).
func fUpper(x, df1, df2 float64) float64 {
	if x <= 0 {
		return 1
	}
	return mathext.RegIncBeta(df2/2, df1/2, df2/(df2+df1*x))
}
