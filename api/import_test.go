package api_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"postlab/api"
	"postlab/experiments"
)

const genericCSV = `external_id,variant_key,account,posted_at,observed_at,views,likes
a1,evening,ifrc,2026-09-14T17:05:00Z,2026-09-15T17:05:00Z,1000,50
a1,evening,ifrc,2026-09-14T17:05:00Z,2026-09-16T17:05:00Z,1500,
a2,morning,ifrc,2026-09-14T07:05:00Z,2026-09-15T07:05:00Z,800,40
a3,morning,kenyaredcross,2026-09-15T07:05:00Z,2026-09-16T07:05:00Z,,12
`

func (e *env) importRaw(exp, query, contentType, body string) *response {
	e.t.Helper()
	return e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/import" + query, key: e.editor, raw: body,
		headers: map[string]string{"Content-Type": contentType}})
}

type importAnswer struct {
	Rows, Written, Skipped, Failed int
	PostsCreated                   int  `json:"posts_created"`
	DryRun                         bool `json:"dry_run"`
	Format                         string
	Failures                       []experiments.ImportFailure
}

func TestImportGenericCSV(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp, _, _ := e.running("imports")
		var got importAnswer
		e.importRaw(exp, "?dry_run=true", "text/csv", genericCSV).want(http.StatusOK).decode(&got)
		if got.Rows != 4 || got.Written != 4 || got.PostsCreated != 3 || got.Failed != 0 || !got.DryRun || got.Format != "csv" {
			t.Errorf("dry run = %+v, want 4 rows, 4 written, 3 posts", got)
		}
		var posts struct{ Items []experiments.Post }
		e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/posts", key: e.viewer}).want(http.StatusOK).decode(&posts)
		if len(posts.Items) != 0 {
			t.Fatalf("a dry run wrote %d posts", len(posts.Items))
		}

		e.importRaw(exp, "", "text/csv", genericCSV).want(http.StatusOK).decode(&got)
		if got.Written != 4 || got.PostsCreated != 3 || got.Skipped != 0 || got.DryRun {
			t.Errorf("import = %+v, want 4 written, 3 posts created", got)
		}
		e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/posts?account=ifrc", key: e.viewer}).want(http.StatusOK).decode(&posts)
		if len(posts.Items) != 2 {
			t.Errorf("ifrc posts after import = %d, want 2", len(posts.Items))
		}
		var snaps struct{ Items []experiments.Snapshot }
		e.do(call{method: "GET", path: "/v1/posts/" + posts.Items[0].ID + "/snapshots", key: e.viewer}).want(http.StatusOK).decode(&snaps)
		if len(snaps.Items) != 2 || snaps.Items[1].Likes != nil || *snaps.Items[1].Views != 1500 {
			t.Errorf("imported snapshots of a1 = %s, want 1000/50 then 1500 with likes unknown", snapshotsText(snaps.Items))
		}

		// The same file again writes nothing new.
		e.importRaw(exp, "", "text/csv", genericCSV).want(http.StatusOK).decode(&got)
		if got.Written != 0 || got.Skipped != 4 || got.PostsCreated != 0 {
			t.Errorf("re-import = %+v, want 0 written, 4 skipped", got)
		}
		// A changed number is written; the rest skipped.
		changed := strings.Replace(genericCSV, "800,40", "900,40", 1)
		e.importRaw(exp, "", "text/csv", changed).want(http.StatusOK).decode(&got)
		if got.Written != 1 || got.Skipped != 3 {
			t.Errorf("import with one change = %+v, want 1 written, 3 skipped", got)
		}
	})
}

func TestImportFailuresWriteNothingUnlessPartial(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp, _, _ := e.running("bad-imports")
		bad := genericCSV +
			"b1,noon,ifrc,2026-09-14T17:05:00Z,2026-09-15T17:05:00Z,10,1\n" + // line 6: no such variant
			"b2,evening,ifrc,2026-09-14T17:05:00Z,2026-09-13T17:05:00Z,10,1\n" + // line 7: observed before posted
			"b3,evening,ifrc,2026-09-14T17:05:00Z,2026-09-15T17:05:00Z,-4,1\n" + // line 8: negative views
			"b4\xff\xfe,evening,ifrc,2026-09-14T17:05:00Z,2026-09-15T17:05:00Z,4,1\n" // line 9: not UTF-8
		r := e.importRaw(exp, "", "text/csv", bad)
		p := r.problem(http.StatusUnprocessableEntity, "line 6")
		for _, line := range []string{"line 7", "line 8", "line 9"} {
			found := false
			for _, f := range p.Errors {
				found = found || f.Field == line
			}
			if !found {
				t.Errorf("failed import does not name %s: %s", line, r.Body)
			}
		}
		var posts struct{ Items []experiments.Post }
		e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/posts", key: e.viewer}).want(http.StatusOK).decode(&posts)
		if len(posts.Items) != 0 {
			t.Fatalf("a failed import wrote %d posts", len(posts.Items))
		}
		var got importAnswer
		e.importRaw(exp, "?partial=true", "text/csv", bad).want(http.StatusOK).decode(&got)
		if got.Rows != 8 || got.Written != 4 || got.Failed != 4 || len(got.Failures) != 4 {
			t.Errorf("partial import = %+v, want 8 rows, 4 written, 4 failed", got)
		}
		for _, f := range got.Failures {
			if f.Line < 6 || f.Reason == "" {
				t.Errorf("failure %+v: want a line from 6 to 9 and a reason", f)
			}
		}
		e.importRaw(exp, "?format=xml", "text/csv", bad).problem(http.StatusBadRequest, "format")
		e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/import", key: e.editor, specInvalid: true,
			headers: map[string]string{"Content-Type": "text/csv"}}).problem(http.StatusUnprocessableEntity, "file")
	})
}

func TestImportTikTokStudioWithHashtagRules(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp, _, _ := e.running("tiktok-import")
		file, err := os.ReadFile("testdata/tiktok_content.csv")
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		form := multipart.NewWriter(&body)
		form.WriteField("mapping", `{"hashtag_rules": [{"hashtag": "#Evening", "variant_key": "evening"}, {"hashtag": "Morning", "variant_key": "morning"}]}`)
		part, _ := form.CreateFormFile("file", "Content.csv")
		part.Write(file)
		form.Close()
		q := "?account=" + url.QueryEscape("redcross.climate") + "&timezone=Europe/Zurich"
		var got importAnswer
		e.importRaw(exp, q, form.FormDataContentType(), body.String()).want(http.StatusOK).decode(&got)
		if got.Format != "tiktok" || got.Rows != 3 || got.Written != 3 || got.PostsCreated != 3 || got.Failed != 0 {
			t.Fatalf("TikTok import = %+v, want 3 posts written", got)
		}
		var posts struct{ Items []experiments.Post }
		e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/posts?variant=evening", key: e.viewer}).want(http.StatusOK).decode(&posts)
		if len(posts.Items) != 2 {
			t.Fatalf("evening posts = %d, want 2 (matched by #Evening)", len(posts.Items))
		}
		i := slices.IndexFunc(posts.Items, func(p experiments.Post) bool { return p.ExternalID == "7453531772570778701" })
		if i < 0 {
			t.Fatalf("evening posts %+v lack video 7453531772570778701", posts.Items)
		}
		p := posts.Items[i]
		// The video id's top 32 bits carry the exact post time:
		// 7453531772570778701 >> 32 = 1735410600 s = 2024-12-28T18:30:00Z.
		if got := p.PostedAt.UTC().Format(time.RFC3339); got != "2024-12-28T18:30:00Z" {
			t.Errorf("posted_at from the video id = %s, want 2024-12-28T18:30:00Z", got)
		}
		var snaps struct{ Items []experiments.Snapshot }
		e.do(call{method: "GET", path: "/v1/posts/" + p.ID + "/snapshots", key: e.viewer}).want(http.StatusOK).decode(&snaps)
		if len(snaps.Items) != 1 {
			t.Fatalf("video 7453531772570778701 has %d snapshots, want 1", len(snaps.Items))
		}
		s := snaps.Items[0]
		if *s.Views != 1200000 || *s.Likes != 5431 || *s.Comments != 1200 || *s.Shares != 312 {
			t.Errorf("snapshot = views %v likes %v comments %v shares %v, want 1.2M, 5,431, 1.2K, 312", *s.Views, *s.Likes, *s.Comments, *s.Shares)
		}
	})
}

func TestImportBodyLimit(t *testing.T) {
	opts := api.DefaultOptions()
	opts.ImportBodyLimit = "2K"
	e := newEnv(t, "sqlite", opts)
	exp, _, _ := e.running("limit")
	e.importRaw(exp, "", "text/csv", genericCSV+strings.Repeat("a9,evening,ifrc,2026-09-14T17:05:00Z,2026-09-15T17:05:00Z,1,1\n", 100)).
		problem(http.StatusRequestEntityTooLarge, "")
	// Below the limit the same endpoint still works.
	e.importRaw(exp, "", "text/csv", genericCSV).want(http.StatusOK)
}

func TestImportInstagramExport(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp := e.experiment("ig")
		e.variant(exp, "morning", true, "morning")
		e.variant(exp, "evening", false, "evening")
		file, err := os.ReadFile("testdata/instagram_posts.csv")
		if err != nil {
			t.Fatal(err)
		}
		mapping := url.QueryEscape(`{"variants": {"18045123456789013": "morning"}, "hashtag_rules": [{"hashtag": "Evening", "variant_key": "evening"}]}`)
		q := "?platform=instagram&timezone=Europe/Zurich&observed_at=2026-09-20T12:00:00Z&mapping=" + mapping
		var got importAnswer
		e.importRaw(exp, q, "text/csv", string(file)).want(http.StatusOK).decode(&got)
		if got.Format != "instagram" || got.Written != 2 || got.PostsCreated != 2 {
			t.Fatalf("Instagram import = %+v, want 2 posts written", got)
		}
		var posts struct{ Items []experiments.Post }
		e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/posts?variant=morning", key: e.viewer}).want(http.StatusOK).decode(&posts)
		if len(posts.Items) != 1 || posts.Items[0].Platform != "instagram" || posts.Items[0].LoggedInDraft != true {
			t.Fatalf("morning posts = %+v, want the one instagram post, logged while draft", posts.Items)
		}
		if got := posts.Items[0].PostedAt.UTC().Format(time.RFC3339); got != "2026-09-17T07:00:00Z" {
			t.Errorf("posted_at = %s, want 09:00 in Zurich = 2026-09-17T07:00:00Z", got)
		}
		var snaps struct{ Items []experiments.Snapshot }
		e.do(call{method: "GET", path: "/v1/posts/" + posts.Items[0].ID + "/snapshots", key: e.viewer}).want(http.StatusOK).decode(&snaps)
		s := snaps.Items[0]
		if s.ObservedAt.Format(time.RFC3339) != "2026-09-20T12:00:00Z" || *s.Views != 5120 || *s.Reach != 4100 || s.Shares != nil || s.FollowersGained != nil {
			t.Errorf("snapshot = %s views %v reach %v shares %v follows %v, want the export time, 5120, 4100 and unknown shares and follows",
				s.ObservedAt, *s.Views, *s.Reach, s.Shares, s.FollowersGained)
		}
	})
}
