package experiments

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// MaxBatchSnapshots is the most snapshots one batch request may carry.
const MaxBatchSnapshots = 10000

// SnapshotInput is one snapshot in a request. In a batch the post is named by post_id or by
// (platform, external_id); on POST /v1/posts/{id}/snapshots the path names it.
type SnapshotInput struct {
	PostID     string `json:"post_id"`
	Platform   string `json:"platform"`
	ExternalID string `json:"external_id"`
	ObservedAt string `json:"observed_at"`
	Metrics
	Custom map[string]float64 `json:"custom"`
}

// toSnapshot validates the metrics and the timestamp; prefix names the row in field paths.
func (in SnapshotInput) toSnapshot(f *FieldErrors, prefix string) Snapshot {
	s := Snapshot{ObservedAt: parseTime(f, prefix+"observed_at", in.ObservedAt).UTC(),
		Metrics: in.Metrics, Custom: in.Custom}
	for _, sm := range SnapshotMetrics {
		v, ok := sm.In(&s.Metrics)
		switch {
		case !ok:
		case sm.Fraction && !(v >= 0 && v <= 1):
			f.Add(prefix+sm.Name, "must be between 0 and 1")
		case v < 0 || math.IsInf(v, 0) || math.IsNaN(v):
			f.Add(prefix+sm.Name, "must be 0 or more (leave it out when unknown)")
		}
	}
	for name, v := range s.Custom {
		switch {
		case !ValidCustomName(name):
			f.Add(prefix+"custom."+name, "custom metric names are lowercase letters, digits and '_'")
		case math.IsInf(v, 0) || math.IsNaN(v):
			f.Add(prefix+"custom."+name, "must be a finite number")
		}
	}
	return s
}

// AddSnapshots writes snapshots, all or nothing: one bad row fails the whole batch with an
// EINVALID naming it (snapshots[i].field). When postID is set (the single-snapshot endpoint)
// it names the post of every input and field names carry no prefix. A snapshot at an existing
// (post, observed_at) replaces it; within one request the last one wins.
func (s *Service) AddSnapshots(ctx context.Context, p Principal, postID string, inputs []SnapshotInput) ([]Snapshot, error) {
	if len(inputs) == 0 {
		return nil, Invalid(FieldError{"snapshots", "must hold at least one snapshot"})
	}
	if len(inputs) > MaxBatchSnapshots {
		return nil, Invalid(FieldError{"snapshots", fmt.Sprintf("at most %d snapshots per request; split the batch", MaxBatchSnapshots)})
	}
	var f FieldErrors
	snaps := make([]Snapshot, len(inputs))
	for i, in := range inputs {
		prefix := fmt.Sprintf("snapshots[%d].", i)
		if postID != "" {
			prefix, in.PostID = "", postID
		} else if in.PostID == "" && (in.Platform == "" || in.ExternalID == "") {
			f.Add(prefix+"post_id", "is required (or platform and external_id)")
		}
		if in.Platform != "" && !slices.Contains(Platforms, in.Platform) {
			f.Add(prefix+"platform", "must be one of %s", strings.Join(Platforms, ", "))
		}
		snaps[i] = in.toSnapshot(&f, prefix)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var written []Snapshot
	err := s.tx(ctx, func(tx Tx) error {
		refs, err := resolveSnapshotPosts(tx, p, inputs, postID)
		if err != nil {
			return err
		}
		for i := range snaps {
			prefix := fmt.Sprintf("snapshots[%d].", i)
			if postID != "" {
				prefix = ""
			}
			ref, ok := refs[i]
			switch {
			case !ok:
				f.Add(prefix+"post_id", "no such post in this workspace")
			case !ref.ExperimentStatus.Allows(ActivityChange):
				f.Add(prefix+"post_id", "the post's experiment is archived; snapshots can no longer be logged")
			case snaps[i].ObservedAt.Before(ref.PostedAt):
				f.Add(prefix+"observed_at", "is before the post was published (%s)", ref.PostedAt.UTC().Format(time.RFC3339))
			default:
				snaps[i].PostID, snaps[i].WorkspaceID = ref.ID, p.WorkspaceID
			}
		}
		if err := f.Err(); err != nil {
			if postID != "" && len(inputs) == 1 && refs[0].ID == "" {
				return Errorf(ENOTFOUND, "post not found")
			}
			return err
		}
		written = lastPerKey(snaps)
		_, err = tx.UpsertSnapshots(written)
		return err
	})
	return written, err
}

// resolveSnapshotPosts finds each input's post; the answer is keyed by input index.
func resolveSnapshotPosts(tx Tx, p Principal, inputs []SnapshotInput, postID string) (map[int]PostRef, error) {
	var ids []string
	var exts []ExternalRef
	for _, in := range inputs {
		switch {
		case postID != "":
		case in.PostID != "":
			ids = append(ids, in.PostID)
		default:
			exts = append(exts, ExternalRef{Platform: in.Platform, ExternalID: in.ExternalID})
		}
	}
	if postID != "" {
		ids = []string{postID}
	}
	found, err := tx.ResolvePosts(p.WorkspaceID, ids, exts)
	if err != nil {
		return nil, fmt.Errorf("resolve posts: %w", err)
	}
	byID := map[string]PostRef{}
	byExt := map[ExternalRef]PostRef{}
	for _, r := range found {
		byID[r.ID] = r
		byExt[ExternalRef{r.Platform, r.ExternalID}] = r
	}
	out := map[int]PostRef{}
	for i, in := range inputs {
		var r PostRef
		var ok bool
		switch {
		case postID != "":
			r, ok = byID[postID]
		case in.PostID != "":
			r, ok = byID[in.PostID]
		default:
			r, ok = byExt[ExternalRef{in.Platform, in.ExternalID}]
		}
		if ok {
			out[i] = r
		}
	}
	return out, nil
}

// lastPerKey keeps the last snapshot for each (post, observed_at): one statement may not
// write the same row twice.
func lastPerKey(snaps []Snapshot) []Snapshot {
	type key struct {
		post string
		at   int64
	}
	last := map[key]int{}
	for i, s := range snaps {
		last[key{s.PostID, s.ObservedAt.UnixNano()}] = i
	}
	out := make([]Snapshot, 0, len(last))
	for i, s := range snaps {
		if last[key{s.PostID, s.ObservedAt.UnixNano()}] == i {
			out = append(out, s)
		}
	}
	return out
}

// ListSnapshots lists a post's snapshots in time order.
func (s *Service) ListSnapshots(ctx context.Context, p Principal, postID string, page Page) ([]Snapshot, error) {
	var snaps []Snapshot
	err := s.tx(ctx, func(tx Tx) error {
		if _, err := tx.GetPost(p.WorkspaceID, postID); err != nil {
			return err
		}
		var err error
		snaps, err = tx.ListSnapshots(p.WorkspaceID, postID, page)
		return err
	})
	return snaps, err
}
