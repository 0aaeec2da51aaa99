package report

import (
	"math"
	"time"

	"postlab/experiments"
)

// horizon is how the report compares posts: at one age, or each at its latest snapshot.
type horizon struct {
	latest    bool
	age       time.Duration // H, cut to the microsecond
	tolerance float64       // the nearest snapshot counts when within tolerance × H of H
}

// valueAt applies SPEC §1's horizon rule to one post's bracket: linear interpolation between
// the last snapshot at or before H and the first at or after it (a snapshot at exactly H is
// taken as it is); else the one snapshot on one side, when its age is within tolerance × H of H.
// Under horizon=latest it is the latest snapshot. ok is false when the post is left out.
func (h horizon) valueAt(b experiments.Bracket, postedAt time.Time) (float64, bool) {
	if h.latest {
		return b.Before.Value, b.Before.Found
	}
	before, after := b.Before, b.After
	ageBefore := before.ObservedAt.Sub(postedAt)
	ageAfter := after.ObservedAt.Sub(postedAt)
	switch {
	case before.Found && after.Found:
		if ageBefore == h.age || ageAfter == ageBefore {
			return before.Value, true
		}
		if ageAfter == h.age {
			return after.Value, true
		}
		w := float64(h.age-ageBefore) / float64(ageAfter-ageBefore)
		return before.Value + w*(after.Value-before.Value), true
	case before.Found && h.near(ageBefore):
		return before.Value, true
	case after.Found && h.near(ageAfter):
		return after.Value, true
	}
	return 0, false
}

// has reports whether the bracket gives the post a value at the horizon.
func (h horizon) has(b experiments.Bracket, postedAt time.Time) bool {
	_, ok := h.valueAt(b, postedAt)
	return ok
}

// near reports whether a snapshot of that age is within tolerance × H of H.
func (h horizon) near(age time.Duration) bool {
	d := float64(age - h.age)
	return math.Abs(d) <= h.tolerance*float64(h.age)
}

// immature reports whether a post left out by the horizon rule is younger than H at the time
// of the report; the others are unobserved (old enough, but no snapshot near H).
func (h horizon) immature(postedAt, now time.Time) bool {
	return !h.latest && now.Sub(postedAt) < h.age
}
