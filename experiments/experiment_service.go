package experiments

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

var (
	keyRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,79}$`)
	factorRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// ExperimentInput is the body of POST /v1/experiments (SPEC §5). Omitted settings take the
// defaults of SPEC §1.
type ExperimentInput struct {
	Key              string        `json:"key"`
	Name             string        `json:"name"`
	Hypothesis       string        `json:"hypothesis"`
	Platform         string        `json:"platform"`
	PrimaryMetric    string        `json:"primary_metric"`
	SecondaryMetrics []string      `json:"secondary_metrics"`
	RatioMetrics     []RatioMetric `json:"ratio_metrics"`
	HorizonHours     *float64      `json:"horizon_hours"`
	HorizonTolerance *float64      `json:"horizon_tolerance"`
	Alpha            *float64      `json:"alpha"`
	Correction       *string       `json:"correction"` // left out: DefaultCorrection; "" is not a correction
	MDE              *float64      `json:"mde"`
	Factors          []string      `json:"factors"`
	// PlannedPostsPerVariant is the plan; left out, it is sized when the experiment starts.
	PlannedPostsPerVariant *int `json:"planned_posts_per_variant"`
}

// ExperimentPatch is the body of PATCH /v1/experiments/{id}: only the fields sent change.
type ExperimentPatch struct {
	Key              *string        `json:"key"`
	Name             *string        `json:"name"`
	Hypothesis       *string        `json:"hypothesis"`
	Platform         *string        `json:"platform"`
	PrimaryMetric    *string        `json:"primary_metric"`
	SecondaryMetrics *[]string      `json:"secondary_metrics"`
	RatioMetrics     *[]RatioMetric `json:"ratio_metrics"`
	HorizonHours     *float64       `json:"horizon_hours"`
	HorizonTolerance *float64       `json:"horizon_tolerance"`
	Alpha            *float64       `json:"alpha"`
	Correction       *string        `json:"correction"`
	MDE              *float64       `json:"mde"`
	Factors          *[]string      `json:"factors"`
	// PlannedPostsPerVariant set to null clears the plan, to have it sized at start.
	PlannedPostsPerVariant Nullable[int] `json:"planned_posts_per_variant"`
}

// CreateExperiment creates a draft experiment.
func (s *Service) CreateExperiment(ctx context.Context, p Principal, in ExperimentInput) (Experiment, error) {
	now := s.Now()
	e := Experiment{
		ID: NewID(), WorkspaceID: p.WorkspaceID, Key: in.Key, Name: strings.TrimSpace(in.Name),
		Hypothesis: in.Hypothesis, Platform: in.Platform, Status: StatusDraft,
		PrimaryMetric: in.PrimaryMetric, SecondaryMetrics: orEmpty(in.SecondaryMetrics),
		RatioMetrics: orEmpty(in.RatioMetrics), HorizonHours: orDefault(in.HorizonHours, DefaultHorizonHours),
		HorizonTolerance: orDefault(in.HorizonTolerance, DefaultHorizonTolerance),
		Alpha:            orDefault(in.Alpha, DefaultAlpha), Correction: DefaultCorrection,
		MDE: orDefault(in.MDE, DefaultMDE), Factors: orEmpty(in.Factors),
		PlannedPostsPerVariant: in.PlannedPostsPerVariant, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if in.Correction != nil {
		e.Correction = *in.Correction
	}
	if e.PrimaryMetric == "" {
		e.PrimaryMetric = "views"
	}
	if err := validateExperiment(e); err != nil {
		return Experiment{}, err
	}
	err := s.tx(ctx, func(tx Tx) error { return tx.InsertExperiment(e) })
	return e, err
}

func orDefault(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func validateExperiment(e Experiment) error {
	var f FieldErrors
	if !keyRE.MatchString(e.Key) {
		f.Add("key", "must be 1 to 80 lowercase letters, digits, '-' or '_', starting with a letter or digit")
	}
	if e.Name == "" || tooLong(e.Name, 200) {
		f.Add("name", "must be 1 to 200 characters")
	}
	if tooLong(e.Hypothesis, 2000) {
		f.Add("hypothesis", "must be at most 2000 characters")
	}
	if !slices.Contains(Platforms, e.Platform) {
		f.Add("platform", "must be one of %s", strings.Join(Platforms, ", "))
	}
	validateRatioMetrics(&f, e.RatioMetrics)
	if _, ok := MetricKind(e.PrimaryMetric, e.RatioMetrics); !ok {
		f.Add("primary_metric", "%q is not a metric postlab knows (views, likes, engagement_rate, custom.NAME, …)", e.PrimaryMetric)
	}
	for i, m := range e.SecondaryMetrics {
		if _, ok := MetricKind(m, e.RatioMetrics); !ok {
			f.Add(fmt.Sprintf("secondary_metrics[%d]", i), "%q is not a metric postlab knows", m)
		}
	}
	if !(e.HorizonHours > 0 && e.HorizonHours <= 24*366) {
		f.Add("horizon_hours", "must be more than 0 and at most 8784 (a year)")
	}
	if !(e.HorizonTolerance >= 0 && e.HorizonTolerance <= 1) {
		f.Add("horizon_tolerance", "must be between 0 and 1")
	}
	if !(e.Alpha > 0 && e.Alpha <= 0.5) {
		f.Add("alpha", "must be more than 0 and at most 0.5")
	}
	if !slices.Contains(Corrections, e.Correction) {
		f.Add("correction", "must be one of holm, bh, none")
	}
	if !(e.MDE > 0 && e.MDE <= 100) || math.IsInf(e.MDE, 0) {
		f.Add("mde", "must be a relative lift more than 0 and at most 100 (10,000%%), e.g. 0.2 for 20%%")
	}
	if n := e.PlannedPostsPerVariant; n != nil && (*n < MinPlannedPosts || *n > MaxPlannedPosts) {
		f.Add("planned_posts_per_variant", "must be from %d to %d posts per variant; leave it out to have it sized when the experiment starts",
			MinPlannedPosts, MaxPlannedPosts)
	}
	seen := map[string]bool{}
	for i, name := range e.Factors {
		field := fmt.Sprintf("factors[%d]", i)
		switch {
		case !factorRE.MatchString(name):
			f.Add(field, "must be a lowercase name such as post_time, hashtags, format or sound")
		case seen[name]:
			f.Add(field, "%q is listed twice", name)
		}
		seen[name] = true
	}
	return f.Err()
}

func validateRatioMetrics(f *FieldErrors, ratios []RatioMetric) {
	for i, r := range ratios {
		field := fmt.Sprintf("ratio_metrics[%d]", i)
		if !factorRE.MatchString(r.Name) {
			f.Add(field+".name", "must be a lowercase name such as click_rate")
		} else if kind, ok := MetricKind(r.Name, nil); ok {
			f.Add(field+".name", "%q is already a %s metric", r.Name, kind)
		}
		for _, part := range []struct{ field, metric string }{{".numerator", r.Numerator}, {".denominator", r.Denominator}} {
			if kind, _ := MetricKind(part.metric, nil); kind != KindCount {
				f.Add(field+part.field, "must be a count metric (views, likes, engagements, custom.NAME, …)")
			}
		}
	}
}

// ExperimentListItem is an experiment as a list shows it: with how many posts it has and how
// many of them have reached its horizon at the time of the list.
type ExperimentListItem struct {
	Experiment
	Posts        int64 `json:"posts"`
	MaturedPosts int64 `json:"matured_posts"`
}

// ListExperiments lists the workspace's experiments, each with its posts counted: one query
// for the page of experiments and one aggregate query for the counts of all of them.
func (s *Service) ListExperiments(ctx context.Context, p Principal, filter ExperimentFilter) ([]ExperimentListItem, error) {
	var f FieldErrors
	if filter.Status != "" && !slices.Contains(Statuses, filter.Status) {
		f.Add("status", "must be one of draft, running, paused, concluded, archived")
	}
	if filter.Platform != "" && !slices.Contains(Platforms, filter.Platform) {
		f.Add("platform", "must be one of %s", strings.Join(Platforms, ", "))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var list []Experiment
	var counts map[string]PostCount
	now := s.now().UTC()
	err := s.read(ctx, func(tx Tx) (err error) {
		if list, err = tx.ListExperiments(p.WorkspaceID, filter); err != nil || len(list) == 0 {
			return err
		}
		ids := make([]string, len(list))
		for i, e := range list {
			ids[i] = e.ID
		}
		counts, err = tx.PostCounts(p.WorkspaceID, ids, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	items := make([]ExperimentListItem, len(list))
	for i, e := range list {
		c := counts[e.ID]
		items[i] = ExperimentListItem{Experiment: e, Posts: c.Posts, MaturedPosts: c.Matured}
	}
	return items, nil
}

// GetExperiment finds an experiment by id or key.
func (s *Service) GetExperiment(ctx context.Context, p Principal, idOrKey string) (Experiment, error) {
	var e Experiment
	err := s.read(ctx, func(tx Tx) (err error) {
		e, err = tx.GetExperiment(p.WorkspaceID, idOrKey, false)
		return err
	})
	return e, err
}

// PatchExperiment changes the fields sent. ifMatch, when not nil, is the version the client
// last saw; a newer one is EPRECONDITION. Platform and factors change only in draft; the
// settings frozen at start (frozenChanges) only in draft too.
func (s *Service) PatchExperiment(ctx context.Context, p Principal, idOrKey string, ifMatch *int, patch ExperimentPatch) (Experiment, error) {
	var e Experiment
	err := s.tx(ctx, func(tx Tx) (err error) {
		e, err = tx.GetExperiment(p.WorkspaceID, idOrKey, true)
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != e.Version {
			return Errorf(EPRECONDITION, "the experiment has changed since version %d (now %d); fetch it again", *ifMatch, e.Version)
		}
		if !e.Status.Allows(ActivityChange) {
			return Errorf(ECONFLICT, "an archived experiment cannot change")
		}
		if !e.Status.Allows(ActivityDesign) && (patch.Platform != nil || patch.Factors != nil) {
			return Errorf(ECONFLICT, "platform and factors can change only while the experiment is draft; it is %s", e.Status)
		}
		before := e
		applyPatch(&e, patch)
		if !e.Status.Allows(ActivityVerdictSettings) {
			if err := frozenChanges(before, e); err != nil {
				return err
			}
		}
		if err := validateExperiment(e); err != nil {
			return err
		}
		e.Version++
		e.UpdatedAt = s.Now()
		return tx.UpdateExperiment(e)
	})
	return e, err
}

func applyPatch(e *Experiment, p ExperimentPatch) {
	setIf(&e.Key, p.Key)
	if p.Name != nil {
		e.Name = strings.TrimSpace(*p.Name)
	}
	setIf(&e.Hypothesis, p.Hypothesis)
	setIf(&e.Platform, p.Platform)
	setIf(&e.PrimaryMetric, p.PrimaryMetric)
	if p.SecondaryMetrics != nil {
		e.SecondaryMetrics = orEmpty(*p.SecondaryMetrics)
	}
	if p.RatioMetrics != nil {
		e.RatioMetrics = orEmpty(*p.RatioMetrics)
	}
	setIf(&e.HorizonHours, p.HorizonHours)
	setIf(&e.HorizonTolerance, p.HorizonTolerance)
	setIf(&e.Alpha, p.Alpha)
	setIf(&e.Correction, p.Correction)
	setIf(&e.MDE, p.MDE)
	if p.Factors != nil {
		e.Factors = orEmpty(*p.Factors)
	}
	if p.PlannedPostsPerVariant.Set {
		e.PlannedPostsPerVariant = p.PlannedPostsPerVariant.Value
	}
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// DeleteExperiment deletes an experiment with its variants, posts and snapshots.
func (s *Service) DeleteExperiment(ctx context.Context, p Principal, idOrKey string) error {
	return s.tx(ctx, func(tx Tx) error {
		e, err := tx.GetExperiment(p.WorkspaceID, idOrKey, true)
		if err != nil {
			return err
		}
		return tx.DeleteExperiment(p.WorkspaceID, e.ID)
	})
}
