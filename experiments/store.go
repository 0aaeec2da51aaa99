package experiments

import (
	"context"
	"time"
)

// Store is what the domain needs from storage. Every domain operation runs in one transaction
// (Tx); the storage adapter turns constraint violations into domain errors (ECONFLICT for a
// duplicate, ENOTFOUND for a missing row) and never lets a row of another workspace be seen.
type Store interface {
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Tx runs fn in one transaction, committed when fn returns nil and rolled back otherwise.
	Tx(ctx context.Context, fn func(Tx) error) error
	// Dialect names the database: "postgres" or "sqlite".
	Dialect() string
	// Close releases the connection pool.
	Close() error
}

// Page asks for up to Limit rows after the row with id After (ids are time-ordered UUIDv7,
// so id order is creation order).
type Page struct {
	Limit int
	After string
}

// ExperimentFilter narrows a list of experiments; empty fields match everything.
type ExperimentFilter struct {
	Status   Status
	Platform string
	Page     Page
}

// PostFilter narrows a list of posts; empty fields match everything.
type PostFilter struct {
	ExperimentID string
	VariantID    string
	Account      string
	Page         Page
}

// PostRef is what a snapshot write needs to know of its post.
type PostRef struct {
	ID               string
	ExperimentID     string
	ExperimentStatus Status
	Platform         string
	ExternalID       string
	PostedAt         time.Time
}

// ExternalRef names a post by the platform's id.
type ExternalRef struct {
	Platform   string
	ExternalID string
}

// IdempotencyRecord is the stored first answer to a POST carrying an Idempotency-Key, scoped to
// the workspace, method and path. Status is 0 while the first request is still in flight.
type IdempotencyRecord struct {
	WorkspaceID string
	Key         string
	Method      string
	Path        string
	RequestHash string
	Status      int
	ContentType string
	Body        []byte
	Headers     map[string]string
	CreatedAt   time.Time
}

// Tx is one transaction's view of the store. Every method scoped by a workspace id sees only
// that workspace's rows: another workspace's row is ENOTFOUND, exactly like a missing one.
type Tx interface {
	// Workspaces and keys.
	CreateWorkspace(ws Workspace) error // ECONFLICT on a duplicate name
	WorkspaceByID(id string) (Workspace, error)
	WorkspaceByName(name string) (Workspace, error)
	CountWorkspaces() (int64, error)
	ListWorkspaces() ([]Workspace, error) // oldest first
	CreateAPIKey(k APIKey) error
	APIKeyByHash(hash string) (APIKey, error)
	TouchAPIKey(id string, at time.Time) error
	ListAPIKeys(workspaceID string, p Page) ([]APIKey, error)
	GetAPIKey(workspaceID, id string) (APIKey, error)
	RevokeAPIKey(workspaceID, id string, at time.Time) error

	// Experiments. GetExperiment finds by id or key; forUpdate locks the row until the
	// transaction ends (SELECT … FOR UPDATE on PostgreSQL; SQLite transactions are exclusive).
	InsertExperiment(e Experiment) error // ECONFLICT on a duplicate key
	GetExperiment(workspaceID, idOrKey string, forUpdate bool) (Experiment, error)
	ListExperiments(workspaceID string, f ExperimentFilter) ([]Experiment, error)
	UpdateExperiment(e Experiment) error // writes every mutable field of the row e.ID
	DeleteExperiment(workspaceID, id string) error

	// Variants. GetVariant finds by id or key within the experiment.
	InsertVariant(v Variant) error // ECONFLICT on a duplicate key or a second control
	GetVariant(workspaceID, experimentID, idOrKey string) (Variant, error)
	ListVariants(workspaceID, experimentID string) ([]Variant, error)
	UpdateVariant(v Variant) error // writes every mutable field of the row v.ID
	DeleteVariant(workspaceID, id string) error
	CountPosts(workspaceID, experimentID, variantID string) (int64, error) // variantID may be empty

	// Posts.
	InsertPost(p Post) error    // ECONFLICT on a duplicate (platform, external_id)
	InsertPosts(p []Post) error // many at once, with multi-row statements
	GetPost(workspaceID, id string) (Post, error)
	ListPosts(workspaceID string, f PostFilter) ([]Post, error)
	UpdatePost(p Post) error // writes every mutable field of the row p.ID
	DeletePost(workspaceID, id string) error

	// Snapshots. ResolvePosts looks posts up by id and by external ref in one query each; rows
	// that match nothing are simply absent from the answer.
	ResolvePosts(workspaceID string, ids []string, refs []ExternalRef) ([]PostRef, error)
	// UpsertSnapshots writes with multi-row statements; a snapshot at an existing
	// (post_id, observed_at) replaces it whole unless it holds the same numbers. It returns
	// how many rows it inserted or changed.
	UpsertSnapshots(s []Snapshot) (int64, error)
	// ListSnapshots pages by observed_at: p.After is the RFC 3339 observed_at of the last row seen.
	ListSnapshots(workspaceID, postID string, p Page) ([]Snapshot, error)

	// Report. HorizonSnapshots reads every post of the experiment (or, without one, of the
	// workspace's history that q names) and, for each value of q, the snapshots that bracket the
	// horizon (SPEC §1), in no particular order: one or two set-based queries, whatever the
	// number of posts, that return no other snapshot.
	HorizonSnapshots(workspaceID string, q HorizonQuery) (HorizonData, error)

	// Idempotency keys. ClaimIdempotency inserts rec (Status 0) and returns (nil, nil), or
	// returns the record already stored under the same scope and key.
	ClaimIdempotency(rec IdempotencyRecord) (*IdempotencyRecord, error)
	CompleteIdempotency(rec IdempotencyRecord) error // stores status, headers and body
	ReleaseIdempotency(rec IdempotencyRecord) error  // forgets a claim whose request failed

	// Secret returns the server-wide secret of that name, creating a random one on first use
	// (every instance on one database shares it).
	Secret(name string) ([]byte, error)

	// Planning and learnings. LatestValues reads, in one set-based query, the metric's value
	// in each post's latest snapshot where it is known, for the experiment's posts (of account,
	// when not empty); metric is a count metric (CountMetrics, engagements or custom.NAME).
	LatestValues(workspaceID, experimentID, account, metric string) ([]float64, error)
	// SearchLearnings lists the concluded and archived experiments that match f, the most
	// recently concluded first; f.Page.After is a Learning's Position.
	SearchLearnings(workspaceID string, f LearningFilter) ([]Learning, error)
	// ReplaceSchedule stores slots as the experiment's posting plan, in place of any earlier one.
	ReplaceSchedule(workspaceID, experimentID string, slots []ScheduleSlot) error
	// ScheduledSlots reads the stored plan in slot order with, for each slot, the post of its
	// account and variant logged nearest to it within ±window, if any.
	ScheduledSlots(workspaceID, experimentID string, window time.Duration) ([]ScheduledSlot, error)
}
