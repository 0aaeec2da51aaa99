package experiments

import (
	"math"
	"time"
)

// HorizonQuery asks the store for what decides each post's value at the horizon (SPEC §1):
// for every value named, the last snapshot at or before the horizon where that value is known
// and the first one at or after it. Only those snapshots matter, so only they are read.
type HorizonQuery struct {
	ExperimentID string
	// Values are count or mean metrics, engagements or custom.NAME; a ratio metric asks for
	// its numerator and its denominator.
	Values []string
	// Horizon is the post age compared, cut to the microsecond; ignored when Latest.
	Horizon time.Duration
	// Latest asks instead for each post's latest snapshot where the value is known.
	Latest bool
}

// HorizonPost is a post as the report sees it.
type HorizonPost struct {
	ID            string
	VariantID     string
	Account       string
	PostedAt      time.Time // in the offset it was logged with
	Timezone      string
	LoggedInDraft bool
}

// Reading is one snapshot's value of one metric; Found is false when there is no such
// snapshot.
type Reading struct {
	Found      bool
	ObservedAt time.Time
	Value      float64
}

// Bracket is what the horizon rule needs of one post and one value: the last snapshot at or
// before the horizon (under horizon=latest, the latest snapshot) and the first one at or after
// it (unused under horizon=latest).
type Bracket struct {
	Before, After Reading
}

// HorizonData answers a HorizonQuery: every post of the experiment, and for post i and value k
// of the query, Brackets[i*len(Values)+k].
type HorizonData struct {
	Posts    []HorizonPost
	Brackets []Bracket
}

// Bracket returns post i's bracket for value k of nValues.
func (d HorizonData) Bracket(i, k, nValues int) Bracket { return d.Brackets[i*nValues+k] }

// horizon is how the report compares posts: at one age, or each at its latest snapshot.
type horizon struct {
	latest    bool
	age       time.Duration // H, cut to the microsecond
	tolerance float64       // the nearest snapshot counts when within tolerance × H of H
}

// HorizonDuration turns hours into the horizon the store compares ages with, cut to the
// microsecond both databases keep.
func HorizonDuration(hours float64) time.Duration {
	return time.Duration(math.Round(hours*3600*1e6)) * time.Microsecond
}

// valueAt applies SPEC §1's horizon rule to one post's bracket: linear interpolation between
// the last snapshot at or before H and the first at or after it (a snapshot at exactly H is
// taken as it is); else the one snapshot on one side, when its age is within tolerance × H of H.
// Under horizon=latest it is the latest snapshot. ok is false when the post is left out.
func (h horizon) valueAt(b Bracket, postedAt time.Time) (float64, bool) {
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
