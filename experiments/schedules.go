package experiments

import "time"

// ScheduleWindow is how far from its planned time a logged post still counts for a slot.
const ScheduleWindow = 2 * time.Hour

// ScheduleSlot is one planned post.
type ScheduleSlot struct {
	PlannedAt   time.Time `json:"planned_at"` // local time, with its offset
	Account     string    `json:"account"`
	VariantID   string    `json:"variant_id"`
	VariantKey  string    `json:"variant_key"`
	VariantName string    `json:"variant_name"`
	Block       string    `json:"block"` // ISO week and account, e.g. "2026-W38/ifrc"
}

// ScheduledSlot is a slot of a stored plan, checked against the posts logged since.
type ScheduledSlot struct {
	ScheduleSlot
	PostID       *string `json:"post_id"`       // the post of the slot's account and variant logged nearest to it, within the window
	OnTime       bool    `json:"on_time"`       // PostID is set
	WrongVariant bool    `json:"wrong_variant"` // a post of the account was logged within the window, but of another variant
}
