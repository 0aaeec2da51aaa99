// Package experiments is postlab's domain: workspaces and their API keys, experiments with
// their variants, the posts logged against them and the snapshots of each post's numbers.
// It holds the rules (what may change when, what is valid) and the Store interface that the
// storage adapter implements. It knows nothing of HTTP or SQL.
package experiments

import (
	"encoding/json"
	"time"
)

// Role is what an API key may do in its workspace.
type Role string

const (
	RoleViewer Role = "viewer" // read only
	RoleEditor Role = "editor" // read and write
	RoleAdmin  Role = "admin"  // also manages keys
)

// Roles lists the valid roles, weakest first.
var Roles = []Role{RoleViewer, RoleEditor, RoleAdmin}

// Allows reports whether a key with role r may act as need.
func (r Role) Allows(need Role) bool { return roleRank(r) >= roleRank(need) }

func roleRank(r Role) int {
	for i, x := range Roles {
		if x == r {
			return i + 1
		}
	}
	return 0
}

// Workspace is a tenant: one organisation or team. Every other row belongs to exactly one.
type Workspace struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// APIKey acts for one workspace with one role. Only a hash of the secret is kept.
type APIKey struct {
	ID          string     `json:"id"`
	WorkspaceID string     `json:"workspace_id"`
	Name        string     `json:"name"`
	Role        Role       `json:"role"`
	Prefix      string     `json:"prefix"`
	Hash        string     `json:"-"`
	CreatedAt   time.Time  `json:"created_at"`
	LastUsedAt  *time.Time `json:"last_used_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
}

// Status is an experiment's place in its lifecycle.
type Status string

const (
	StatusDraft     Status = "draft"
	StatusRunning   Status = "running"
	StatusPaused    Status = "paused"
	StatusConcluded Status = "concluded"
	StatusArchived  Status = "archived"
)

// Statuses lists every status.
var Statuses = []Status{StatusDraft, StatusRunning, StatusPaused, StatusConcluded, StatusArchived}

// Platforms and Formats are the values SPEC §1 allows.
var (
	Platforms   = []string{"tiktok", "instagram", "youtube", "facebook", "x", "linkedin", "threads", "other"}
	Formats     = []string{"video", "photo", "carousel", "story", "live", "text", "link", "other"}
	Corrections = []string{"holm", "bh", "none"}
	Results     = []string{"won", "lost", "inconclusive", "invalid"}
)

// Defaults of a new experiment (SPEC §1).
const (
	DefaultHorizonHours     = 24.0
	DefaultHorizonTolerance = 0.25
	DefaultAlpha            = 0.05
	DefaultCorrection       = "holm"
	DefaultMDE              = 0.2
)

// Bounds of a plan: the last look needs 3 posts per variant (SPEC §3.1 skips smaller looks).
const (
	MinPlannedPosts = 3
	MaxPlannedPosts = 1_000_000
)

// RatioMetric is a custom ratio metric an experiment defines: numerator / denominator, each a
// metric name (a count metric or custom.NAME).
type RatioMetric struct {
	Name        string `json:"name"`
	Numerator   string `json:"numerator"`
	Denominator string `json:"denominator"`
}

// Conclusion is what the team recorded when it concluded the experiment.
type Conclusion struct {
	Result           string          `json:"result"`
	WinnerVariantKey string          `json:"winner_variant_key,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Learning         string          `json:"learning,omitempty"`
	Report           json.RawMessage `json:"report,omitempty"` // the report frozen at conclusion
}

// Experiment is one question, e.g. "does posting at 19:00 beat 09:00?".
type Experiment struct {
	ID               string        `json:"id"`
	WorkspaceID      string        `json:"workspace_id"`
	Key              string        `json:"key"`
	Name             string        `json:"name"`
	Hypothesis       string        `json:"hypothesis"`
	Platform         string        `json:"platform"`
	Status           Status        `json:"status"`
	PrimaryMetric    string        `json:"primary_metric"`
	SecondaryMetrics []string      `json:"secondary_metrics"`
	RatioMetrics     []RatioMetric `json:"ratio_metrics"`
	HorizonHours     float64       `json:"horizon_hours"`
	HorizonTolerance float64       `json:"horizon_tolerance"`
	Alpha            float64       `json:"alpha"`
	Correction       string        `json:"correction"`
	MDE              float64       `json:"mde"`
	// PlannedPostsPerVariant is the plan (SPEC §3.1): the posts per variant at which the last
	// look happens. Set at creation or while a draft, filled in at start when unset, frozen
	// from then on; nil for an experiment started before plans existed.
	PlannedPostsPerVariant *int        `json:"planned_posts_per_variant"`
	Factors                []string    `json:"factors"`
	Version                int         `json:"version"` // bumped by every change; the ETag
	CreatedAt              time.Time   `json:"created_at"`
	UpdatedAt              time.Time   `json:"updated_at"`
	StartedAt              *time.Time  `json:"started_at"`
	ConcludedAt            *time.Time  `json:"concluded_at"`
	Decision               *Conclusion `json:"decision"`
}

// PostTime is a variant's planned local posting window, e.g. 19:00–20:00 in Europe/Zurich.
type PostTime struct {
	Start    string `json:"start"`         // HH:MM
	End      string `json:"end,omitempty"` // HH:MM, optional
	Timezone string `json:"timezone"`      // IANA name
}

// Variant is one arm of an experiment: a level of every factor.
type Variant struct {
	ID           string            `json:"id"`
	WorkspaceID  string            `json:"-"`
	ExperimentID string            `json:"experiment_id"`
	Key          string            `json:"key"`
	Name         string            `json:"name"`
	IsControl    bool              `json:"is_control"`
	Levels       map[string]string `json:"levels"`
	Weight       float64           `json:"weight"` // planned share of posts; 0 means equal share
	Hashtags     []string          `json:"hashtags"`
	Format       string            `json:"format,omitempty"`
	PostTime     *PostTime         `json:"post_time,omitempty"`
	CreatedAt    time.Time         `json:"created_at"`
}

// Post is one published post assigned to a variant.
type Post struct {
	ID              string    `json:"id"`
	WorkspaceID     string    `json:"-"`
	ExperimentID    string    `json:"experiment_id"`
	VariantID       string    `json:"variant_id"`
	VariantKey      string    `json:"variant_key"`
	Platform        string    `json:"platform"`
	Account         string    `json:"account"`
	ExternalID      string    `json:"external_id"`
	URL             string    `json:"url,omitempty"`
	PostedAt        time.Time `json:"posted_at"`
	Timezone        string    `json:"timezone,omitempty"`
	Country         string    `json:"country,omitempty"`
	Language        string    `json:"language,omitempty"`
	Caption         string    `json:"caption,omitempty"`
	Hashtags        []string  `json:"hashtags"`
	FollowersAtPost *int64    `json:"followers_at_post"`
	LoggedInDraft   bool      `json:"logged_in_draft"` // the experiment was a draft when the post was logged
	CreatedAt       time.Time `json:"created_at"`
}

// Snapshot is a post's cumulative numbers read at one moment. A nil metric is unknown, never 0.
type Snapshot struct {
	PostID      string    `json:"post_id"`
	WorkspaceID string    `json:"-"`
	ObservedAt  time.Time `json:"observed_at"`
	Metrics
	Custom map[string]float64 `json:"custom,omitempty"`
}
