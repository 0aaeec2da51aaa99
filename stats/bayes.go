package stats

import (
	"math"
	"math/rand/v2"
)

// Bayes is the Bayesian reading of a comparison.
type Bayes struct {
	ChanceToBeat float64 // posterior probability that the treatment beats the control
	ExpectedLoss float64 // expected shortfall, on the comparison's scale, from choosing the treatment if it is in fact worse
}

// BayesNormal compares two groups on the log1p scale with a flat prior, so
// the posterior of the difference Δ is normal with
//
//	μ = mean(log1p b) − mean(log1p a),  σ = sqrt(s²_a/n_a + s²_b/n_b)
//
// (s² the sample variances of log1p), and reads it as BayesFromNormal(μ, σ).
//
// Values must be zero or more; each group needs 2 values, and the two groups
// may not both be constant.
func BayesNormal(control, treatment []float64) (Bayes, error) {
	if err := checkTwoGroups(control, treatment); err != nil {
		return Bayes{}, err
	}
	if err := checkCounts(control, "the control group"); err != nil {
		return Bayes{}, err
	}
	if err := checkCounts(treatment, "the treatment group"); err != nil {
		return Bayes{}, err
	}
	a, b := Summarize(log1pAll(control)), Summarize(log1pAll(treatment))
	sigma := math.Sqrt(a.Var/float64(a.N) + b.Var/float64(b.N))
	if sigma == 0 {
		return Bayes{}, insufficient("cannot compare because every post in each group has the same value, so there is no variation to compare against")
	}
	return BayesFromNormal(b.Mean-a.Mean, sigma)
}

// BayesFromNormal reads a normal posterior N(μ, σ²) of the difference Δ
// (treatment − control):
//
//	ChanceToBeat = P(Δ > 0) = Φ(μ/σ)
//	ExpectedLoss = E[max(−Δ, 0)] = σ·φ(μ/σ) − μ·Φ(−μ/σ)
//
// For ratio metrics pass Δ and the delta-method standard error (Ratio's
// Estimate and SE). σ must be positive.
func BayesFromNormal(mu, sigma float64) (Bayes, error) {
	if !allFinite(mu, sigma) {
		return Bayes{}, insufficient("cannot compare because the difference or its uncertainty is missing or infinite")
	}
	if !(sigma > 0) {
		return Bayes{}, insufficient("cannot compare because the uncertainty of the difference is zero")
	}
	z := mu / sigma
	r := Bayes{
		ChanceToBeat: normCDF(z),
		ExpectedLoss: math.Max(0, sigma*normPDF(z)-mu*normCDF(-z)),
	}
	if !allFinite(r.ChanceToBeat, r.ExpectedLoss) {
		return Bayes{}, errTooLarge
	}
	return r, nil
}

// DefaultDraws is the number of Monte Carlo draws ChanceToBeBest takes when
// asked for zero or fewer.
const DefaultDraws = 100000

// ChanceToBeBest returns, for each of k variants with independent normal
// posteriors N(means[i], sds[i]²), the probability that it has the largest
// value, estimated from draws joint samples of a PCG generator seeded with
// seed: the same inputs give the same answer on every run. The Monte Carlo
// error of each probability is about sqrt(p(1−p)/draws). draws ≤ 0 means
// DefaultDraws.
//
// It needs at least one variant; every mean must be finite and every sd zero
// or more.
func ChanceToBeBest(means, sds []float64, draws int, seed uint64) ([]float64, error) {
	if len(means) == 0 {
		return nil, insufficient("cannot rank variants because there are none")
	}
	if len(sds) != len(means) {
		return nil, insufficient("cannot rank variants because there are %d averages but %d uncertainties", len(means), len(sds))
	}
	for i := range means {
		if !allFinite(means[i], sds[i]) {
			return nil, insufficient("cannot rank variants because an average or its uncertainty is missing or infinite")
		}
		if sds[i] < 0 {
			return nil, insufficient("cannot rank variants because an uncertainty is negative")
		}
	}
	if draws <= 0 {
		draws = DefaultDraws
	}
	rng := rand.New(rand.NewPCG(seed, 0x62657374))
	wins := make([]int, len(means))
	for range draws {
		best, bestValue := 0, math.Inf(-1)
		for i := range means {
			v := means[i] + sds[i]*rng.NormFloat64()
			if v > bestValue {
				best, bestValue = i, v
			}
		}
		wins[best]++
	}
	out := make([]float64, len(means))
	for i, w := range wins {
		out[i] = float64(w) / float64(draws)
	}
	return out, nil
}
