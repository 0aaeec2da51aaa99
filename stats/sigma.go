package stats

import "math"

// ResidualSD is the residual standard error of the least-squares fit of y on
// categorical factors with an intercept, as
//
//	sigma(lm(y ~ f1 + f2 + …))   # sqrt(RSS/(n − p))
//
// With no factors it is sd(y). Each factor needs 2 levels or more, the levels
// may not be confounded, and there must be more values than coefficients.
func ResidualSD(y []float64, factors []Factor) (float64, error) {
	if err := checkSample(y, "the data", 2); err != nil {
		return 0, err
	}
	if len(factors) == 0 {
		_, v := meanVar(y)
		if !allFinite(v) {
			return 0, errTooLarge
		}
		return math.Sqrt(v), nil
	}
	d, err := newDesign(y, factors)
	if err != nil {
		return 0, err
	}
	n, p := len(y), len(d.terms)
	if n <= p {
		return 0, insufficient("cannot estimate the spread because there are %d posts for %d effects; at least %d posts are needed", n, p, p+1)
	}
	fit, err := fitQR(d.x, y, d.terms)
	if err != nil {
		return 0, err
	}
	sigma := math.Sqrt(fit.rss / float64(n-p))
	if !allFinite(sigma) {
		return 0, errTooLarge
	}
	return sigma, nil
}
