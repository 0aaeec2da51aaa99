package planning

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"postlab/experiments"
	"postlab/stats"
)

// Defaults of a sample-size plan.
const (
	DefaultPlanPower    = 0.8
	DefaultPlanVariants = 2
	MinBaselinePosts    = 3 // posts with a value that an sd taken from past posts needs
	// MinPostsPerWeek and MaxPostsPerWeek bound the team's posting rate: one post a century is
	// no plan, and the bounds keep the weeks a plan takes far inside an int.
	MinPostsPerWeek = 0.01
	MaxPostsPerWeek = 100000
)

// SampleSizeInput is the body of POST /v1/plan/sample-size.
type SampleSizeInput struct {
	MDE          *float64       `json:"mde"`
	Alpha        *float64       `json:"alpha"`
	Power        *float64       `json:"power"`
	Variants     *int           `json:"variants"`
	Baseline     *BaselineInput `json:"baseline"`
	PostsPerWeek *float64       `json:"posts_per_week"` // the team's rate, all variants together
}

// BaselineInput says how much posts vary: either SD, the sd of log1p of the metric, or an
// experiment (id or key) whose posts' latest values give it, optionally those of one account.
// Metric names what the sd describes; with an experiment it defaults to its primary metric.
type BaselineInput struct {
	SD         *float64 `json:"sd"`
	Experiment string   `json:"experiment"`
	Account    string   `json:"account"`
	Metric     string   `json:"metric"`
}

// SampleSize is how many posts an experiment needs, and how long they take to publish.
type SampleSize struct {
	Method          string   `json:"method"` // "power_gs"
	PostsPerVariant int      `json:"posts_per_variant"`
	NFixed          float64  `json:"n_fixed"`    // posts per variant of one test at alpha/(variants − 1), unrounded
	Inflation       float64  `json:"inflation"`  // what checking at PlanLooks looks costs over one test
	LookPosts       []int    `json:"look_posts"` // posts per variant at each look: ⌈k·P/4⌉
	TotalPosts      int      `json:"total_posts"`
	Weeks           *int     `json:"weeks"` // null without a posting rate
	SD              float64  `json:"sd"`
	SDSource        string   `json:"sd_source"` // "given", or "N posts of account X"
	Metric          *string  `json:"metric"`
	MDE             float64  `json:"mde"`
	Alpha           float64  `json:"alpha"`
	Power           float64  `json:"power"`
	Variants        int      `json:"variants"`
	PostsPerWeek    *float64 `json:"posts_per_week"`
	Summary         string   `json:"summary"`
}

// PlanSampleSize answers how many posts per variant detect a lift of mde with the power asked
// for when the report looks PlanLooks times and compares each treatment with the control
// (power_gs on the log1p scale, SPEC §3.1), from a given sd or from past posts in postlab. It
// writes nothing.
func (s *Service) PlanSampleSize(ctx context.Context, p experiments.Principal, in SampleSizeInput) (SampleSize, error) {
	out, err := sampleSizeSettings(in)
	if err != nil {
		return SampleSize{}, err
	}
	b := *in.Baseline
	if b.SD != nil {
		out.SD, out.SDSource = *b.SD, "given"
	} else {
		err := s.read.Snapshot(ctx, func(tx experiments.Tx) error { return baselineFromPosts(tx, p, b, &out) })
		if err != nil {
			return SampleSize{}, err
		}
	}
	power, err := stats.PowerGS(out.SD, out.MDE, out.Alpha, out.Power, out.Variants-1, PlanLooks)
	if err != nil {
		return SampleSize{}, experiments.Invalid(sizeError(err, out))
	}
	out.Method, out.NFixed, out.Inflation = "power_gs", power.NFixed, power.Inflation
	out.PostsPerVariant = power.N
	out.LookPosts = LookPosts(power.N)
	out.TotalPosts = power.N * out.Variants
	if out.PostsPerWeek != nil {
		// Validation keeps the rate at MinPostsPerWeek or more, so weeks stays far inside an int.
		weeks := int(math.Ceil(float64(out.TotalPosts) / *out.PostsPerWeek))
		out.Weeks = &weeks
	}
	out.Summary = sampleSizeSummary(out)
	return out, nil
}

// sampleSizeSettings checks the input and fills in the defaults.
func sampleSizeSettings(in SampleSizeInput) (SampleSize, error) {
	var f experiments.FieldErrors
	out := SampleSize{Alpha: orDefault(in.Alpha, experiments.DefaultAlpha), Power: orDefault(in.Power, DefaultPlanPower),
		Variants: DefaultPlanVariants, PostsPerWeek: in.PostsPerWeek}
	switch {
	case in.MDE == nil:
		f.Add("mde", "is required: the smallest relative lift worth finding, e.g. 0.2 for 20%%")
	case !(*in.MDE > 0 && *in.MDE <= 100):
		f.Add("mde", "must be a relative lift more than 0 and at most 100 (10,000%%), e.g. 0.2 for 20%%")
	default:
		out.MDE = *in.MDE
	}
	if !(out.Alpha > 0 && out.Alpha <= 0.5) {
		f.Add("alpha", "must be more than 0 and at most 0.5")
	}
	if !(out.Power > 0 && out.Power < 1) {
		f.Add("power", "must be between 0 and 1, e.g. 0.8 for 80%%")
	}
	if in.Variants != nil {
		out.Variants = *in.Variants
	}
	if out.Variants < 2 || out.Variants > 100 {
		f.Add("variants", "must be from 2 to 100 (the control counts as one)")
	}
	if r := in.PostsPerWeek; r != nil && !(*r >= MinPostsPerWeek && *r <= MaxPostsPerWeek) {
		f.Add("posts_per_week", "must be from %g to %g: the posts the team publishes a week, all variants together",
			MinPostsPerWeek, float64(MaxPostsPerWeek))
	}
	checkBaseline(&f, in.Baseline, &out)
	return out, f.Err()
}

func checkBaseline(f *experiments.FieldErrors, b *BaselineInput, out *SampleSize) {
	switch {
	case b == nil:
		f.Add("baseline", "is required: either sd (the sd of log1p of the metric) or an experiment whose posts give it")
		return
	case b.SD != nil && b.Experiment != "":
		f.Add("baseline", "give either sd or experiment, not both")
	case b.SD == nil && b.Experiment == "":
		f.Add("baseline", "give either sd (the sd of log1p of the metric) or an experiment whose posts give it")
	case b.SD != nil && !(*b.SD > 0 && *b.SD <= 100):
		f.Add("baseline.sd", "must be more than 0 and at most 100: the standard deviation of log(1 + value) over past posts")
	}
	if b.Account != "" && b.Experiment == "" {
		f.Add("baseline.account", "narrows the posts of an experiment; name the experiment too")
	}
	if b.Metric != "" {
		if kind, ok := experiments.MetricKind(b.Metric, nil); !ok || kind != experiments.KindCount {
			f.Add("baseline.metric", "must be a count metric (views, likes, engagements, custom.NAME, …)")
		} else {
			out.Metric = &b.Metric
		}
	}
}

// baselineFromPosts takes the sd of log1p from the latest values of the experiment's posts.
func baselineFromPosts(tx experiments.Tx, p experiments.Principal, b BaselineInput, out *SampleSize) error {
	e, err := tx.GetExperiment(p.WorkspaceID, b.Experiment, false)
	if experiments.IsNotFound(err) {
		return experiments.Invalid(experiments.FieldError{Field: "baseline.experiment", Message: fmt.Sprintf("there is no experiment %q in this workspace", b.Experiment)})
	} else if err != nil {
		return err
	}
	metric := b.Metric
	if metric == "" {
		metric = e.PrimaryMetric
		if kind, _ := experiments.MetricKind(metric, e.RatioMetrics); kind != experiments.KindCount {
			return experiments.Invalid(experiments.FieldError{Field: "baseline.metric", Message: fmt.Sprintf("the experiment's primary metric %s is a %s metric; name a count metric such as views", metric, kind)})
		}
		out.Metric = &metric
	}
	values, err := tx.LatestValues(p.WorkspaceID, e.ID, b.Account, metric)
	if err != nil {
		return err
	}
	logs := make([]float64, 0, len(values))
	for _, v := range values {
		if v >= 0 && !math.IsInf(v, 0) {
			logs = append(logs, math.Log1p(v))
		}
	}
	field, source, where := "baseline.experiment", "experiment "+e.Key, ""
	if b.Account != "" {
		field, source, where = "baseline.account", "account "+b.Account, " in experiment "+e.Key
	}
	if len(logs) < MinBaselinePosts {
		return experiments.Invalid(experiments.FieldError{Field: field, Message: fmt.Sprintf("%s has %d posts with a %s value%s; at least %d are needed to tell how much posts vary",
			source, len(logs), planMetricName(metric), where, MinBaselinePosts)})
	}
	out.SD = stats.Describe(logs).SD
	if !(out.SD > 0) {
		return experiments.Invalid(experiments.FieldError{Field: field, Message: fmt.Sprintf("the %d posts of %s%s all have the same %s; their spread cannot size an experiment",
			len(logs), source, where, planMetricName(metric))})
	}
	out.SDSource = fmt.Sprintf("%d posts of %s", len(logs), source)
	return nil
}

// planReason is the plain-language reason stats gives, or a generic one.
func planReason(err error) string {
	var e stats.InsufficientDataError
	if errors.As(err, &e) {
		return e.Reason
	}
	return "cannot size the experiment with these numbers"
}

// sizeError names the field at fault when PowerGS cannot size a plan: a given sd so small that
// the lift measured in sds overflows (the mde is then not to blame); the mde (a lift too small
// or too large to compute with, or needing too many posts); or else alpha, when
// alpha/(variants − 1) is too small to be spread over the looks.
func sizeError(err error, out SampleSize) experiments.FieldError {
	alpha, variants := out.Alpha, out.Variants
	var e stats.InsufficientDataError
	if errors.As(err, &e) {
		if out.SDSource == "given" && math.IsInf(math.Log1p(out.MDE)/out.SD, 0) {
			return experiments.FieldError{Field: "baseline.sd", Message: fmt.Sprintf(
				"%s is too small to compute with: the lift would be infinitely many sds; the sd of log(1 + value) over posts is rarely below 0.1",
				strconv.FormatFloat(out.SD, 'g', -1, 64))}
		}
		return experiments.FieldError{Field: "mde", Message: e.Reason}
	}
	return experiments.FieldError{Field: "alpha", Message: fmt.Sprintf(
		"alpha %s shared by %d comparisons with the control is too small to spread over %d looks; use a larger alpha or fewer variants",
		strconv.FormatFloat(alpha, 'g', -1, 64), variants-1, PlanLooks)}
}

// LookPosts lists the posts per variant at which the report looks, for a plan of p: look k
// of PlanLooks at ⌈k·p/PlanLooks⌉ (SPEC §3.1).
func LookPosts(p int) []int {
	out := make([]int, PlanLooks)
	for k := range out {
		out[k] = ((k+1)*p + PlanLooks - 1) / PlanLooks
	}
	return out
}

// sampleSizeSummary reads the plan as a sentence for a comms team: "To detect a 20% lift in
// views with 80% power you need 765 posts per variant (1,530 in all), about 26 weeks at 60
// posts a week."
func sampleSizeSummary(s SampleSize) string {
	var b strings.Builder
	b.WriteString("To detect a " + planPercent(s.MDE) + " lift")
	if s.Metric != nil {
		b.WriteString(" in " + planMetricName(*s.Metric))
	}
	fmt.Fprintf(&b, " with %s power you need %s posts per variant (%s in all", planPercent(s.Power),
		planThousands(s.PostsPerVariant), planThousands(s.TotalPosts))
	if s.Variants != 2 {
		fmt.Fprintf(&b, ", across %d variants", s.Variants)
	}
	b.WriteString(")")
	if s.Weeks != nil {
		unit := "weeks"
		if *s.Weeks == 1 {
			unit = "week"
		}
		fmt.Fprintf(&b, ", about %s %s at %s posts a week", planThousands(*s.Weeks), unit, planDecimal(*s.PostsPerWeek, 2))
	}
	b.WriteString(".")
	b.WriteString(looksText(s.LookPosts))
	return b.String()
}

// looksText says when the report checks: " The report checks at 146, 292, 438 and 584 posts
// per variant; a clear result at an earlier check ends the experiment sooner." Looks of fewer
// than 3 posts per variant do not happen (SPEC §3.1).
func looksText(looks []int) string {
	var at []string
	for _, n := range looks {
		if s := planThousands(n); n >= 3 && !slices.Contains(at, s) {
			at = append(at, s)
		}
	}
	switch len(at) {
	case 0:
		return ""
	case 1:
		return " The report decides at " + at[0] + " posts per variant."
	}
	return " The report checks at " + strings.Join(at[:len(at)-1], ", ") + " and " + at[len(at)-1] +
		" posts per variant; a clear result at an earlier check ends the experiment sooner."
}

// planPercent writes a share as a percentage with at most one decimal: 0.2 → "20%".
func planPercent(x float64) string {
	return planDecimal(x*100, 1) + "%"
}

// planPlainLimit is the magnitude from which planDecimal writes a number in scientific form,
// so that neither its work nor its output grows with the size of the number.
const planPlainLimit = 1e9

// planDecimal writes x with at most decimals decimals and no trailing zeros: 7.5, 60, 0.01.
// Numbers too large for plain digits, and NaN or ±Inf (which validation keeps out), are
// written with three significant digits instead (1.23e+12), so the text stays short.
func planDecimal(x float64, decimals int) string {
	if !(math.Abs(x) < planPlainLimit) {
		return strconv.FormatFloat(x, 'g', 3, 64)
	}
	scale := math.Pow10(decimals)
	r := math.Round(x*scale) / scale
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// planThousands writes n with comma thousands separators: 1530 → "1,530". It works on the
// magnitude as a uint64, so the most negative int is written like any other.
func planThousands(n int) string {
	sign, u := "", uint64(n)
	if n < 0 {
		sign, u = "-", -u
	}
	s := strconv.FormatUint(u, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return sign + s
}

// planMetricName names a metric in a sentence: "views", "followers gained", "clicks".
func planMetricName(metric string) string {
	return strings.ReplaceAll(strings.TrimPrefix(metric, "custom."), "_", " ")
}

// Schedule is a posting plan with its balance table.
type Schedule struct {
	ExperimentID  string                     `json:"experiment_id"`
	ExperimentKey string                     `json:"experiment_key"`
	Seed          int64                      `json:"seed"`
	Slots         []experiments.ScheduleSlot `json:"slots"`
	Balance       map[string]VariantBalance  `json:"balance"`
}

// StoredSchedule is the stored plan of an experiment, checked against the posts logged.
type StoredSchedule struct {
	ExperimentID  string                      `json:"experiment_id"`
	ExperimentKey string                      `json:"experiment_key"`
	Slots         []experiments.ScheduledSlot `json:"slots"`
	Balance       map[string]VariantBalance   `json:"balance"`
	Adherence     ScheduleAdherence           `json:"adherence"`
}

// ScheduleAdherence says how well the plan has been followed so far.
type ScheduleAdherence struct {
	Slots        int      `json:"slots"`
	Due          int      `json:"due"`           // slots whose window has passed
	OnTime       int      `json:"on_time"`       // due slots with a post of their variant within the window
	Missed       int      `json:"missed"`        // due slots without one
	WrongVariant int      `json:"wrong_variant"` // due slots where the account posted another variant instead
	OnTimeShare  *float64 `json:"on_time_share"` // on_time / due; null while nothing is due
	Summary      string   `json:"summary"`
}

// PlanSchedule makes a posting plan for the experiment (see BuildSchedule) and stores it in
// place of any earlier one.
func (s *Service) PlanSchedule(ctx context.Context, p experiments.Principal, experiment string, in ScheduleInput) (Schedule, error) {
	r, err := in.Request()
	if err != nil {
		return Schedule{}, err
	}
	var out Schedule
	err = s.read.Tx(ctx, func(tx experiments.Tx) error {
		e, err := tx.GetExperiment(p.WorkspaceID, experiment, true)
		if err != nil {
			return err
		}
		if !e.Status.Allows(experiments.ActivityPlan) {
			return experiments.Errorf(experiments.ECONFLICT, "the experiment is %s: a posting plan is for an experiment still to run", e.Status)
		}
		vs, err := tx.ListVariants(p.WorkspaceID, e.ID)
		if err != nil {
			return err
		}
		slots, err := BuildSchedule(e, vs, r)
		if err != nil {
			return err
		}
		out = Schedule{ExperimentID: e.ID, ExperimentKey: e.Key, Seed: r.Seed, Slots: slots, Balance: ScheduleBalance(slots, vs)}
		return tx.ReplaceSchedule(p.WorkspaceID, e.ID, slots)
	})
	return out, err
}

// StoredSchedule reads the experiment's stored plan and checks each slot against the posts
// logged: on time when a post of its account and variant was logged within ScheduleWindow.
func (s *Service) StoredSchedule(ctx context.Context, p experiments.Principal, experiment string) (StoredSchedule, error) {
	var out StoredSchedule
	err := s.read.Snapshot(ctx, func(tx experiments.Tx) error {
		e, err := tx.GetExperiment(p.WorkspaceID, experiment, false)
		if err != nil {
			return err
		}
		slots, err := tx.ScheduledSlots(p.WorkspaceID, e.ID, experiments.ScheduleWindow)
		if err != nil {
			return err
		}
		if len(slots) == 0 {
			return experiments.Errorf(experiments.ENOTFOUND, "the experiment has no posting plan yet; POST one to /v1/experiments/%s/schedule", e.Key)
		}
		vs, err := tx.ListVariants(p.WorkspaceID, e.ID)
		if err != nil {
			return err
		}
		plain := make([]experiments.ScheduleSlot, len(slots))
		for i := range slots {
			plain[i] = slots[i].ScheduleSlot
		}
		out = StoredSchedule{ExperimentID: e.ID, ExperimentKey: e.Key, Slots: slots,
			Balance: ScheduleBalance(plain, vs), Adherence: Adherence(slots, s.Now())}
		return nil
	})
	return out, err
}

// Adherence says how well a stored plan has been followed by now: the due slots on time,
// missed, and taken by another variant.
func Adherence(slots []experiments.ScheduledSlot, now time.Time) ScheduleAdherence {
	a := ScheduleAdherence{Slots: len(slots)}
	for _, sl := range slots {
		if !sl.PlannedAt.Add(experiments.ScheduleWindow).Before(now) {
			continue
		}
		a.Due++
		switch {
		case sl.OnTime:
			a.OnTime++
		case sl.WrongVariant:
			a.Missed++
			a.WrongVariant++
		default:
			a.Missed++
		}
	}
	if a.Due == 0 {
		a.Summary = fmt.Sprintf("None of the plan's %s is due yet.", pluralPosts(a.Slots))
		return a
	}
	share := float64(a.OnTime) / float64(a.Due)
	a.OnTimeShare = &share
	a.Summary = fmt.Sprintf("%d of the %s due so far went out on time with the planned variant (%s)", a.OnTime,
		pluralPosts(a.Due), planPercent(share))
	if a.WrongVariant > 0 {
		a.Summary += fmt.Sprintf("; %d went out with another variant", a.WrongVariant)
	}
	a.Summary += "."
	return a
}

func pluralPosts(n int) string {
	if n == 1 {
		return "1 planned post"
	}
	return planThousands(n) + " planned posts"
}

func orDefault(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}
