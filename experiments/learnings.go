package experiments

import (
	"context"
	"slices"
	"strings"
	"time"
)

// LearningFilter narrows a search of past conclusions; empty fields match everything.
type LearningFilter struct {
	Query    string // a case-insensitive substring of the name, hypothesis, summary or learning
	Platform string
	Factor   string // a factor the experiment varied
	Level    string // a level of any variant (of Factor, when Factor is set), case-insensitive
	Account  string // an account that published one of the experiment's posts, case-insensitive
	Page     Page   // Page.After is a Learning's Position
}

// Learning is what one concluded (or archived) experiment taught: its conclusion, and the
// factors and winning levels it was about.
type Learning struct {
	ExperimentID     string            `json:"experiment_id"`
	Key              string            `json:"key"`
	Name             string            `json:"name"`
	Hypothesis       string            `json:"hypothesis"`
	Platform         string            `json:"platform"`
	Status           Status            `json:"status"`
	ConcludedAt      time.Time         `json:"concluded_at"`
	Result           string            `json:"result"`
	WinnerVariantKey *string           `json:"winner_variant_key"`
	Summary          string            `json:"summary"`
	Learning         string            `json:"learning"`
	Factors          []string          `json:"factors"`
	WinnerLevels     map[string]string `json:"winner_levels"` // empty when there is no winner
}

// Position is where a list of learnings, newest conclusion first, stands after l.
func (l Learning) Position() string {
	return l.ConcludedAt.UTC().Format(time.RFC3339Nano) + "|" + l.ExperimentID
}

// ParseLearningPosition reads a Position back.
func ParseLearningPosition(pos string) (concludedAt time.Time, experimentID string, err error) {
	at, id, ok := strings.Cut(pos, "|")
	if t, perr := time.Parse(time.RFC3339Nano, at); ok && perr == nil && id != "" {
		return t, id, nil
	}
	return time.Time{}, "", Invalid(FieldError{Field: "cursor", Message: "is not a valid position in the list"})
}

// maxLearningFilter bounds each filter's length: they are search terms, not documents.
const maxLearningFilter = 200

// SearchLearnings searches the conclusions of the workspace's concluded and archived
// experiments.
func (s *Service) SearchLearnings(ctx context.Context, p Principal, f LearningFilter) ([]Learning, error) {
	f.Query = strings.TrimSpace(f.Query)
	f.Factor, f.Level, f.Account = strings.TrimSpace(f.Factor), strings.TrimSpace(f.Level), strings.TrimSpace(f.Account)
	var fe FieldErrors
	if f.Platform != "" && !slices.Contains(Platforms, f.Platform) {
		fe.Add("platform", "must be one of %s", strings.Join(Platforms, ", "))
	}
	for _, v := range []struct{ field, value string }{{"q", f.Query}, {"factor", f.Factor}, {"level", f.Level}, {"account", f.Account}} {
		if len(v.value) > maxLearningFilter {
			fe.Add(v.field, "must be at most %d characters", maxLearningFilter)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var list []Learning
	err := s.tx(ctx, func(tx Tx) (err error) {
		list, err = tx.SearchLearnings(p.WorkspaceID, f)
		return err
	})
	return list, err
}
