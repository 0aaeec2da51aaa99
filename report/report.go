package report

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"postlab/experiments"
	"postlab/planning"
)

// Report answers SPEC §3: for each metric asked, which variant did better than the control,
// by how much and how sure, with the checks that say whether to trust it. Statistics that
// cannot be computed are null, never NaN, with a reason.
type Report struct {
	ExperimentID     string    `json:"experiment_id"`
	ExperimentKey    string    `json:"experiment_key"`
	ExperimentName   string    `json:"experiment_name"`
	GeneratedAt      time.Time `json:"generated_at"`
	HorizonHours     *float64  `json:"horizon_hours"` // nil under horizon=latest
	Horizon          string    `json:"horizon"`       // the hours as asked, or "latest"
	HorizonTolerance float64   `json:"horizon_tolerance"`
	Alpha            float64   `json:"alpha"`
	Correction       string    `json:"correction"`
	MDE              float64   `json:"mde"`
	// WhatIf is set when alpha or correction differ from the experiment's own: such a report
	// shows what the numbers would say, and decides nothing (SPEC §3.1).
	WhatIf bool `json:"what_if"`
	// PlannedPostsPerVariant is the experiment's plan; nil when it has none (unplanned).
	PlannedPostsPerVariant *int           `json:"planned_posts_per_variant"`
	Metrics                []MetricReport `json:"metrics"`
	Allocation             Allocation     `json:"allocation"`
	Recommendation         Recommendation `json:"recommendation"`
	// PlanAdherence says how well the stored posting plan was followed; null without a plan.
	PlanAdherence *planning.ScheduleAdherence `json:"plan_adherence"`
}

// MetricReport is the report on one metric.
type MetricReport struct {
	Metric         string             `json:"metric"`
	Kind           string             `json:"kind"`
	Numerator      string             `json:"numerator,omitempty"`   // ratio metrics
	Denominator    string             `json:"denominator,omitempty"` // ratio metrics
	Variants       []VariantStats     `json:"variants"`
	Comparisons    []Comparison       `json:"comparisons"`
	Omnibus        *Omnibus           `json:"omnibus"` // count metrics
	ChanceToBeBest map[string]float64 `json:"chance_to_be_best"`
	Factors        []FactorEffect     `json:"factors"` // count metrics
	Warnings       []Warning          `json:"warnings"`
}

// VariantStats describes one variant's sample: the posts with a value at the horizon.
type VariantStats struct {
	VariantID   string       `json:"variant_id"`
	Key         string       `json:"key"`
	Name        string       `json:"name"`
	IsControl   bool         `json:"is_control"`
	NPosts      int          `json:"n_posts"`
	NImmature   int          `json:"n_immature"`
	NUnobserved int          `json:"n_unobserved"`
	NNoRate     int          `json:"n_no_rate"` // ratio metrics: posts whose denominator is 0 or missing at the horizon
	Mean        *float64     `json:"mean"`
	Median      *float64     `json:"median"`
	SD          *float64     `json:"sd"`
	GeoMean     OptionalStat `json:"geo_mean,omitzero"` // count metrics
	Rate        OptionalStat `json:"rate,omitzero"`     // ratio metrics
}

// Comparison is one treatment against the control, treatment minus control.
type Comparison struct {
	VariantID    string             `json:"variant_id"`
	Key          string             `json:"key"`
	ControlKey   string             `json:"control_key"`
	Method       string             `json:"method"`      // welch_log | welch_rate | welch_raw | lin_log | lin_rate | lin_raw
	NControl     int                `json:"n_control"`   // the control's posts with a value
	NTreatment   int                `json:"n_treatment"` // the treatment's posts with a value
	NExcluded    int                `json:"n_excluded"`  // posts of accounts that did not post 2 of each variant
	Accounts     []string           `json:"accounts"`    // the paired accounts the comparison is made within
	Estimate     *float64           `json:"estimate"`
	CILow        *float64           `json:"ci_low"`
	CIHigh       *float64           `json:"ci_high"`
	Lift         *float64           `json:"lift"`
	LiftCILow    *float64           `json:"lift_ci_low"`
	LiftCIHigh   *float64           `json:"lift_ci_high"`
	Statistic    *float64           `json:"statistic"`
	DF           *float64           `json:"df"`
	PValue       *float64           `json:"p_value"`
	PAdjusted    *float64           `json:"p_adjusted"`
	ChanceToBeat *float64           `json:"chance_to_beat"`
	ExpectedLoss *float64           `json:"expected_loss"`
	MannWhitney  *MannWhitneyResult `json:"mann_whitney,omitempty"` // count metrics
	Permutation  *PermutationResult `json:"permutation,omitempty"`  // count metrics
	ByAccount    []AccountEstimate  `json:"by_account,omitempty"`   // count metrics, 2+ accounts
	Pooled       *PooledEstimate    `json:"pooled,omitempty"`       // count metrics, 2+ accounts
	Decision     string             `json:"decision"`               // better | worse | inconclusive | not_enough_data
	// DecisionFinal is set once the decision can no longer change: a look crossed, or the last
	// look happened without a crossing.
	DecisionFinal bool `json:"decision_final"`
	// Reasons say why the decision is what it is, e.g. "what-if report".
	Reasons []string `json:"reasons"`
	// Looks are the planned looks that have happened, each on its first posts (SPEC §3.1).
	Looks                  []Look `json:"looks"`
	PlannedPostsPerVariant *int   `json:"planned_posts_per_variant"`
	// Exploratory marks a secondary metric: only the primary metric decides the experiment.
	Exploratory bool   `json:"exploratory"`
	PostsNeeded *int   `json:"posts_needed"` // count metrics
	Summary     string `json:"summary"`
	Reason      string `json:"reason,omitempty"` // why the test could not be run
}

// Decisions a comparison comes to (SPEC §3).
const (
	DecisionBetter        = "better"
	DecisionWorse         = "worse"
	DecisionInconclusive  = "inconclusive"
	DecisionNotEnoughData = "not_enough_data"
)

// MannWhitneyResult is the rank-sum check of a count comparison.
type MannWhitneyResult struct {
	Statistic       *float64 `json:"statistic"`
	PValue          *float64 `json:"p_value"`
	HLShift         *float64 `json:"hl_shift"`
	ProbSuperiority *float64 `json:"prob_superiority"`
	Reason          string   `json:"reason,omitempty"`
}

// PermutationResult is the permutation check of a count comparison.
type PermutationResult struct {
	PValue       *float64 `json:"p_value"`
	Permutations int      `json:"permutations"`
	Reason       string   `json:"reason,omitempty"`
}

// AccountEstimate is the welch_log comparison within one account.
type AccountEstimate struct {
	Account    string   `json:"account"`
	NControl   int      `json:"n_control"`
	NTreatment int      `json:"n_treatment"`
	Estimate   *float64 `json:"estimate"`
	SE         *float64 `json:"se"`
	Reason     string   `json:"reason,omitempty"`
}

// PooledEstimate pools the accounts' estimates by DerSimonian–Laird random effects.
type PooledEstimate struct {
	Estimate *float64 `json:"estimate"`
	SE       *float64 `json:"se"`
	CILow    *float64 `json:"ci_low"`
	CIHigh   *float64 `json:"ci_high"`
	PValue   *float64 `json:"p_value"`
	Tau2     *float64 `json:"tau2"`
	I2       *float64 `json:"i2"`
	Q        *float64 `json:"q"`
	QPValue  *float64 `json:"q_p_value"`
	Lift     *float64 `json:"lift"`
	Reason   string   `json:"reason,omitempty"`
}

// Omnibus asks whether any variant differs from the others.
type Omnibus struct {
	Kruskal    *KruskalResult    `json:"kruskal"`
	WelchANOVA *WelchANOVAResult `json:"welch_anova"`
}

// KruskalResult is kruskal.test over the variants' values.
type KruskalResult struct {
	Statistic *float64 `json:"statistic"`
	DF        *float64 `json:"df"`
	PValue    *float64 `json:"p_value"`
	Reason    string   `json:"reason,omitempty"`
}

// WelchANOVAResult is oneway.test(log1p(y) ~ variant, var.equal = FALSE).
type WelchANOVAResult struct {
	Statistic *float64 `json:"statistic"`
	DF1       *float64 `json:"df1"`
	DF2       *float64 `json:"df2"`
	PValue    *float64 `json:"p_value"`
	Reason    string   `json:"reason,omitempty"`
}

// FactorEffect is one factor's effect from lm(log1p(y) ~ factors + account).
type FactorEffect struct {
	Factor     string        `json:"factor"`
	Reference  string        `json:"reference"` // the control's level
	FStatistic *float64      `json:"f_statistic"`
	DF         *float64      `json:"df"`
	DFResidual *float64      `json:"df_residual"`
	PValue     *float64      `json:"p_value"`
	Levels     []FactorLevel `json:"levels"`
	Reason     string        `json:"reason,omitempty"`
}

// FactorLevel is one level against the reference level, the other factors held fixed.
type FactorLevel struct {
	Level    string   `json:"level"`
	Estimate *float64 `json:"estimate"`
	SE       *float64 `json:"se"`
	PValue   *float64 `json:"p_value"`
	Lift     *float64 `json:"lift"`
}

// Warning says what may make a report misleading, and what to do about it.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Allocation compares the posts logged per variant with the planned weights.
type Allocation struct {
	Counts          map[string]int     `json:"counts"`
	ExpectedWeights map[string]float64 `json:"expected_weights"`
	ChiSquare       *ChiSquareResult   `json:"chisq"`
	Mismatch        bool               `json:"mismatch"`
	Reason          string             `json:"reason,omitempty"`
}

// ChiSquareResult is a chi-square test.
type ChiSquareResult struct {
	Statistic *float64 `json:"statistic"`
	DF        *float64 `json:"df"`
	PValue    *float64 `json:"p_value"`
}

// Recommendation is the variant to go with on the primary metric, and why; VariantKey is nil
// while none can be recommended.
type Recommendation struct {
	VariantKey *string `json:"variant_key"`
	Metric     string  `json:"metric"`
	Reason     string  `json:"reason"`
}

// OptionalStat is a statistic that only some metrics have: absent from the JSON where it does
// not apply (Set false), and null where it applies but cannot be computed.
type OptionalStat struct {
	Set   bool
	Value *float64
}

func (o OptionalStat) IsZero() bool { return !o.Set }

func (o OptionalStat) MarshalJSON() ([]byte, error) { return json.Marshal(o.Value) }

func (o *OptionalStat) UnmarshalJSON(b []byte) error {
	o.Set = true
	return json.Unmarshal(b, &o.Value)
}

// num returns x as a JSON-safe statistic: nil when it is NaN or infinite.
func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// Options are the query of GET /v1/experiments/{id}/report; empty fields take the
// experiment's settings.
type Options struct {
	Metrics    []string // default: the primary metric
	Horizon    string   // hours, e.g. "24" or "6.5", or "latest"
	Alpha      *float64
	Correction string
}

// maxReportMetrics bounds the metrics one report may cover.
const maxReportMetrics = 10

// reportSettings are the options resolved against the experiment.
type reportSettings struct {
	metrics    []metricSpec
	horizon    horizon
	label      string // the horizon as the report shows it
	alpha      float64
	correction string
	whatIf     bool // alpha or correction differ from the experiment's
}

// metricSpec is a metric with what the store must read for it.
type metricSpec struct {
	name, kind             string
	numerator, denominator string // ratio metrics
}

// values are the snapshot values the metric needs: its own, or a ratio's numerator and
// denominator.
func (m metricSpec) values() []string {
	if m.kind == experiments.KindRatio {
		return []string{m.numerator, m.denominator}
	}
	return []string{m.name}
}

// usesEngagements reports whether the metric is made of engagements, whose parts the report
// checks.
func (m metricSpec) usesEngagements() bool {
	return slices.Contains(m.values(), "engagements")
}

// checkValues are what the report reads beside the values, for its warnings: whether a post
// has a snapshot near the horizon at all, and which parts of engagements it has.
func (m metricSpec) checkValues() []string {
	out := []string{experiments.SnapshotPresence}
	if m.usesEngagements() {
		out = append(out, experiments.EngagementParts...)
	}
	return out
}

func resolveReport(e experiments.Experiment, o Options) (reportSettings, error) {
	var f experiments.FieldErrors
	s := reportSettings{alpha: e.Alpha, correction: e.Correction,
		horizon: horizon{experiments.HorizonRule{Age: experiments.HorizonDuration(e.HorizonHours), Tolerance: e.HorizonTolerance}},
		label:   strconv.FormatFloat(e.HorizonHours, 'f', -1, 64)}
	names := o.Metrics
	if len(names) == 0 {
		names = defaultMetrics(e)
	}
	if len(names) > maxReportMetrics {
		f.Add("metric", "at most %d metrics per report", maxReportMetrics)
	}
	for _, name := range names {
		spec, ok := metricSpecFor(name, e.RatioMetrics)
		switch {
		case !ok:
			f.Add("metric", "%q is not a metric postlab knows (views, likes, engagements, engagement_rate, completion_rate, custom.NAME, …)", name)
		case slices.ContainsFunc(s.metrics, func(m metricSpec) bool { return m.name == name }):
		default:
			s.metrics = append(s.metrics, spec)
		}
	}
	switch h := strings.TrimSpace(o.Horizon); {
	case h == "":
	case h == "latest":
		s.horizon.Latest, s.label = true, "latest"
	default:
		hours, err := strconv.ParseFloat(h, 64)
		if err != nil || !(hours > 0 && hours <= 24*366) || experiments.HorizonDuration(hours) <= 0 {
			f.Add("horizon", "must be a number of hours more than 0 and at most 8784, or latest")
		} else {
			s.horizon.Age, s.label = experiments.HorizonDuration(hours), strconv.FormatFloat(hours, 'f', -1, 64)
		}
	}
	if o.Alpha != nil {
		if !(*o.Alpha > 0 && *o.Alpha <= 0.5) {
			f.Add("alpha", "must be more than 0 and at most 0.5")
		}
		s.alpha = *o.Alpha
	}
	if o.Correction != "" {
		if !slices.Contains(experiments.Corrections, o.Correction) {
			f.Add("correction", "must be one of holm, bh, none")
		}
		s.correction = o.Correction
	}
	s.whatIf = s.alpha != e.Alpha || s.correction != e.Correction
	return s, f.Err()
}

// defaultMetrics are the primary metric followed by the secondary ones, as many as a report
// holds.
func defaultMetrics(e experiments.Experiment) []string {
	names := append([]string{e.PrimaryMetric}, e.SecondaryMetrics...)
	return names[:min(len(names), maxReportMetrics)]
}

func metricSpecFor(name string, ratios []experiments.RatioMetric) (metricSpec, bool) {
	kind, ok := experiments.MetricKind(name, ratios)
	if !ok {
		return metricSpec{}, false
	}
	spec := metricSpec{name: name, kind: kind}
	if kind == experiments.KindRatio {
		r, _ := experiments.RatioByName(name, ratios)
		spec.numerator, spec.denominator = r.Numerator, r.Denominator
	}
	return spec, true
}

// Report computes the report of an experiment. The data come from one transaction: the
// experiment, its variants and the snapshots that bracket the horizon; the statistics are
// computed after it ends.
func (s *Service) Report(ctx context.Context, p experiments.Principal, idOrKey string, o Options) (Report, error) {
	var e experiments.Experiment
	var variants []experiments.Variant
	var data experiments.HorizonData
	var settings reportSettings
	var values []string
	var slots []experiments.ScheduledSlot
	err := s.read.Snapshot(ctx, func(tx experiments.Tx) (err error) {
		if e, err = tx.GetExperiment(p.WorkspaceID, idOrKey, false); err != nil {
			return err
		}
		if settings, err = resolveReport(e, o); err != nil {
			return err
		}
		if variants, err = tx.ListVariants(p.WorkspaceID, e.ID); err != nil {
			return err
		}
		values = distinctValues(settings.metrics)
		data, err = tx.HorizonSnapshots(p.WorkspaceID, experiments.HorizonQuery{ExperimentID: e.ID, Values: values,
			Horizon: settings.horizon.Age, Latest: settings.horizon.Latest})
		if err != nil {
			return err
		}
		slots, err = tx.ScheduledSlots(p.WorkspaceID, e.ID, experiments.ScheduleWindow)
		return err
	})
	if err != nil {
		return Report{}, err
	}
	if err := ctx.Err(); err != nil {
		return Report{}, fmt.Errorf("report: %w", err)
	}
	r := buildReport(e, variants, data, values, settings, s.Now())
	if len(slots) > 0 {
		a := planning.Adherence(slots, r.GeneratedAt)
		r.PlanAdherence = &a
	}
	return r, nil
}

// distinctValues lists the snapshot values the metrics need, each once.
func distinctValues(metrics []metricSpec) []string {
	var out []string
	for _, m := range metrics {
		for _, v := range append(m.values(), m.checkValues()...) {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// FreezeReport is the ReportFreezer of concluding: the report with the experiment's own
// settings, as JSON.
func (s *Service) FreezeReport(ctx context.Context, p experiments.Principal, e experiments.Experiment) (json.RawMessage, error) {
	r, err := s.Report(ctx, p, e.ID, Options{Metrics: defaultMetrics(e)})
	if err != nil {
		return nil, err
	}
	return json.Marshal(r)
}
