package experiments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Nullable is a PATCH field that may be set to null: Set says the field was sent, and Value
// is nil when it was sent as null.
type Nullable[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON is called only for a field present in the body, null included.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		n.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.Value = &v
	return nil
}

// frozenChanges refuses a change, once the experiment has started, to what its verdicts rest
// on (SPEC §3.1): the primary metric (with its definition, when it is a custom ratio), the
// horizon, alpha, the correction, the mde and the plan. The looks' boundaries and the plan
// were fixed from these at start; changing them afterwards would let a team pick the settings
// that make a verdict. Sending a frozen field with its current value changes nothing and is
// allowed.
func frozenChanges(before, after Experiment) error {
	var f FieldErrors
	frozen := func(field string, changed bool) {
		if changed {
			f.Add(field, "is frozen since the experiment started; it is %s", before.Status)
		}
	}
	frozen("primary_metric", before.PrimaryMetric != after.PrimaryMetric)
	frozen("horizon_hours", before.HorizonHours != after.HorizonHours)
	frozen("alpha", before.Alpha != after.Alpha)
	frozen("correction", before.Correction != after.Correction)
	frozen("mde", before.MDE != after.MDE)
	frozen("planned_posts_per_variant", !sameInt(before.PlannedPostsPerVariant, after.PlannedPostsPerVariant))
	if old, ok := RatioByName(before.PrimaryMetric, before.RatioMetrics); ok {
		now, _ := RatioByName(before.PrimaryMetric, after.RatioMetrics)
		frozen("ratio_metrics", old != now)
	}
	if len(f) == 0 {
		return nil
	}
	names := make([]string, len(f))
	for i, fe := range f {
		names[i] = fe.Field
	}
	return &Error{Code: ECONFLICT, Fields: f, Message: fmt.Sprintf(
		"%s cannot change once the experiment has started (it is %s): the verdicts rest on the settings frozen at start; start a new experiment to change them",
		strings.Join(names, ", "), before.Status)}
}

func sameInt(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// PlanSizer fills in the plan of an experiment that starts without one (SPEC §3.1).
type PlanSizer interface {
	// PlannedPostsPerVariant sizes e, which starts at `at` with `variants` variants, from
	// the workspace's posts before then, read through tx.
	PlannedPostsPerVariant(tx Tx, e Experiment, variants int, at time.Time) (int, error)
}
