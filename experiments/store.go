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
	// Read runs fn, which only reads and needs no snapshot across its statements, as cheaply
	// as the database allows (no write lock, and on PostgreSQL no transaction).
	Read(ctx context.Context, fn func(Tx) error) error
	// Snapshot runs fn, which only reads, in one read-only transaction: its statements see one
	// snapshot, and it takes no write lock, so a long read (a report) holds up no writer.
	Snapshot(ctx context.Context, fn func(Tx) error) error
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

// PostCount is how many posts an experiment has, and how many of them are old enough to have
// reached its horizon (matured).
type PostCount struct {
	Posts   int64
	Matured int64
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

// IdempotencyRecord is the stored first answer to a POST carrying an Idempotency-Key. Scope is
// the SHA-256 of everything the key is scoped by (workspace, API key, method, path, query and the
// key itself); Fingerprint is the SHA-256 of the request's content type and body. Only completed,
// successful answers are stored, in the same transaction as the request's writes. Redacted says
// the answer held a secret, which was removed before the body was stored.
type IdempotencyRecord struct {
	Scope       string
	WorkspaceID string
	APIKeyID    string
	Method      string
	Path        string
	Query       string
	Key         string
	Fingerprint string
	Status      int
	ContentType string
	Headers     map[string]string
	Body        []byte
	Redacted    bool
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
	// PostCounts counts, in one aggregate query, the posts of each experiment named, and those
	// of them at least the experiment's horizon old at the time given; an experiment without
	// posts is absent from the answer.
	PostCounts(workspaceID string, experimentIDs []string, at time.Time) (map[string]PostCount, error)
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

	// Idempotency keys. LockIdempotency holds scope for the rest of the transaction and reports
	// whether it could: false means another transaction holds it (its request is in flight).
	// IdempotencyRecord returns the answer stored under scope no earlier than since, or nil.
	// SaveIdempotency stores an answer, replacing an expired one under the same scope.
	// PurgeIdempotency deletes the records created before before and says how many.
	LockIdempotency(scope string) (bool, error)
	IdempotencyRecord(scope string, since time.Time) (*IdempotencyRecord, error)
	SaveIdempotency(rec IdempotencyRecord) error
	PurgeIdempotency(before time.Time) (int64, error)

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
