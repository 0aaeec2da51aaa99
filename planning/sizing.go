package planning

import (
	"math"
	"time"

	"postlab/experiments"
	"postlab/stats"
)

// How an experiment that starts without a plan is sized (SPEC §3.1).
const (
	// PlanLooks is the number of looks every experiment has, at quarters of its plan.
	PlanLooks = 4
	// MinHistoryPosts is how many earlier posts with a value the workspace needs before their
	// spread sizes a plan; with fewer, DefaultPlanSD does.
	MinHistoryPosts = 20
	// DefaultPlanSD is the sd of log1p assumed without enough history: a typical spread of
	// social posts' counts.
	DefaultPlanSD = 1.1
)

// History is the spread of a metric over a workspace's earlier posts, as a plan uses it.
type History struct {
	Posts int     // earlier posts with a value of g at the horizon
	SD    float64 // the sd PowerGS is given: from the posts when Posts ≥ MinHistoryPosts, else DefaultPlanSD
}

// PlannedPostsPerVariant sizes the plan of an experiment that starts at `at` without one
// (experiments.PlanSizer): PowerGS(sd, mde, alpha, power 0.8, comparisons = variants − 1,
// looks 4), with sd from the workspace's earlier posts on the experiment's platform at its
// horizon (see PlanHistory). A plan is never below the 3 posts per variant a look needs.
func (s *Service) PlannedPostsPerVariant(tx experiments.Tx, e experiments.Experiment, variants int, at time.Time) (int, error) {
	h, err := PlanHistory(tx, e, at)
	if err != nil {
		return 0, err
	}
	r, err := stats.PowerGS(h.SD, e.MDE, e.Alpha, DefaultPlanPower, variants-1, PlanLooks)
	if err != nil {
		f := sizeError(err, SampleSize{Alpha: e.Alpha, Variants: variants, MDE: e.MDE, SD: h.SD})
		return 0, &experiments.Error{Code: experiments.ECONFLICT, Fields: []experiments.FieldError{f},
			Message: "cannot start: the plan cannot be sized (" + f.Field + ": " + f.Message + "); change it, or set planned_posts_per_variant"}
	}
	return max(r.N, experiments.MinPlannedPosts), nil
}

// PlanHistory reads the outcome g of e's primary metric (SPEC §3.1: log1p of a count, a post's
// own rate for a ratio metric, the value of a mean metric) at e's horizon for the workspace's
// posts on e's platform published before `at`, whatever their experiment, through the report's
// horizon query and rule.
//
// For a count, sd is the sd of g. For ratio and mean metrics the mde is a lift relative to the
// mean m of g, a difference of mde·m, while PowerGS takes the lift as log(1 + mde): sd is the
// sd of g rescaled by log(1 + mde)/(mde·m), so that PowerGS sizes exactly the test of a
// difference mde·m on g's own scale.
func PlanHistory(tx experiments.Tx, e experiments.Experiment, at time.Time) (History, error) {
	kind, ok := experiments.MetricKind(e.PrimaryMetric, e.RatioMetrics)
	if !ok {
		return History{}, experiments.Errorf(experiments.EINVALID, "primary metric %q is not a metric postlab knows", e.PrimaryMetric)
	}
	values := []string{e.PrimaryMetric}
	if kind == experiments.KindRatio {
		r, _ := experiments.RatioByName(e.PrimaryMetric, e.RatioMetrics)
		values = []string{r.Numerator, r.Denominator}
	}
	rule := experiments.HorizonRule{Age: experiments.HorizonDuration(e.HorizonHours), Tolerance: e.HorizonTolerance}
	data, err := tx.HorizonSnapshots(e.WorkspaceID, experiments.HorizonQuery{
		Platform: e.Platform, PostedBefore: at, Values: values, Horizon: rule.Age})
	if err != nil {
		return History{}, err
	}
	g := outcomes(kind, data, len(values), rule)
	h := History{Posts: len(g), SD: DefaultPlanSD}
	if len(g) < MinHistoryPosts {
		return h, nil
	}
	d := stats.Describe(g)
	sd := d.SD
	if kind != experiments.KindCount {
		sd *= math.Log1p(e.MDE) / (e.MDE * d.Mean)
	}
	// A history without spread (or, on the relative scale, without a positive mean) cannot
	// size anything: the assumed spread does instead.
	if sd > 0 && !math.IsInf(sd, 0) {
		h.SD = sd
	}
	return h, nil
}

// outcomes is g for each post of data with a value at the horizon; a ratio's posts whose
// denominator is 0 there have no rate and are left out.
func outcomes(kind string, data experiments.HorizonData, nValues int, rule experiments.HorizonRule) []float64 {
	g := make([]float64, 0, len(data.Posts))
	for i, p := range data.Posts {
		y, ok := rule.ValueAt(data.Bracket(i, 0, nValues), p.PostedAt)
		if !ok {
			continue
		}
		switch kind {
		case experiments.KindCount:
			y = math.Log1p(y)
		case experiments.KindRatio:
			den, ok := rule.ValueAt(data.Bracket(i, 1, nValues), p.PostedAt)
			if !ok || den == 0 {
				continue
			}
			y /= den
		}
		if !math.IsNaN(y) && !math.IsInf(y, 0) {
			g = append(g, y)
		}
	}
	return g
}
