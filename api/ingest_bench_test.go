package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"postlab/api"
)

// BenchmarkIngest measures bulk snapshot writes on PostgreSQL, in rows per second:
// 100,000 snapshots through POST /v1/snapshots:batch (10 requests of 10,000) and the same
// through one CSV import. Compare with `\copy` of the same rows in psql (see README).
func BenchmarkIngest(b *testing.B) {
	const posts, perPost = 10000, 10
	opts := api.DefaultOptions()
	opts.RateLimit = 0
	e := newEnv(b, "postgres", opts)
	exp, _, _ := e.running("ingest")
	base := time.Date(2026, 9, 14, 12, 0, 0, 0, time.UTC)

	// One CSV row per post creates the posts that the batches then write to.
	var seed strings.Builder
	seed.WriteString("external_id,variant_key,account,posted_at,observed_at,views\n")
	for i := range posts {
		fmt.Fprintf(&seed, "p%d,%s,ifrc,%s,%s,0\n", i, []string{"morning", "evening"}[i%2],
			base.Format(time.RFC3339), base.Format(time.RFC3339))
	}
	e.importRaw(exp, "", "text/csv", seed.String()).want(http.StatusOK)

	round := 0
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			round++
			for req := range perPost {
				snaps := make([]map[string]any, 0, posts)
				at := base.Add(time.Duration(round*perPost+req) * time.Hour).Format(time.RFC3339)
				for i := range posts {
					snaps = append(snaps, map[string]any{"platform": "tiktok", "external_id": fmt.Sprintf("p%d", i),
						"observed_at": at, "views": i * 10, "likes": i, "comments": 3, "shares": 2, "saves": 1})
				}
				body, err := json.Marshal(map[string]any{"snapshots": snaps})
				if err != nil {
					b.Fatal(err)
				}
				// The contract check of a 10,000-row body would cost more than the write: skip it here.
				e.do(call{method: "POST", path: "/v1/snapshots:batch", key: e.editor, raw: string(body),
					outsideContract: true, headers: map[string]string{"Content-Type": "application/json"}}).want(http.StatusOK)
			}
		}
		b.ReportMetric(float64(posts*perPost*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("csv", func(b *testing.B) {
		for b.Loop() {
			round++
			var csv strings.Builder
			csv.WriteString("external_id,variant_key,account,posted_at,observed_at,views,likes,comments,shares,saves\n")
			for h := range perPost {
				at := base.Add(time.Duration(round*perPost+h) * time.Hour).Format(time.RFC3339)
				for i := range posts {
					fmt.Fprintf(&csv, "p%d,,ifrc,%s,%s,%d,%d,3,2,1\n", i, base.Format(time.RFC3339), at, i*10, i)
				}
			}
			e.importRaw(exp, "", "text/csv", csv.String()).want(http.StatusOK)
		}
		b.ReportMetric(float64(posts*perPost*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
