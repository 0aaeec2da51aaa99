package experiments

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
)

var clockRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// ValidClock reports whether s is a local time of day HH:MM.
func ValidClock(s string) bool { return clockRE.MatchString(s) }

// PlannedShares are the variants' planned shares of the posts, adding up to 1: a variant
// without a weight (0) takes 1/k, and then the weights are scaled to add up to 1. The weights
// are divided by the largest before they are added, so that weights near the largest float
// (which validation lets through) cannot add up to +Inf and leave every share 0.
func PlannedShares(variants []Variant) []float64 {
	w := make([]float64, len(variants))
	largest := 0.0
	for i, v := range variants {
		w[i] = v.Weight
		if !(w[i] > 0) || math.IsInf(w[i], 0) {
			w[i] = 1 / float64(len(variants))
		}
		largest = max(largest, w[i])
	}
	total := 0.0
	for i := range w {
		w[i] /= largest
		total += w[i]
	}
	for i := range w {
		w[i] /= total
	}
	return w
}

// ValidZone reports whether name is an IANA time zone. "Local" (which Go loads as the zone of
// the machine that runs postlab) and "" (UTC to Go) are not: a post's or a variant's time must
// mean the same wherever the service runs.
func ValidZone(name string) bool {
	if name == "" || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// VariantInput is the body of POST /v1/experiments/{id}/variants (SPEC §5).
type VariantInput struct {
	Key       string            `json:"key"`
	Name      string            `json:"name"`
	IsControl bool              `json:"is_control"`
	Levels    map[string]string `json:"levels"`
	Weight    *float64          `json:"weight"`
	Hashtags  []string          `json:"hashtags"`
	Format    string            `json:"format"`
	PostTime  *PostTime         `json:"post_time"`
}

// VariantPatch is the body of PATCH …/variants/{variant_id}: only the fields sent change.
type VariantPatch struct {
	Key       *string            `json:"key"`
	Name      *string            `json:"name"`
	IsControl *bool              `json:"is_control"`
	Levels    *map[string]string `json:"levels"`
	Weight    *float64           `json:"weight"`
	Hashtags  *[]string          `json:"hashtags"`
	Format    *string            `json:"format"`
	PostTime  *PostTime          `json:"post_time"`
}

func validateVariant(v Variant, factors []string) error {
	var f FieldErrors
	if !keyRE.MatchString(v.Key) {
		f.Add("key", "must be 1 to 80 lowercase letters, digits, '-' or '_', starting with a letter or digit")
	}
	if v.Name == "" || tooLong(v.Name, 200) {
		f.Add("name", "must be 1 to 200 characters")
	}
	for factor, level := range v.Levels {
		if !slices.Contains(factors, factor) {
			f.Add("levels."+factor, "the experiment has no factor %q (its factors: %s)", factor, strings.Join(factors, ", "))
		} else if strings.TrimSpace(level) == "" || tooLong(level, 200) {
			f.Add("levels."+factor, "must be 1 to 200 characters")
		}
	}
	if v.Weight < 0 || math.IsInf(v.Weight, 0) || math.IsNaN(v.Weight) {
		f.Add("weight", "must be 0 or more (0 means an equal share)")
	}
	for i, h := range v.Hashtags {
		if strings.TrimSpace(strings.TrimPrefix(h, "#")) == "" || strings.ContainsAny(h, " \t\n") {
			f.Add(fmt.Sprintf("hashtags[%d]", i), "must be one hashtag without spaces")
		}
	}
	if v.Format != "" && !slices.Contains(Formats, v.Format) {
		f.Add("format", "must be one of %s", strings.Join(Formats, ", "))
	}
	if pt := v.PostTime; pt != nil {
		if !ValidClock(pt.Start) {
			f.Add("post_time.start", "must be a local time HH:MM")
		}
		if pt.End != "" && !ValidClock(pt.End) {
			f.Add("post_time.end", "must be a local time HH:MM")
		}
		if !ValidZone(pt.Timezone) {
			f.Add("post_time.timezone", "must be an IANA time zone such as Europe/Zurich")
		}
	}
	return f.Err()
}

// draftExperiment loads and locks the experiment, and refuses unless it is a draft.
func draftExperiment(tx Tx, p Principal, idOrKey string) (Experiment, error) {
	e, err := tx.GetExperiment(p.WorkspaceID, idOrKey, true)
	if err != nil {
		return Experiment{}, err
	}
	if !e.Status.Allows(ActivityDesign) {
		return Experiment{}, Errorf(ECONFLICT, "variants can change only while the experiment is draft; it is %s", e.Status)
	}
	return e, nil
}

// CreateVariant adds a variant to a draft experiment.
func (s *Service) CreateVariant(ctx context.Context, p Principal, experiment string, in VariantInput) (Variant, error) {
	v := Variant{ID: NewID(), WorkspaceID: p.WorkspaceID, Key: in.Key, Name: strings.TrimSpace(in.Name),
		IsControl: in.IsControl, Levels: in.Levels, Weight: orDefault(in.Weight, 0),
		Hashtags: orEmpty(in.Hashtags), Format: in.Format, PostTime: in.PostTime, CreatedAt: s.Now()}
	if v.Levels == nil {
		v.Levels = map[string]string{}
	}
	err := s.tx(ctx, func(tx Tx) error {
		e, err := draftExperiment(tx, p, experiment)
		if err != nil {
			return err
		}
		v.ExperimentID = e.ID
		if err := validateVariant(v, e.Factors); err != nil {
			return err
		}
		return tx.InsertVariant(v)
	})
	return v, err
}

// ListVariants lists an experiment's variants in creation order.
func (s *Service) ListVariants(ctx context.Context, p Principal, experiment string) ([]Variant, error) {
	var vs []Variant
	err := s.tx(ctx, func(tx Tx) error {
		e, err := tx.GetExperiment(p.WorkspaceID, experiment, false)
		if err != nil {
			return err
		}
		vs, err = tx.ListVariants(p.WorkspaceID, e.ID)
		return err
	})
	return vs, err
}

// PatchVariant changes a variant of a draft experiment. Making it the control takes the role
// from the variant that had it, in the same transaction.
func (s *Service) PatchVariant(ctx context.Context, p Principal, experiment, variant string, patch VariantPatch) (Variant, error) {
	var v Variant
	err := s.tx(ctx, func(tx Tx) error {
		e, err := draftExperiment(tx, p, experiment)
		if err != nil {
			return err
		}
		if v, err = tx.GetVariant(p.WorkspaceID, e.ID, variant); err != nil {
			return err
		}
		wasControl := v.IsControl
		applyVariantPatch(&v, patch)
		if err := validateVariant(v, e.Factors); err != nil {
			return err
		}
		if v.IsControl && !wasControl {
			if err := demoteControl(tx, e); err != nil {
				return err
			}
		}
		return tx.UpdateVariant(v)
	})
	return v, err
}

func applyVariantPatch(v *Variant, p VariantPatch) {
	setIf(&v.Key, p.Key)
	if p.Name != nil {
		v.Name = strings.TrimSpace(*p.Name)
	}
	setIf(&v.IsControl, p.IsControl)
	if p.Levels != nil {
		v.Levels = *p.Levels
		if v.Levels == nil {
			v.Levels = map[string]string{}
		}
	}
	setIf(&v.Weight, p.Weight)
	if p.Hashtags != nil {
		v.Hashtags = orEmpty(*p.Hashtags)
	}
	setIf(&v.Format, p.Format)
	if p.PostTime != nil {
		v.PostTime = p.PostTime
	}
}

func demoteControl(tx Tx, e Experiment) error {
	vs, err := tx.ListVariants(e.WorkspaceID, e.ID)
	if err != nil {
		return err
	}
	for _, other := range vs {
		if other.IsControl {
			other.IsControl = false
			if err := tx.UpdateVariant(other); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteVariant removes a variant of a draft experiment that has no posts.
func (s *Service) DeleteVariant(ctx context.Context, p Principal, experiment, variant string) error {
	return s.tx(ctx, func(tx Tx) error {
		e, err := draftExperiment(tx, p, experiment)
		if err != nil {
			return err
		}
		v, err := tx.GetVariant(p.WorkspaceID, e.ID, variant)
		if err != nil {
			return err
		}
		return tx.DeleteVariant(p.WorkspaceID, v.ID)
	})
}
