package experiments

import "testing"

// TestStatusRules holds the table to SPEC §1: variants and factors change only in draft; posts
// are logged in draft, running and paused; snapshots until archived; a plan is for an
// experiment still to run; SPEC §3.1: the settings the verdicts rest on change only in draft.
func TestStatusRules(t *testing.T) {
	want := map[Status]map[Activity]bool{
		StatusDraft:     {ActivityDesign: true, ActivityVerdictSettings: true, ActivityLogPosts: true, ActivityChange: true, ActivityPlan: true},
		StatusRunning:   {ActivityLogPosts: true, ActivityChange: true, ActivityPlan: true},
		StatusPaused:    {ActivityLogPosts: true, ActivityChange: true, ActivityPlan: true},
		StatusConcluded: {ActivityChange: true},
		StatusArchived:  {},
	}
	for _, s := range Statuses {
		for _, a := range []Activity{ActivityDesign, ActivityVerdictSettings, ActivityLogPosts, ActivityChange, ActivityPlan} {
			if got := s.Allows(a); got != want[s][a] {
				t.Errorf("%s.Allows(%s) = %v, want %v", s, a, got, want[s][a])
			}
		}
	}
}
