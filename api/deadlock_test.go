package api_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"

	"postlab/api"
	"postlab/store"
)

// Concurrent batches that write the same posts' snapshots in different orders lock the same
// rows in different orders; PostgreSQL breaks such deadlocks by aborting one transaction. The
// store takes its locks in one order and runs an aborted transaction again: every batch
// succeeds.
func TestConcurrentBatchesInDifferentOrdersAllSucceed(t *testing.T) {
	e := newEnv(t, store.DialectPostgres, api.DefaultOptions())
	exp, control, treatment := e.running("deadlocks")
	const posts, batches = 60, 24
	ids := make([]string, posts)
	for i := range ids {
		ids[i] = e.post(exp, []string{control, treatment}[i%2], fmt.Sprint("dl-", i))
	}
	bodies := make([]map[string]any, batches)
	for b := range bodies {
		order := rand.New(rand.NewPCG(uint64(b), 4)).Perm(posts)
		var snaps []map[string]any
		for _, i := range order {
			for _, at := range []string{"2026-09-15T17:05:00Z", "2026-09-16T17:05:00Z"} {
				snaps = append(snaps, map[string]any{"post_id": ids[i], "observed_at": at, "views": 100*b + i})
			}
		}
		bodies[b] = map[string]any{"snapshots": snaps}
	}
	statuses := make([]int, batches)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for b := range bodies {
		wg.Go(func() {
			<-start
			statuses[b] = e.do(call{method: "POST", path: "/v1/snapshots:batch", key: e.editor, body: bodies[b]}).Status
		})
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusOK] != batches {
		t.Errorf("statuses of %d concurrent batches = %v, want all 200", batches, count)
	}
}
