package faulttest

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// long reports whether the long forms of the fault tests were asked for.
func long() bool { return os.Getenv("POSTLAB_FAULT_LONG") != "" }

// dbTimeout is the POSTLAB_DB_TIMEOUT the fault tests run postlab with; outageBound is how
// long a request may take to be answered while the database is away.
const (
	dbTimeout   = 2 * time.Second
	outageBound = dbTimeout + 2*time.Second
)

// writeLog is what the writers saw.
type writeLog struct {
	mu           sync.Mutex
	acked        []string        // external ids whose creation was answered 201 (or 409: done before)
	outage       []answer        // answers while the database was down
	unexpected   []string        // answers that are neither 2xx, 409 nor 503
	firstOK      time.Time       // the first 2xx after the database came back
	back         time.Time       // when it came back
	down         atomic.Bool     // the database is down
	statusCounts map[int]int     // every status seen
	noAnswer     int             // requests without an answer (postlab itself unreachable)
	retries      map[string]bool // ids that needed a retry
}

func (l *writeLog) record(id string, a answer, began time.Time) (done bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a.err != nil {
		l.noAnswer++
		return false
	}
	l.statusCounts[a.status]++
	if l.down.Load() {
		l.outage = append(l.outage, a)
	}
	if a.status < 300 && !l.back.IsZero() && l.firstOK.IsZero() && began.After(l.back) {
		l.firstOK = time.Now()
	}
	switch {
	case a.status == http.StatusCreated, a.status == http.StatusConflict:
		// 409: a try whose answer was lost had written the post; it is there, once.
		l.acked = append(l.acked, id)
		return true
	case a.status == http.StatusServiceUnavailable:
		l.retries[id] = true
		return false
	}
	l.unexpected = append(l.unexpected, fmt.Sprintf("%s: %d %s", id, a.status, a.body))
	return true
}

// The database crashes under a write load and comes back: postlab answers 503 (with
// Retry-After, within the bound) while it is away, recovers by itself when it returns, and
// every write it acknowledged is there exactly once.
func TestDatabaseCrashUnderWriteLoad(t *testing.T) {
	pg := startCluster(t)
	dbURL := pg.createDatabase("postlab")
	inst := startPostlab(t, dbURL, "POSTLAB_DB_TIMEOUT="+dbTimeout.String())
	if inst.key == "" {
		t.Fatalf("postlab printed no admin key on an empty database\n%s", inst.logs())
	}
	c := newClient(inst.url, inst.key, 30*time.Second)
	exp, variants := c.runningExperiment(t, "crash")

	crashes, writers, downFor := 1, 8, 3*time.Second
	if long() {
		crashes = 3
	}
	log := &writeLog{statusCounts: map[int]int{}, retries: map[string]bool{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, n)
				body := map[string]any{"variant_id": variants[n%2], "account": "ifrc", "external_id": id,
					"posted_at": "2026-09-14T17:05:00Z"}
				// The client retries until it has an answer that is not 503, as a client told
				// Retry-After would (sooner, to measure the recovery).
				for {
					began := time.Now()
					if log.record(id, c.do("POST", "/v1/experiments/"+exp+"/posts", body), began) {
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	var recoveries []time.Duration
	for range crashes {
		time.Sleep(time.Second)
		pg.crash()
		log.down.Store(true)
		time.Sleep(downFor)
		log.mu.Lock()
		log.firstOK = time.Time{}
		log.mu.Unlock()
		pg.start()
		log.mu.Lock()
		log.back = time.Now()
		log.mu.Unlock()
		log.down.Store(false)
		deadline := time.Now().Add(15 * time.Second)
		for {
			log.mu.Lock()
			first, back := log.firstOK, log.back
			log.mu.Unlock()
			if !first.IsZero() {
				recoveries = append(recoveries, first.Sub(back))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no request succeeded within 15s of the database's return\n%s", inst.logs())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	select {
	case err := <-inst.exited:
		t.Fatalf("postlab exited during the outage: %v\n%s", err, inst.logs())
	default:
	}
	stored := c.allPosts(t, exp)
	count := map[string]int{}
	for _, id := range stored {
		count[id]++
	}
	lost, duplicates := 0, 0
	for _, id := range log.acked {
		if count[id] == 0 {
			lost++
		}
	}
	for _, n := range count {
		if n > 1 {
			duplicates += n - 1
		}
	}
	var slowest time.Duration
	var missingRetryAfter, outage503 int
	for _, a := range log.outage {
		if a.status == http.StatusServiceUnavailable {
			outage503++
			slowest = max(slowest, a.took)
			if a.header.Get("Retry-After") == "" || a.header.Get("Content-Type") != "application/problem+json" {
				missingRetryAfter++
			}
		}
	}
	t.Logf("%d crashes of %s under %d writers: %d writes acknowledged, %d stored, %d lost, %d duplicates; "+
		"%d answers during the outages (%d × 503, slowest %s); time to the first 2xx after the database returned: %v; statuses %v",
		crashes, downFor, writers, len(log.acked), len(stored), lost, duplicates, len(log.outage), outage503,
		slowest.Round(time.Millisecond), recoveries, log.statusCounts)
	if lost != 0 || duplicates != 0 {
		t.Errorf("%d acknowledged writes lost, %d duplicates; want 0 and 0", lost, duplicates)
	}
	if outage503 == 0 {
		t.Errorf("no request was answered 503 while the database was down")
	}
	if slowest > outageBound {
		t.Errorf("a 503 during the outage took %s, want at most %s", slowest, outageBound)
	}
	if missingRetryAfter > 0 {
		t.Errorf("%d answers 503 without Retry-After or problem+json", missingRetryAfter)
	}
	if len(log.unexpected) > 0 {
		t.Errorf("%d unexpected answers, e.g. %v", len(log.unexpected), log.unexpected[:min(3, len(log.unexpected))])
	}
	if log.noAnswer > 0 {
		t.Errorf("%d requests got no answer from postlab", log.noAnswer)
	}
	if slices.Max(recoveries) > 5*time.Second {
		t.Errorf("first 2xx %v after the database returned, want within 5s", recoveries)
	}
}
