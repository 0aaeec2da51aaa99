package report

import (
	"context"
	"fmt"
	"slices"

	"postlab/experiments"
)

// NextPost is the answer of GET /v1/experiments/{id}/next: which variant to post next.
type NextPost struct {
	ExperimentID    string             `json:"experiment_id"`
	Metric          string             `json:"metric"`
	VariantKey      string             `json:"variant_key"`
	Reason          string             `json:"reason"`
	ProbabilityBest map[string]float64 `json:"probability_best"`
	MaturedPosts    map[string]int     `json:"matured_posts"`
	Exploratory     bool               `json:"exploratory"`
	Note            string             `json:"note"`
}

// minMatured is how many matured posts a variant needs before its posterior means anything.
const minMatured = 2

// Next picks the variant to post next by Thompson sampling over the variants' posteriors of
// the primary metric, using matured posts only (those with a value at the horizon). Thompson
// sampling posts each variant with the probability that it is the best, so the pick is drawn
// from the report's chance_to_be_best with draw, a uniform number in [0, 1) from the caller.
// Until every variant has minMatured matured posts, the one with the fewest goes next.
func (s *Service) Next(ctx context.Context, p experiments.Principal, idOrKey string, draw float64) (NextPost, error) {
	var e experiments.Experiment
	err := s.read.Snapshot(ctx, func(tx experiments.Tx) (err error) {
		e, err = tx.GetExperiment(p.WorkspaceID, idOrKey, false)
		return err
	})
	if err != nil {
		return NextPost{}, err
	}
	if !e.Status.Allows(experiments.ActivityPlan) {
		return NextPost{}, experiments.Errorf(experiments.ECONFLICT, "the experiment is %s: there is nothing more to post", e.Status)
	}
	r, err := s.Report(ctx, p, e.ID, Options{Metrics: []string{e.PrimaryMetric}})
	if err != nil {
		return NextPost{}, fmt.Errorf("next: %w", err)
	}
	m := r.Metrics[0]
	if len(m.Variants) == 0 {
		return NextPost{}, experiments.Errorf(experiments.ECONFLICT, "the experiment has no variants yet")
	}
	next := NextPost{ExperimentID: e.ID, Metric: m.Metric, ProbabilityBest: map[string]float64{},
		MaturedPosts: map[string]int{}, Exploratory: true,
		Note: "Exploratory: this balances learning and winning as results come in; it is not a significance test. Use the report to decide."}
	for _, v := range m.Variants {
		next.MaturedPosts[v.Key] = v.NPosts
	}
	fewest := slices.MinFunc(m.Variants, func(a, b VariantStats) int { return a.NPosts - b.NPosts })
	if fewest.NPosts < minMatured || len(m.ChanceToBeBest) == 0 {
		next.VariantKey = fewest.Key
		next.Reason = fmt.Sprintf("%s has the fewest matured posts (%d); every variant needs at least %d before the results can steer the choice",
			fewest.Name, fewest.NPosts, minMatured)
		return next, nil
	}
	next.ProbabilityBest = m.ChanceToBeBest
	next.VariantKey = thompsonPick(m.Variants, m.ChanceToBeBest, draw)
	next.Reason = fmt.Sprintf("drawn with the chance that each variant is the best on %s; %s has a %.0f%% chance",
		m.Metric, next.VariantKey, 100*m.ChanceToBeBest[next.VariantKey])
	return next, nil
}

// thompsonPick draws a variant key with the given probabilities, walking the variants in order.
func thompsonPick(variants []VariantStats, prob map[string]float64, draw float64) string {
	total := 0.0
	for _, v := range variants {
		total += prob[v.Key]
	}
	acc := 0.0
	for _, v := range variants {
		acc += prob[v.Key] / total
		if draw < acc {
			return v.Key
		}
	}
	return variants[len(variants)-1].Key
}
