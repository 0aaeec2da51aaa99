package experiments

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// PostInput is the body of POST /v1/experiments/{id}/posts (SPEC §5). The variant is named by
// variant_id or variant_key.
type PostInput struct {
	VariantID       string   `json:"variant_id"`
	VariantKey      string   `json:"variant_key"`
	Platform        string   `json:"platform"`
	Account         string   `json:"account"`
	ExternalID      string   `json:"external_id"`
	URL             string   `json:"url"`
	PostedAt        string   `json:"posted_at"`
	Timezone        string   `json:"timezone"`
	Country         string   `json:"country"`
	Language        string   `json:"language"`
	Caption         string   `json:"caption"`
	Hashtags        []string `json:"hashtags"`
	FollowersAtPost *int64   `json:"followers_at_post"`
}

// PostPatch is the body of PATCH /v1/posts/{id}: only the fields sent change.
type PostPatch struct {
	VariantID       *string   `json:"variant_id"`
	VariantKey      *string   `json:"variant_key"`
	Account         *string   `json:"account"`
	URL             *string   `json:"url"`
	PostedAt        *string   `json:"posted_at"`
	Timezone        *string   `json:"timezone"`
	Country         *string   `json:"country"`
	Language        *string   `json:"language"`
	Caption         *string   `json:"caption"`
	Hashtags        *[]string `json:"hashtags"`
	FollowersAtPost *int64    `json:"followers_at_post"`
}

// parseTime reads an RFC 3339 timestamp with its offset, within the range both databases
// store and read back (see TimeProblem).
func parseTime(f *FieldErrors, field, value string) time.Time {
	if value == "" {
		f.Add(field, "is required (RFC 3339, e.g. 2026-09-14T17:05:00Z)")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		f.Add(field, "must be an RFC 3339 time with an offset, e.g. 2026-09-14T17:05:00+02:00")
		return t
	}
	if p := TimeProblem(t); p != "" {
		f.Add(field, "%s", p)
	}
	return t.Truncate(Precision)
}

// parsePostedAt is parseTime for when a post was published: also not more than
// MaxFutureLead ahead of now.
func parsePostedAt(f *FieldErrors, field, value string, now time.Time) time.Time {
	n := len(*f)
	t := parseTime(f, field, value)
	if len(*f) == n {
		if p := postedAtProblem(t, now); p != "" {
			f.Add(field, "%s", p)
		}
	}
	return t
}

func validatePost(f *FieldErrors, p Post) {
	if !slices.Contains(Platforms, p.Platform) {
		f.Add("platform", "must be one of %s", strings.Join(Platforms, ", "))
	}
	if strings.TrimSpace(p.Account) == "" || tooLong(p.Account, 200) {
		f.Add("account", "is required: the handle that published the post (1 to 200 characters)")
	}
	if strings.TrimSpace(p.ExternalID) == "" || tooLong(p.ExternalID, 200) {
		f.Add("external_id", "is required: the platform's id of the post (1 to 200 characters)")
	}
	if p.Timezone != "" && !ValidZone(p.Timezone) {
		f.Add("timezone", "must be an IANA time zone such as Europe/Zurich")
	}
	if p.FollowersAtPost != nil && *p.FollowersAtPost < 0 {
		f.Add("followers_at_post", "must be 0 or more")
	}
	for i, h := range p.Hashtags {
		if strings.TrimSpace(strings.TrimPrefix(h, "#")) == "" {
			f.Add(fmt.Sprintf("hashtags[%d]", i), "must not be empty")
		}
	}
	for _, t := range []struct {
		field, value string
		max          int
	}{{"caption", p.Caption, 10000}, {"url", p.URL, 2000}, {"country", p.Country, 100}, {"language", p.Language, 100}} {
		if tooLong(t.value, t.max) {
			f.Add(t.field, "must be at most %d characters", t.max)
		}
	}
}

// tooLong tells whether s has more than max characters: the contract's maxLength counts
// characters, and a byte count would refuse shorter texts in other scripts.
func tooLong(s string, max int) bool { return utf8.RuneCountInString(s) > max }

// resolveVariant finds the variant named by id and/or key; both must agree.
func resolveVariant(tx Tx, e Experiment, id, key string) (Variant, error) {
	if id == "" && key == "" {
		return Variant{}, Invalid(FieldError{"variant_id", "is required (or variant_key)"})
	}
	ref, field := id, "variant_id"
	if ref == "" {
		ref, field = key, "variant_key"
	}
	v, err := tx.GetVariant(e.WorkspaceID, e.ID, ref)
	if IsNotFound(err) {
		return Variant{}, Invalid(FieldError{field, fmt.Sprintf("the experiment has no variant %q", ref)})
	}
	if err != nil {
		return Variant{}, err
	}
	if key != "" && v.Key != key {
		return Variant{}, Invalid(FieldError{"variant_key", "names a different variant than variant_id"})
	}
	return v, nil
}

// CreatePost logs a post against a variant. Posts can be logged while the experiment is draft
// (the report warns), running or paused.
func (s *Service) CreatePost(ctx context.Context, p Principal, experiment string, in PostInput) (Post, error) {
	var f FieldErrors
	postedAt := parsePostedAt(&f, "posted_at", in.PostedAt, s.Now())
	post := Post{ID: NewID(), WorkspaceID: p.WorkspaceID, Platform: in.Platform, Account: strings.TrimSpace(in.Account),
		ExternalID: strings.TrimSpace(in.ExternalID), URL: in.URL, PostedAt: postedAt, Timezone: in.Timezone,
		Country: in.Country, Language: in.Language, Caption: in.Caption, Hashtags: orEmpty(in.Hashtags),
		FollowersAtPost: in.FollowersAtPost, CreatedAt: s.Now()}
	err := s.tx(ctx, func(tx Tx) error {
		e, err := tx.GetExperiment(p.WorkspaceID, experiment, false)
		if err != nil {
			return err
		}
		if post.Platform == "" {
			post.Platform = e.Platform
		}
		validatePost(&f, post)
		if err := f.Err(); err != nil {
			return err
		}
		if err := canLogPosts(e); err != nil {
			return err
		}
		v, err := resolveVariant(tx, e, in.VariantID, in.VariantKey)
		if err != nil {
			return err
		}
		post.ExperimentID, post.VariantID, post.VariantKey = e.ID, v.ID, v.Key
		post.LoggedInDraft = e.Status == StatusDraft
		return tx.InsertPost(post)
	})
	return post, err
}

func canLogPosts(e Experiment) error {
	if e.Status.Allows(ActivityLogPosts) {
		return nil
	}
	return Errorf(ECONFLICT, "posts can be logged only while the experiment is draft, running or paused; it is %s", e.Status)
}

// ListPosts lists posts; filter.ExperimentID may be an experiment's id or key, VariantID a
// variant's id or key.
func (s *Service) ListPosts(ctx context.Context, p Principal, filter PostFilter) ([]Post, error) {
	var posts []Post
	err := s.tx(ctx, func(tx Tx) error {
		if filter.ExperimentID != "" {
			e, err := tx.GetExperiment(p.WorkspaceID, filter.ExperimentID, false)
			if err != nil {
				return err
			}
			filter.ExperimentID = e.ID
			if filter.VariantID != "" {
				v, err := tx.GetVariant(p.WorkspaceID, e.ID, filter.VariantID)
				if IsNotFound(err) {
					return Invalid(FieldError{"variant", fmt.Sprintf("the experiment has no variant %q", filter.VariantID)})
				} else if err != nil {
					return err
				}
				filter.VariantID = v.ID
			}
		}
		var err error
		posts, err = tx.ListPosts(p.WorkspaceID, filter)
		return err
	})
	return posts, err
}

// GetPost finds a post by id.
func (s *Service) GetPost(ctx context.Context, p Principal, id string) (Post, error) {
	var post Post
	err := s.tx(ctx, func(tx Tx) (err error) {
		post, err = tx.GetPost(p.WorkspaceID, id)
		return err
	})
	return post, err
}

// PatchPost changes the fields sent. A new posted_at may not come after the post's first
// snapshot; a new variant must belong to the same experiment.
func (s *Service) PatchPost(ctx context.Context, p Principal, id string, patch PostPatch) (Post, error) {
	var post Post
	err := s.tx(ctx, func(tx Tx) (err error) {
		if post, err = tx.GetPost(p.WorkspaceID, id); err != nil {
			return err
		}
		e, err := tx.GetExperiment(p.WorkspaceID, post.ExperimentID, true)
		if err != nil {
			return err
		}
		if !e.Status.Allows(ActivityChange) {
			return Errorf(ECONFLICT, "posts of an archived experiment cannot change")
		}
		var f FieldErrors
		if patch.PostedAt != nil {
			post.PostedAt = parsePostedAt(&f, "posted_at", *patch.PostedAt, s.Now())
		}
		applyPostPatch(&post, patch)
		validatePost(&f, post)
		if err := f.Err(); err != nil {
			return err
		}
		if patch.VariantID != nil || patch.VariantKey != nil {
			v, err := resolveVariant(tx, e, deref(patch.VariantID), deref(patch.VariantKey))
			if err != nil {
				return err
			}
			post.VariantID, post.VariantKey = v.ID, v.Key
		}
		if err := checkFirstSnapshot(tx, post); err != nil {
			return err
		}
		return tx.UpdatePost(post)
	})
	return post, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func applyPostPatch(post *Post, p PostPatch) {
	if p.Account != nil {
		post.Account = strings.TrimSpace(*p.Account)
	}
	setIf(&post.URL, p.URL)
	setIf(&post.Timezone, p.Timezone)
	setIf(&post.Country, p.Country)
	setIf(&post.Language, p.Language)
	setIf(&post.Caption, p.Caption)
	if p.Hashtags != nil {
		post.Hashtags = orEmpty(*p.Hashtags)
	}
	if p.FollowersAtPost != nil {
		post.FollowersAtPost = p.FollowersAtPost
	}
}

func checkFirstSnapshot(tx Tx, post Post) error {
	first, err := tx.ListSnapshots(post.WorkspaceID, post.ID, Page{Limit: 1})
	if err != nil {
		return err
	}
	if len(first) > 0 && first[0].ObservedAt.Before(post.PostedAt) {
		return Invalid(FieldError{"posted_at", fmt.Sprintf("must not be after the post's first snapshot (%s)", first[0].ObservedAt.Format(time.RFC3339))})
	}
	return nil
}

// DeletePost deletes a post with its snapshots.
func (s *Service) DeletePost(ctx context.Context, p Principal, id string) error {
	return s.tx(ctx, func(tx Tx) error {
		post, err := tx.GetPost(p.WorkspaceID, id)
		if err != nil {
			return err
		}
		e, err := tx.GetExperiment(p.WorkspaceID, post.ExperimentID, true)
		if err != nil {
			return err
		}
		if !e.Status.Allows(ActivityChange) {
			return Errorf(ECONFLICT, "posts of an archived experiment cannot be deleted")
		}
		return tx.DeletePost(p.WorkspaceID, id)
	})
}
