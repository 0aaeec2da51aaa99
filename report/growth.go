package report

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"postlab/experiments"
	"postlab/stats"
)

// Growth answers GET /v1/experiments/{id}/growth: how a count metric grows with post age, as
// each variant's median over its posts at a few ages.
type Growth struct {
	ExperimentID     string          `json:"experiment_id"`
	Metric           string          `json:"metric"`
	HorizonHours     float64         `json:"horizon_hours"`
	HorizonTolerance float64         `json:"horizon_tolerance"`
	GeneratedAt      time.Time       `json:"generated_at"`
	Variants         []GrowthVariant `json:"variants"`
}

// GrowthVariant is one variant's curve, a point per age.
type GrowthVariant struct {
	VariantID string        `json:"variant_id"`
	Key       string        `json:"key"`
	Name      string        `json:"name"`
	IsControl bool          `json:"is_control"`
	Points    []GrowthPoint `json:"points"`
}

// GrowthPoint is the median of the variant's posts that have a value at one age, by the
// horizon rule with that age as H; Median is nil when no post has one.
type GrowthPoint struct {
	AgeHours float64  `json:"age_hours"`
	Median   *float64 `json:"median"`
	N        int      `json:"n"`
}

// growthLadder are the ages a curve is drawn at: dense while a post is young, when counts
// change fastest, then daily and weekly.
var growthLadder = []float64{1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720}

// growthAges are the ladder's ages up to twice the horizon (at least two days), with the
// horizon itself, in increasing order: the curve shows the growth up to the age the report
// compares and how it goes on after it.
func growthAges(horizonHours float64) []float64 {
	limit := math.Max(48, 2*horizonHours)
	var ages []float64
	for _, a := range growthLadder {
		if a <= limit {
			ages = append(ages, a)
		}
	}
	if !slices.Contains(ages, horizonHours) {
		ages = append(ages, horizonHours)
		slices.Sort(ages)
	}
	return ages
}

// growthMetric resolves the metric asked: a count metric; empty means the primary metric
// when it is a count, else views.
func growthMetric(e experiments.Experiment, metric string) (string, error) {
	if metric == "" {
		if kind, _ := experiments.MetricKind(e.PrimaryMetric, e.RatioMetrics); kind == experiments.KindCount {
			return e.PrimaryMetric, nil
		}
		return "views", nil
	}
	if kind, ok := experiments.MetricKind(metric, nil); !ok || kind != experiments.KindCount {
		var f experiments.FieldErrors
		f.Add("metric", "%q is not a count metric (views, reach, likes, comments, shares, saves, engagements, custom.NAME, …): growth curves are drawn for counts", metric)
		return "", f.Err()
	}
	return metric, nil
}

// Growth computes the growth curves of an experiment's metric. Each post's value at each age
// is SPEC §1's horizon rule with that age as H and the experiment's tolerance, from the two
// snapshots around the age: one store query per age, whatever the number of posts, all in
// one transaction.
func (s *Service) Growth(ctx context.Context, p experiments.Principal, idOrKey, metric string) (Growth, error) {
	var e experiments.Experiment
	var variants []experiments.Variant
	var ages []float64
	var data []experiments.HorizonData
	err := s.read.Snapshot(ctx, func(tx experiments.Tx) (err error) {
		if e, err = tx.GetExperiment(p.WorkspaceID, idOrKey, false); err != nil {
			return err
		}
		if metric, err = growthMetric(e, metric); err != nil {
			return err
		}
		if variants, err = tx.ListVariants(p.WorkspaceID, e.ID); err != nil {
			return err
		}
		ages = growthAges(e.HorizonHours)
		for _, a := range ages {
			d, err := tx.HorizonSnapshots(p.WorkspaceID, experiments.HorizonQuery{ExperimentID: e.ID,
				Values: []string{metric}, Horizon: experiments.HorizonDuration(a)})
			if err != nil {
				return fmt.Errorf("growth at %v hours: %w", a, err)
			}
			data = append(data, d)
		}
		return nil
	})
	if err != nil {
		return Growth{}, err
	}
	g := Growth{ExperimentID: e.ID, Metric: metric, HorizonHours: e.HorizonHours,
		HorizonTolerance: e.HorizonTolerance, GeneratedAt: s.Now(), Variants: []GrowthVariant{}}
	for _, v := range controlFirst(variants) {
		gv := GrowthVariant{VariantID: v.ID, Key: v.Key, Name: v.Name, IsControl: v.IsControl, Points: []GrowthPoint{}}
		for i, a := range ages {
			rule := experiments.HorizonRule{Age: experiments.HorizonDuration(a), Tolerance: e.HorizonTolerance}
			gv.Points = append(gv.Points, growthPoint(a, rule, data[i], v.ID))
		}
		g.Variants = append(g.Variants, gv)
	}
	return g, nil
}

// growthPoint is the median, at one age, of the variant's posts that have a value there.
func growthPoint(age float64, rule experiments.HorizonRule, data experiments.HorizonData, variantID string) GrowthPoint {
	var xs []float64
	for i, post := range data.Posts {
		if post.VariantID != variantID {
			continue
		}
		if y, ok := rule.ValueAt(data.Bracket(i, 0, 1), post.PostedAt); ok {
			xs = append(xs, y)
		}
	}
	pt := GrowthPoint{AgeHours: age, N: len(xs)}
	if len(xs) > 0 {
		pt.Median = num(stats.Describe(xs).Median)
	}
	return pt
}

// controlFirst orders the variants as the report does: the control, then the others in their
// order.
func controlFirst(variants []experiments.Variant) []experiments.Variant {
	out := slices.Clone(variants)
	slices.SortStableFunc(out, func(a, b experiments.Variant) int {
		switch {
		case a.IsControl == b.IsControl:
			return 0
		case a.IsControl:
			return -1
		}
		return 1
	})
	return out
}
