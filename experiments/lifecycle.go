package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Action is a lifecycle step of an experiment.
type Action string

const (
	ActionStart    Action = "start"
	ActionPause    Action = "pause"
	ActionResume   Action = "resume"
	ActionConclude Action = "conclude"
	ActionArchive  Action = "archive"
)

// transitions says, for each action, the statuses it may start from and where it leads
// (SPEC §1: draft → running → concluded → archived; running ⇄ paused).
var transitions = map[Action]struct {
	from []Status
	to   Status
}{
	ActionStart:    {[]Status{StatusDraft}, StatusRunning},
	ActionPause:    {[]Status{StatusRunning}, StatusPaused},
	ActionResume:   {[]Status{StatusPaused}, StatusRunning},
	ActionConclude: {[]Status{StatusRunning, StatusPaused}, StatusConcluded},
	ActionArchive:  {[]Status{StatusConcluded}, StatusArchived},
}

// Activity is something done to an experiment that its status may forbid.
type Activity string

const (
	ActivityDesign   Activity = "design"    // change the variants, the factors and the platform
	ActivityLogPosts Activity = "log_posts" // log new posts one by one
	ActivityChange   Activity = "change"    // change the experiment, its posts and snapshots; import
	ActivityPlan     Activity = "plan"      // plan posts: a posting schedule, the next variant to post
	// change what the verdicts rest on: the primary metric, horizon, alpha, correction, mde and
	// the plan (SPEC §3.1: frozen at start)
	ActivityVerdictSettings Activity = "verdict_settings"
)

// statusRules says, for each activity, the statuses that allow it (SPEC §1: variants and
// factors change only in draft; posts are logged in draft, running and paused; snapshots until
// archived; an archived experiment does not change; a plan is for an experiment still to run;
// SPEC §3.1: the settings the verdicts rest on are frozen at start).
var statusRules = map[Activity][]Status{
	ActivityDesign:          {StatusDraft},
	ActivityVerdictSettings: {StatusDraft},
	ActivityLogPosts:        {StatusDraft, StatusRunning, StatusPaused},
	ActivityChange:          {StatusDraft, StatusRunning, StatusPaused, StatusConcluded},
	ActivityPlan:            {StatusDraft, StatusRunning, StatusPaused},
}

// Allows reports whether an experiment in status s may undergo a.
func (s Status) Allows(a Activity) bool { return slices.Contains(statusRules[a], s) }

// ConcludeInput is the body of POST /v1/experiments/{id}/conclude.
type ConcludeInput struct {
	Result           string `json:"result"`
	WinnerVariantKey string `json:"winner_variant_key"`
	Summary          string `json:"summary"`
	Learning         string `json:"learning"`
}

// ReportFreezer computes the report that concluding an experiment freezes.
type ReportFreezer func(ctx context.Context, p Principal, e Experiment) (json.RawMessage, error)

// Transition applies a lifecycle action. Conclude needs in (the result) and freezes the report
// made by the service's freezer, when it has one.
func (s *Service) Transition(ctx context.Context, p Principal, idOrKey string, action Action, in *ConcludeInput) (Experiment, error) {
	rule, ok := transitions[action]
	if !ok {
		return Experiment{}, Errorf(ENOTFOUND, "no such action %q", action)
	}
	var frozen json.RawMessage
	if action == ActionConclude && s.freeze != nil {
		e, err := s.GetExperiment(ctx, p, idOrKey)
		if err != nil {
			return Experiment{}, err
		}
		if frozen, err = s.freeze(ctx, p, e); err != nil {
			return Experiment{}, fmt.Errorf("freeze report: %w", err)
		}
	}
	var e Experiment
	err := s.tx(ctx, func(tx Tx) (err error) {
		e, err = tx.GetExperiment(p.WorkspaceID, idOrKey, true)
		if err != nil {
			return err
		}
		if !slices.Contains(rule.from, e.Status) {
			return Errorf(ECONFLICT, "cannot %s an experiment that is %s: %s needs %s", action, e.Status, action, joinStatuses(rule.from))
		}
		now := s.Now()
		switch action {
		case ActionStart:
			variants, err := checkReadyToStart(tx, e)
			if err != nil {
				return err
			}
			if err := s.fillPlan(tx, &e, variants, now); err != nil {
				return err
			}
			e.StartedAt = &now
		case ActionConclude:
			c, err := conclusion(tx, e, in)
			if err != nil {
				return err
			}
			c.Report = frozen
			e.Decision = &c
			e.ConcludedAt = &now
		}
		e.Status = rule.to
		e.Version++
		e.UpdatedAt = now
		return tx.UpdateExperiment(e)
	})
	return e, err
}

func joinStatuses(ss []Status) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " or ")
}

// checkReadyToStart: two or more variants, exactly one control, a level of every factor. It
// returns the number of variants.
func checkReadyToStart(tx Tx, e Experiment) (int, error) {
	vs, err := tx.ListVariants(e.WorkspaceID, e.ID)
	if err != nil {
		return 0, err
	}
	if len(vs) < 2 {
		return 0, Errorf(ECONFLICT, "cannot start: an experiment needs at least 2 variants, it has %d", len(vs))
	}
	controls := 0
	for _, v := range vs {
		if v.IsControl {
			controls++
		}
		for _, factor := range e.Factors {
			if v.Levels[factor] == "" {
				return 0, Errorf(ECONFLICT, "cannot start: variant %q has no level for factor %q", v.Key, factor)
			}
		}
	}
	if controls != 1 {
		return 0, Errorf(ECONFLICT, "cannot start: exactly one variant must be the control, %d are", controls)
	}
	return len(vs), nil
}

// fillPlan sizes the plan of an experiment that starts without one (SPEC §3.1). A plan the
// team set is kept as it is.
func (s *Service) fillPlan(tx Tx, e *Experiment, variants int, at time.Time) error {
	if e.PlannedPostsPerVariant != nil || s.sizer == nil {
		return nil
	}
	n, err := s.sizer.PlannedPostsPerVariant(tx, *e, variants, at)
	if err != nil {
		return fmt.Errorf("size the plan of experiment %s: %w", e.ID, err)
	}
	e.PlannedPostsPerVariant = &n
	return nil
}

func conclusion(tx Tx, e Experiment, in *ConcludeInput) (Conclusion, error) {
	if in == nil {
		in = &ConcludeInput{}
	}
	var f FieldErrors
	if !slices.Contains(Results, in.Result) {
		f.Add("result", "must be one of won, lost, inconclusive, invalid")
	}
	if in.Result == "won" && in.WinnerVariantKey == "" {
		f.Add("winner_variant_key", "is required when the result is won")
	}
	if len(in.Summary) > 5000 || len(in.Learning) > 5000 {
		f.Add("summary", "summary and learning must be at most 5000 characters each")
	}
	if err := f.Err(); err != nil {
		return Conclusion{}, err
	}
	if in.WinnerVariantKey != "" {
		if _, err := tx.GetVariant(e.WorkspaceID, e.ID, in.WinnerVariantKey); IsNotFound(err) {
			return Conclusion{}, Invalid(FieldError{"winner_variant_key", fmt.Sprintf("the experiment has no variant %q", in.WinnerVariantKey)})
		} else if err != nil {
			return Conclusion{}, err
		}
	}
	return Conclusion{Result: in.Result, WinnerVariantKey: in.WinnerVariantKey, Summary: in.Summary, Learning: in.Learning}, nil
}
