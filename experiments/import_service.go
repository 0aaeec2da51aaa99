package experiments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ImportSource yields the rows of an imported file. A row that cannot be read comes back as
// an *ImportFailure error and the import goes on; io.EOF ends the file; any other error
// aborts the import.
type ImportSource interface {
	Next() (ImportRow, error)
}

func (f *ImportFailure) Error() string { return fmt.Sprintf("line %d: %s", f.Line, f.Reason) }

// ImportOptions say how to map rows to variants and whether to write.
type ImportOptions struct {
	Format  string
	DryRun  bool // count what would be written, write nothing
	Partial bool // write the good rows even when some fail
	// VariantFor names a row's variant: ok is false when nothing maps it; reason explains a clash.
	VariantFor func(ImportRow) (key string, ok bool, reason string)
}

// ImportResult counts what an import did (or, in a dry run, would do).
type ImportResult struct {
	Format       string          `json:"format"`
	DryRun       bool            `json:"dry_run"`
	Partial      bool            `json:"partial"`
	Rows         int             `json:"rows"`
	Written      int             `json:"written"`       // snapshots inserted or changed
	PostsCreated int             `json:"posts_created"` // posts that were new
	Skipped      int             `json:"skipped"`       // rows whose snapshot was already stored as it is
	Failed       int             `json:"failed"`
	Failures     []ImportFailure `json:"failures"`
}

// Rejected reports whether failed rows stopped the import from writing anything: without
// ?partial=true a file is written whole or not at all.
func (r ImportResult) Rejected() bool { return r.Failed > 0 && !r.Partial && !r.DryRun }

// maxListedFailures bounds the failures an answer lists; Failed still counts them all.
const maxListedFailures = 1000

// importChunk is how many rows are resolved and written together.
const importChunk = 5000

// errRollback ends an import's transaction without writing.
var errRollback = errors.New("import rolled back")

// RewindableSource is an ImportSource that can start again from its first row, such as a
// file spooled to disk. Import reads it twice (to check it, then to write it) instead of
// holding its rows in memory.
type RewindableSource interface {
	ImportSource
	Rewind() error
}

// Import reads rows from src into the experiment: new posts are created, known posts
// (platform + external_id) get their snapshots; a snapshot already stored with the same
// numbers is skipped, so importing a file again writes nothing new. A file with any failed row
// writes nothing unless opts.Partial; a dry run never writes.
//
// Every row is read and checked before the transaction begins, so that a slow source never
// holds the database; the transaction then resolves and writes the good rows in chunks of
// importChunk (read again from src when it is a RewindableSource, else kept from the check).
func (s *Service) Import(ctx context.Context, p Principal, experiment string, src ImportSource, opts ImportOptions) (ImportResult, error) {
	read := ImportResult{Format: opts.Format, DryRun: opts.DryRun, Partial: opts.Partial, Failures: []ImportFailure{}}
	rewindable, _ := src.(RewindableSource)
	now := s.Now()
	var kept []ImportRow
	err := readGoodRows(src, now, &read, func(row ImportRow) error {
		if rewindable == nil {
			kept = append(kept, row)
		}
		return nil
	})
	if err != nil {
		return read, err
	}
	var res ImportResult
	err = s.tx(ctx, func(tx Tx) error {
		// Each attempt starts from the check's counts (the transaction may run more than once).
		res = read
		res.Failures = slices.Clone(read.Failures)
		e, err := tx.GetExperiment(p.WorkspaceID, experiment, true)
		if err != nil {
			return err
		}
		if !e.Status.Allows(ActivityChange) {
			return Errorf(ECONFLICT, "an archived experiment takes no more data")
		}
		variants, err := tx.ListVariants(p.WorkspaceID, e.ID)
		if err != nil {
			return err
		}
		imp := &importer{s: s, tx: tx, e: e, variants: variants, opts: opts, res: &res}
		if err := imp.writeAll(rewindable, kept, now); err != nil {
			return err
		}
		if opts.DryRun || res.Rejected() {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		err = nil
		if !opts.DryRun {
			res.Written, res.PostsCreated, res.Skipped = 0, 0, 0
		}
	}
	return res, err
}

// writeAll writes the good rows in chunks: kept, or those read again from src.
func (im *importer) writeAll(src RewindableSource, kept []ImportRow, now time.Time) error {
	if src == nil {
		for chunk := range slices.Chunk(kept, importChunk) {
			if err := im.write(chunk); err != nil {
				return err
			}
		}
		return nil
	}
	if err := src.Rewind(); err != nil {
		return fmt.Errorf("read import again: %w", err)
	}
	chunk := make([]ImportRow, 0, importChunk)
	var again ImportResult // the failures were counted by the check
	err := readGoodRows(src, now, &again, func(row ImportRow) error {
		chunk = append(chunk, row)
		if len(chunk) < importChunk {
			return nil
		}
		err := im.write(chunk)
		chunk = chunk[:0]
		return err
	})
	if err != nil {
		return err
	}
	return im.write(chunk)
}

// readGoodRows reads every row of src, counting rows, and the failures of those that cannot be
// stored, in res; it hands each good row to fn.
func readGoodRows(src ImportSource, now time.Time, res *ImportResult, fn func(ImportRow) error) error {
	for {
		row, err := src.Next()
		var bad *ImportFailure
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.As(err, &bad):
			res.Rows++
			res.fail(bad.Line, "%s", bad.Reason)
			continue
		case err != nil:
			return fmt.Errorf("read import: %w", err)
		}
		res.Rows++
		if !rowTextClean(row) {
			res.fail(row.Line, "the row holds text that is not valid UTF-8 or has NUL characters; save the file as UTF-8")
			continue
		}
		if reason := rowTimeProblem(row, now); reason != "" {
			res.fail(row.Line, "%s", reason)
			continue
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

type importer struct {
	s        *Service
	tx       Tx
	e        Experiment
	variants []Variant
	opts     ImportOptions
	res      *ImportResult
}

func (im *importer) fail(line int, format string, args ...any) { im.res.fail(line, format, args...) }

func (r *ImportResult) fail(line int, format string, args ...any) {
	r.Failed++
	if len(r.Failures) < maxListedFailures {
		r.Failures = append(r.Failures, ImportFailure{Line: line, Reason: fmt.Sprintf(format, args...)})
	}
}

// rowTextClean reports whether every text of the row can be stored: valid UTF-8 without NUL.
func rowTextClean(row ImportRow) bool {
	p := row.Post
	texts := append([]string{p.ExternalID, p.Platform, p.Account, p.URL, p.Timezone, p.Country,
		p.Language, p.Caption, p.VariantKey}, p.Hashtags...)
	for name := range row.Snapshot.Custom {
		texts = append(texts, name)
	}
	for _, t := range texts {
		if !utf8.ValidString(t) || strings.ContainsRune(t, 0) {
			return false
		}
	}
	return true
}

// rowTimeProblem says why a row's times cannot be stored (see TimeProblem), or "".
func rowTimeProblem(row ImportRow, now time.Time) string {
	if p := postedAtProblem(row.Post.PostedAt, now); p != "" {
		return "posted_at " + row.Post.PostedAt.Format(time.RFC3339) + " " + p
	}
	if p := TimeProblem(row.Snapshot.ObservedAt); p != "" {
		return "observed_at " + row.Snapshot.ObservedAt.Format(time.RFC3339) + " " + p
	}
	return ""
}

// write resolves a chunk's posts in one query, creates the new ones in one statement and
// upserts the snapshots in as few as the parameter limits allow.
func (im *importer) write(rows []ImportRow) error {
	if len(rows) == 0 {
		return nil
	}
	known, err := im.knownPosts(rows)
	if err != nil {
		return err
	}
	var newPosts []Post
	var snaps []Snapshot
	for _, row := range rows {
		ref := ExternalRef{Platform: row.Post.Platform, ExternalID: row.Post.ExternalID}
		post, ok := known[ref]
		if !ok {
			if post, ok = im.newPost(row); !ok {
				continue
			}
			known[ref] = post
			newPosts = append(newPosts, post)
		}
		if post.ExperimentID != im.e.ID {
			im.fail(row.Line, "post %s %s belongs to another experiment", ref.Platform, ref.ExternalID)
			continue
		}
		if row.Snapshot.ObservedAt.Before(post.PostedAt) {
			im.fail(row.Line, "observed_at %s is before the post was published", row.Snapshot.ObservedAt.Format("2006-01-02 15:04"))
			continue
		}
		snap := row.Snapshot
		snap.PostID, snap.WorkspaceID = post.ID, im.e.WorkspaceID
		snaps = append(snaps, snap)
	}
	if err := im.tx.InsertPosts(newPosts); err != nil {
		return fmt.Errorf("create imported posts: %w", err)
	}
	im.res.PostsCreated += len(newPosts)
	snaps = lastPerKey(snaps)
	changed, err := im.tx.UpsertSnapshots(snaps)
	if err != nil {
		return fmt.Errorf("write imported snapshots: %w", err)
	}
	im.res.Written += int(changed)
	im.res.Skipped += len(snaps) - int(changed)
	return nil
}

// knownPosts finds the chunk's posts that already exist, keyed by platform and external id.
func (im *importer) knownPosts(rows []ImportRow) (map[ExternalRef]Post, error) {
	refs := make([]ExternalRef, 0, len(rows))
	for _, r := range rows {
		refs = append(refs, ExternalRef{Platform: r.Post.Platform, ExternalID: r.Post.ExternalID})
	}
	found, err := im.tx.ResolvePosts(im.e.WorkspaceID, nil, refs)
	if err != nil {
		return nil, fmt.Errorf("resolve imported posts: %w", err)
	}
	known := make(map[ExternalRef]Post, len(found))
	for _, f := range found {
		known[ExternalRef{f.Platform, f.ExternalID}] = Post{ID: f.ID, ExperimentID: f.ExperimentID, PostedAt: f.PostedAt}
	}
	return known, nil
}

// newPost builds the post a row introduces, or records why it cannot.
func (im *importer) newPost(row ImportRow) (Post, bool) {
	if err := canLogPosts(im.e); err != nil {
		im.fail(row.Line, "new post %s: %s", row.Post.ExternalID, err.(*Error).Message)
		return Post{}, false
	}
	key, ok, reason := im.opts.VariantFor(row)
	switch {
	case reason != "":
		im.fail(row.Line, "%s", reason)
		return Post{}, false
	case !ok:
		im.fail(row.Line, "post %s maps to no variant: name it in the mapping (external_id → variant_key) or add a hashtag rule", row.Post.ExternalID)
		return Post{}, false
	}
	i := slices.IndexFunc(im.variants, func(v Variant) bool { return v.Key == key })
	if i < 0 {
		im.fail(row.Line, "the experiment has no variant %q", key)
		return Post{}, false
	}
	post := row.Post
	post.ID, post.WorkspaceID, post.ExperimentID = NewID(), im.e.WorkspaceID, im.e.ID
	post.VariantID, post.VariantKey = im.variants[i].ID, key
	post.LoggedInDraft = im.e.Status == StatusDraft
	post.Hashtags = orEmpty(post.Hashtags)
	post.CreatedAt = im.s.Now()
	if post.Platform == "" {
		post.Platform = im.e.Platform
	}
	var f FieldErrors
	validatePost(&f, post)
	if len(f) > 0 {
		msgs := make([]string, len(f))
		for i, fe := range f {
			msgs[i] = fe.Field + " " + fe.Message
		}
		im.fail(row.Line, "%s", strings.Join(msgs, "; "))
		return Post{}, false
	}
	return post, true
}
