package stats

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Power is the number of posts each variant needs.
type Power struct {
	NExact float64 // the solution of the power equation, as R's power.t.test reports it
	N      int     // NExact rounded up: posts per variant
}

// maxPowerN is the upper end of the search for n, as in R's power.t.test.
const maxPowerN = 1e7

// PowerT returns the number of posts per variant a two-sample, two-sided t
// test on the log1p scale needs to detect a relative lift of mde with the
// given power, as
//
//	power.t.test(delta = log(1 + mde), sd = sd, sig.level = alpha, power = power)
//
// (two-sample, two-sided, strict = FALSE). It solves for n
//
//	P(T'_ν(ncp) > qt(1 − alpha/2, ν)) = power,  ν = 2(n − 1),  ncp = sqrt(n/2)·delta/sd
//
// where T'_ν(ncp) is noncentral t. The noncentral t distribution is
// computed as R's pnt does (Lenth 1989, algorithm AS 243, with a normal
// approximation for ν > 4·10⁵), and n is found with R's root finder (Brent's
// zeroin on [2, 10⁷], tolerance ε^¼), so NExact is R's answer and not only
// near the exact root: R's tolerance leaves the two up to about 10⁻⁴ apart.
//
// sd must be positive, mde a non-zero lift above −100%, alpha and power
// strictly between 0 and 1. When 2 posts already give the power asked for,
// the answer is 2; when more than 10⁷ would be needed, it is an error.
func PowerT(sd, mde, alpha, power float64) (Power, error) {
	switch {
	case !allFinite(sd, mde, alpha, power):
		return Power{}, insufficient("cannot size the experiment because an input is missing or infinite")
	case !(sd > 0):
		return Power{}, insufficient("cannot size the experiment because the spread of past posts is zero")
	case !(mde > -1) || mde == 0:
		return Power{}, insufficient("cannot size the experiment because the smallest lift worth finding must be a change above -100%% and not zero")
	case !(alpha > 0 && alpha < 1):
		return Power{}, insufficient("cannot size the experiment because the significance level must be between 0 and 1")
	case !(power > 0 && power < 1):
		return Power{}, insufficient("cannot size the experiment because the power must be between 0 and 1")
	}
	delta := math.Abs(math.Log1p(mde))
	if delta == 0 || !allFinite(delta/sd) {
		return Power{}, insufficient("cannot size the experiment because the smallest lift worth finding is too small or too large to compute with")
	}
	f := func(n float64) float64 {
		nu := math.Max(1e-7, n-1) * 2
		qu := tCritical(alpha, nu)
		return pnt(qu, nu, math.Sqrt(n/2)*delta/sd, false) - power
	}
	lo, hi := 2.0, maxPowerN
	flo, fhi := f(lo), f(hi)
	if flo >= 0 {
		return Power{NExact: 2, N: 2}, nil
	}
	if fhi < 0 {
		return Power{}, insufficient("cannot size the experiment because it would need more than 10 million posts per variant")
	}
	n := zeroin(lo, hi, flo, fhi, f, math.Pow(epsilon, 0.25), 1000)
	if !allFinite(n) || n < 2 {
		return Power{}, insufficient("cannot size the experiment because the calculation did not settle on an answer")
	}
	return Power{NExact: n, N: int(math.Ceil(n))}, nil
}

// pnt is R's pnt(t, df, ncp, lower.tail): the distribution function of the
// noncentral t, by the twin series of Lenth (1989), AS 243, as amended in R.
func pnt(t, df, ncp float64, lowerTail bool) float64 {
	const (
		itrmax = 1000
		errmax = 1e-12
	)
	if ncp == 0 {
		if lowerTail {
			return 1 - tUpper(t, df)
		}
		return tUpper(t, df)
	}
	if math.IsInf(t, 0) {
		if t < 0 {
			return tail(0, lowerTail)
		}
		return tail(1, lowerTail)
	}
	var negdel bool
	tt, del := t, ncp
	if t < 0 {
		// pnt(t, df, ncp) ≤ pnt(0, df, ncp) = Φ(−ncp), negligible here.
		if ncp > 40 {
			return tail(0, lowerTail)
		}
		negdel, tt, del = true, -t, -ncp
	}
	if df > 4e5 || del*del > 2*math.Ln2*1021 {
		// Abramowitz & Stegun 26.7.10.
		s := 1 / (4 * df)
		z := (tt*(1-s) - del) / math.Sqrt(1+tt*tt*2*s)
		if lowerTail != negdel {
			return normCDF(z)
		}
		return normCDF(-z)
	}
	x := t * t
	x /= x + df
	var tnc float64
	if x > 0 {
		lambda := del * del
		p := 0.5 * math.Exp(-0.5*lambda)
		if p == 0 { // underflow, as in R
			return tail(0, lowerTail)
		}
		q := math.Sqrt(2/math.Pi) * p * del
		s := 0.5 - p
		if s < 1e-7 {
			s = -0.5 * math.Expm1(-0.5*lambda)
		}
		a := 0.5
		b := 0.5 * df
		rxb := math.Pow(1-x, b)
		lgb, _ := math.Lgamma(b)
		lgb5, _ := math.Lgamma(0.5 + b)
		albeta := 0.5*math.Log(math.Pi) + lgb - lgb5
		xodd := mathext.RegIncBeta(a, b, x)
		godd := 2 * rxb * math.Exp(a*math.Log(x)-albeta)
		tnc = b * x
		xeven := 1 - rxb
		if tnc < epsilon {
			xeven = tnc
		}
		geven := tnc * rxb
		tnc = p*xodd + q*xeven
		for it := 1; it <= itrmax; it++ {
			a++
			xodd -= godd
			xeven -= geven
			godd *= x * (a + b - 1) / a
			geven *= x * (a + b - 0.5) / (a + 0.5)
			p *= lambda / float64(2*it)
			q *= lambda / float64(2*it+1)
			tnc += p*xodd + q*xeven
			s -= p
			if s < -1e-10 || (s <= 0 && it > 1) {
				break
			}
			errbd := 2 * s * (xodd - godd)
			if math.Abs(errbd) < errmax {
				break
			}
		}
	}
	tnc += normCDF(-del)
	return tail(math.Min(tnc, 1), lowerTail != negdel)
}

// tail returns the lower-tail probability p, or its complement.
func tail(p float64, lower bool) float64 {
	if lower {
		return p
	}
	return 0.5 - p + 0.5
}

// tUpper is pt(t, df, lower.tail = FALSE).
func tUpper(t, df float64) float64 {
	if t >= 0 {
		return tTwoSided(t, df) / 2
	}
	return 1 - tTwoSided(t, df)/2
}

// zeroin is R's R_zeroin2 (Brent 1973): a root of f in [ax, bx] given
// fa = f(ax) and fb = f(bx) of opposite signs, to within tol. Following R's
// steps exactly makes the root agree with R's uniroot, not only with the
// true root.
func zeroin(ax, bx, fa, fb float64, f func(float64) float64, tol float64, maxit int) float64 {
	a, b := ax, bx
	c, fc := a, fa
	if fa == 0 {
		return a
	}
	if fb == 0 {
		return b
	}
	for range maxit + 1 {
		prevStep := b - a
		if math.Abs(fc) < math.Abs(fb) {
			a, b, c = b, c, b
			fa, fb, fc = fb, fc, fb
		}
		tolAct := 2*epsilon*math.Abs(b) + tol/2
		newStep := (c - b) / 2
		if math.Abs(newStep) <= tolAct || fb == 0 {
			return b
		}
		if math.Abs(prevStep) >= tolAct && math.Abs(fa) > math.Abs(fb) {
			var p, q float64
			cb := c - b
			if a == c {
				t1 := fb / fa
				p = cb * t1
				q = 1 - t1
			} else {
				q = fa / fc
				t1 := fb / fc
				t2 := fb / fa
				p = t2 * (cb*q*(q-t1) - (b-a)*(t1-1))
				q = (q - 1) * (t1 - 1) * (t2 - 1)
			}
			if p > 0 {
				q = -q
			} else {
				p = -p
			}
			if p < 0.75*cb*q-math.Abs(tolAct*q)/2 && p < math.Abs(prevStep*q/2) {
				newStep = p / q
			}
		}
		if math.Abs(newStep) < tolAct {
			if newStep > 0 {
				newStep = tolAct
			} else {
				newStep = -tolAct
			}
		}
		a, fa = b, fb
		b += newStep
		fb = f(b)
		if (fb > 0 && fc > 0) || (fb < 0 && fc < 0) {
			c, fc = a, fa
		}
	}
	return b
}

// PowerGSResult is the number of posts per variant a group-sequential
// experiment needs.
//
// The JSON names are those of the R reference (stats-cases.json).
type PowerGSResult struct {
	NFixed    float64 `json:"n_fixed"`   // posts per variant of a single test at alpha/comparisons, unrounded
	Inflation float64 `json:"inflation"` // GroupSequential(alpha/comparisons, looks).Inflation
	N         int     `json:"n"`         // ⌈NFixed × Inflation⌉: the planned posts per variant
}

// PowerGS returns the posts per variant needed to find a relative lift of
// mde with the given power when each of comparisons treatments is tested
// against the control at alpha/comparisons (Bonferroni) over looks equally
// spaced group-sequential looks, as
//
//	n_fixed <- power.t.test(delta = log(1 + mde), sd = sd,
//	                        sig.level = alpha / comparisons, power = power)$n
//	d <- rpact::getDesignGroupSequential(kMax = looks, alpha = alpha / comparisons,
//	        sided = 2, typeOfDesign = "asOF", informationRates = (1:looks) / looks)
//	ceiling(n_fixed * rpact::getDesignCharacteristics(d)$inflationFactor)
//
// n_fixed is PowerT's NExact and the inflation GroupSequential's (rpact's
// inflation is computed at power 0.8 whatever power is asked: the spec pins
// it so). comparisons must be 1 or more; the other inputs are checked as by
// PowerT and GroupSequential.
func PowerGS(sd, mde, alpha, power float64, comparisons, looks int) (PowerGSResult, error) {
	if comparisons < 1 {
		return PowerGSResult{}, insufficient("cannot size the experiment because it needs at least one treatment to compare with the control")
	}
	fixed, err := PowerT(sd, mde, alpha/float64(comparisons), power)
	if err != nil {
		return PowerGSResult{}, err
	}
	d, err := GroupSequential(alpha/float64(comparisons), looks)
	if err != nil {
		return PowerGSResult{}, err
	}
	n := math.Ceil(fixed.NExact * d.Inflation)
	if !(n <= maxPowerN) {
		return PowerGSResult{}, insufficient("cannot size the experiment because it would need more than 10 million posts per variant")
	}
	return PowerGSResult{NFixed: fixed.NExact, Inflation: d.Inflation, N: int(n)}, nil
}
