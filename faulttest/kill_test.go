package faulttest

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// databases gives each kill test a fresh database of each dialect: a throwaway PostgreSQL
// cluster's, and an SQLite file.
func databases(t *testing.T) map[string]string {
	t.Helper()
	pg := startCluster(t)
	return map[string]string{
		"postgres": pg.createDatabase("postlab"),
		"sqlite":   filepath.Join(t.TempDir(), "postlab.db"),
	}
}

// killWhileWriting sends write (a request whose answer takes took when nothing goes wrong)
// and kills postlab with SIGKILL after delay; it returns whether an answer came first.
func killWhileWriting(t *testing.T, inst *instance, delay time.Duration, write func() answer) bool {
	t.Helper()
	done := make(chan answer, 1)
	go func() { done <- write() }()
	time.Sleep(delay)
	inst.signal(syscall.SIGKILL)
	_ = inst.wait(10 * time.Second)
	a := <-done
	return a.err == nil && a.status != 0
}

// killDelays are the moments, as shares of an undisturbed run, at which postlab is killed.
func killDelays(undisturbed time.Duration) []time.Duration {
	shares := []float64{0.5}
	if long() {
		shares = []float64{0.1, 0.3, 0.5, 0.7, 0.9}
	}
	out := make([]time.Duration, len(shares))
	for i, s := range shares {
		out[i] = time.Duration(float64(undisturbed) * s)
	}
	return out
}

// SIGKILL of postlab in the middle of a 10,000-snapshot batch leaves all of it or none.
func TestKillDuringBatchLeavesAllOrNothing(t *testing.T) {
	for dialect, dbURL := range databases(t) {
		t.Run(dialect, func(t *testing.T) {
			inst := startPostlab(t, dbURL)
			c := newClient(inst.url, inst.key, 5*time.Minute)
			exp, variants := c.runningExperiment(t, "kill-batch")
			const posts, perPost = 20, 500
			postIDs := c.logPosts(t, exp, variants, posts, "kb-")
			// Attempt k writes its snapshots in its own hours, so each attempt is counted apart.
			batch := func(attempt int) map[string]any {
				snaps := make([]map[string]any, 0, posts*perPost)
				base := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(attempt) * 1000 * time.Hour)
				for _, id := range postIDs {
					for j := range perPost {
						snaps = append(snaps, map[string]any{"post_id": id, "observed_at": base.Add(time.Duration(j) * time.Minute).Format(time.RFC3339), "views": j})
					}
				}
				return map[string]any{"snapshots": snaps}
			}
			began := time.Now()
			c.must(t, http.StatusOK, "POST", "/v1/snapshots:batch", batch(0), nil)
			undisturbed := time.Since(began)
			delays := killDelays(undisturbed)
			answered := make([]bool, len(delays))
			for k, delay := range delays {
				body := batch(k + 1)
				answered[k] = killWhileWriting(t, inst, delay, func() answer { return c.do("POST", "/v1/snapshots:batch", body) })
				inst = startPostlab(t, dbURL)
				c = newClient(inst.url, c.key, 5*time.Minute)
			}
			counts := make([]int, len(delays)+1)
			for _, id := range postIDs {
				for _, at := range snapshotTimes(t, c, id) {
					counts[int(at.Sub(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))/(1000*time.Hour))]++
				}
			}
			t.Logf("%s: undisturbed 10,000-snapshot batch took %s; killed at %v: snapshots kept per attempt %v (answered before the kill: %v)",
				dialect, undisturbed.Round(time.Millisecond), delays, counts[1:], answered)
			if counts[0] != posts*perPost {
				t.Errorf("the undisturbed batch kept %d snapshots, want %d", counts[0], posts*perPost)
			}
			for k, n := range counts[1:] {
				if n != 0 && n != posts*perPost {
					t.Errorf("batch killed after %s kept %d of %d snapshots, want all or none", delays[k], n, posts*perPost)
				}
				if answered[k] && n == 0 {
					t.Errorf("batch killed after %s was answered, yet kept nothing", delays[k])
				}
			}
		})
	}
}

// snapshotTimes lists the observation times of a post's snapshots.
func snapshotTimes(t *testing.T, c *client, postID string) []time.Time {
	t.Helper()
	var out []time.Time
	for _, s := range listAll[struct {
		ObservedAt time.Time `json:"observed_at"`
	}](t, c, "/v1/posts/"+postID+"/snapshots?limit=500") {
		out = append(out, s.ObservedAt)
	}
	return out
}

// SIGKILL of postlab in the middle of a 50,000-row import leaves all of it or none.
func TestKillDuringImportLeavesAllOrNothing(t *testing.T) {
	for dialect, dbURL := range databases(t) {
		t.Run(dialect, func(t *testing.T) {
			inst := startPostlab(t, dbURL)
			c := newClient(inst.url, inst.key, 5*time.Minute)
			exp, _ := c.runningExperiment(t, "kill-import")
			const posts, perPost = 10000, 5
			file := func(attempt int) string {
				var b strings.Builder
				b.WriteString("external_id,variant_key,account,posted_at,observed_at,views\n")
				for i := range posts {
					variant := []string{"morning", "evening"}[i%2]
					for j := range perPost {
						fmt.Fprintf(&b, "a%d-%d,%s,ifrc,2026-01-01T00:00:00Z,2026-01-0%dT00:00:00Z,%d\n", attempt, i, variant, j+2, i*j)
					}
				}
				return b.String()
			}
			began := time.Now()
			a := c.do("POST", "/v1/experiments/"+exp+"/import", file(0))
			if a.status != http.StatusOK {
				t.Fatalf("undisturbed import = %d %v: %.300s", a.status, a.err, a.body)
			}
			undisturbed := time.Since(began)
			delays := killDelays(undisturbed)
			answered := make([]bool, len(delays))
			for k, delay := range delays {
				body := file(k + 1)
				answered[k] = killWhileWriting(t, inst, delay, func() answer {
					return c.do("POST", "/v1/experiments/"+exp+"/import", body)
				})
				inst = startPostlab(t, dbURL)
				c = newClient(inst.url, c.key, 5*time.Minute)
			}
			counts := make([]int, len(delays)+1)
			for _, id := range c.allPosts(t, exp) {
				var attempt int
				if _, err := fmt.Sscanf(id, "a%d-", &attempt); err == nil {
					counts[attempt]++
				}
			}
			t.Logf("%s: undisturbed 50,000-row import took %s; killed at %v: posts kept per attempt %v (answered before the kill: %v)",
				dialect, undisturbed.Round(time.Millisecond), delays, counts[1:], answered)
			if counts[0] != posts {
				t.Errorf("the undisturbed import kept %d posts, want %d", counts[0], posts)
			}
			for k, n := range counts[1:] {
				if n != 0 && n != posts {
					t.Errorf("import killed after %s kept %d of %d posts, want all or none", delays[k], n, posts)
				}
				if answered[k] && n == 0 {
					t.Errorf("import killed after %s was answered, yet kept nothing", delays[k])
				}
			}
		})
	}
}
