package store_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"postlab/experiments"
	"postlab/report"
	"postlab/store"
	"postlab/store/storetest"
)

// TestHorizonSnapshots checks that each post's bracket holds, per value, the last snapshot at
// or before the horizon where the value is known and the first at or after it, to the
// microsecond, on both databases.
func TestHorizonSnapshots(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)
		p1 := seedPost(t, db, w.control, "1") // posted at at(0), with its microseconds
		p2 := seedPost(t, db, w.treatment, "2")
		p3 := seedPost(t, db, w.treatment, "3") // no snapshots
		p4 := newPost(w.treatment, "5")         // posted on a whole second
		p4.PostedAt = time.Date(2026, 9, 14, 17, 5, 0, 0, time.UTC)
		inTx(t, db, func(tx experiments.Tx) error { return tx.InsertPost(p4) })
		other := seedExperiment(t, db, w.ws.ID, "other")
		otherPost := seedPost(t, db, seedVariant(t, db, other, "x", true), "4")
		us := time.Microsecond
		snap := func(p experiments.Post, d time.Duration, views, likes *int64, custom map[string]float64) experiments.Snapshot {
			s := experiments.Snapshot{PostID: p.ID, WorkspaceID: w.ws.ID, ObservedAt: p.PostedAt.Add(d), Metrics: experiments.Metrics{Views: views, Likes: likes},
				Custom: custom}
			if likes != nil {
				s.Comments, s.Shares, s.Saves = ptr(int64(1)), ptr(int64(2)), ptr(int64(3))
			}
			return s
		}
		n := func(v int64) *int64 { return &v }
		inTx(t, db, func(tx experiments.Tx) error {
			return upsert(tx, []experiments.Snapshot{
				snap(p1, 2*time.Hour, n(10), n(1), map[string]float64{"duets": 1}),
				snap(p1, 24*time.Hour-us, n(100), nil, nil), // a microsecond before H: likes unknown
				snap(p1, 24*time.Hour+us, n(120), nil, map[string]float64{"duets": 2.5}),
				snap(p1, 30*time.Hour, n(150), n(15), nil),
				snap(p2, 24*time.Hour, n(200), n(20), nil), // exactly at H
				snap(p2, 60*time.Hour, nil, n(40), nil),
				snap(otherPost, 24*time.Hour, n(999), nil, nil),
				snap(p4, 24*time.Hour-500*time.Millisecond, n(7), nil, nil),
				snap(p4, 24*time.Hour+250*time.Millisecond, n(8), nil, nil),
			})
		})
		read := func(r experiments.Reading) string {
			if !r.Found {
				return "-"
			}
			return fmt.Sprintf("%v@%v", r.Value, r.ObservedAt.Sub(at(0))) // at(0) is 17:05:00.123456
		}
		values := []string{"views", "engagements", "custom.duets", "likes"}
		brackets := func(q experiments.HorizonQuery) (posts []string, got []string) {
			q.ExperimentID, q.Values = w.exp.ID, values
			var data experiments.HorizonData
			inTx(t, db, func(tx experiments.Tx) (err error) {
				data, err = tx.HorizonSnapshots(w.ws.ID, q)
				return err
			})
			order := make([]int, len(data.Posts))
			for i := range order {
				order[i] = i
			}
			sort.Slice(order, func(a, b int) bool { return data.Posts[order[a]].ID < data.Posts[order[b]].ID })
			for _, i := range order {
				p := data.Posts[i]
				posts = append(posts, p.ID)
				for k, v := range values {
					b := data.Bracket(i, k, len(values))
					got = append(got, fmt.Sprintf("%s %s: %s %s", p.ID[len(p.ID)-4:], v, read(b.Before), read(b.After)))
				}
			}
			return posts, got
		}
		short := func(p experiments.Post) string { return p.ID[len(p.ID)-4:] }
		posts, got := brackets(experiments.HorizonQuery{Horizon: 24 * time.Hour})
		if want := []string{p1.ID, p2.ID, p3.ID, p4.ID}; !cmp.Equal(posts, want) {
			t.Errorf("posts = %v, want the experiment's four %v", posts, want)
		}
		want := []string{
			short(p1) + " views: 100@23h59m59.999999s 120@24h0m0.000001s",
			short(p1) + " engagements: 7@2h0m0s 21@30h0m0s",
			short(p1) + " custom.duets: 1@2h0m0s 2.5@24h0m0.000001s",
			short(p1) + " likes: 1@2h0m0s 15@30h0m0s",
			short(p2) + " views: 200@24h0m0s 200@24h0m0s",
			short(p2) + " engagements: 26@24h0m0s 26@24h0m0s",
			short(p2) + " custom.duets: - -",
			short(p2) + " likes: 20@24h0m0s 20@24h0m0s",
			short(p3) + " views: - -",
			short(p3) + " engagements: - -",
			short(p3) + " custom.duets: - -",
			short(p3) + " likes: - -",
			short(p4) + " views: 7@23h59m59.376544s 8@24h0m0.126544s",
			short(p4) + " engagements: - -",
			short(p4) + " custom.duets: - -",
			short(p4) + " likes: - -",
		}
		if !cmp.Equal(got, want) {
			t.Errorf("brackets at 24 h:\n%s", cmp.Diff(want, got))
		}
		_, got = brackets(experiments.HorizonQuery{Latest: true})
		want = []string{
			short(p1) + " views: 150@30h0m0s -",
			short(p1) + " engagements: 21@30h0m0s -",
			short(p1) + " custom.duets: 2.5@24h0m0.000001s -",
			short(p1) + " likes: 15@30h0m0s -",
			short(p2) + " views: 200@24h0m0s -",
			short(p2) + " engagements: 46@60h0m0s -",
			short(p2) + " custom.duets: - -",
			short(p2) + " likes: 40@60h0m0s -",
		}
		if got := got[:8]; !cmp.Equal(got, want) {
			t.Errorf("brackets under latest:\n%s", cmp.Diff(want, got))
		}
		// Another workspace sees nothing of the experiment.
		ws2 := seedWorkspace(t, db)
		inTx(t, db, func(tx experiments.Tx) error {
			data, err := tx.HorizonSnapshots(ws2.ID, experiments.HorizonQuery{ExperimentID: w.exp.ID, Values: values, Horizon: time.Hour})
			if err != nil || len(data.Posts) != 0 {
				t.Errorf("HorizonSnapshots(other workspace) = %d posts, %v; want none", len(data.Posts), err)
			}
			return nil
		})
	})
}

// BenchmarkReport measures the report on PostgreSQL at two sizes, beside the floor: PostgreSQL
// alone grouping the same snapshot table by post.
//
//	go test ./store -run '^$' -bench BenchmarkReport -benchtime 5x
//
// floor: SELECT post_id, count(*) FROM snapshots GROUP BY post_id, every row read by the client;
// query: HorizonSnapshots (the experiment's posts, then the bracketing snapshots of views);
// report: the whole report of views, from the request to the last statistic.
func BenchmarkReport(b *testing.B) {
	for _, size := range []struct{ posts, snapshots int }{{1000, 5}, {100000, 10}} {
		b.Run(fmt.Sprintf("posts=%d/snapshots=%d", size.posts, size.snapshots), func(b *testing.B) {
			db, conn, w := benchDatabase(b, size.posts, size.snapshots)
			ctx := context.Background()
			// Each is run once before it is timed: the first run warms the caches (PostgreSQL's
			// buffers and plans, the client's prepared statements and heap).
			floor := func() {
				rows, err := conn.Query(ctx, "SELECT post_id, count(*) FROM snapshots GROUP BY post_id")
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rows.Next() {
					n++
				}
				if rows.Close(); rows.Err() != nil || n != size.posts {
					b.Fatalf("floor read %d groups, %v", n, rows.Err())
				}
			}
			query := func() {
				q := experiments.HorizonQuery{ExperimentID: w.exp.ID, Values: []string{"views"}, Horizon: 24 * time.Hour}
				err := db.Tx(ctx, func(tx experiments.Tx) error {
					data, err := tx.HorizonSnapshots(w.ws.ID, q)
					if err == nil && len(data.Posts) != size.posts {
						err = fmt.Errorf("%d posts", len(data.Posts))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			svc := report.NewService(db, nil)
			report := func() {
				p := experiments.Principal{WorkspaceID: w.ws.ID, Role: experiments.RoleViewer}
				r, err := svc.Report(ctx, p, w.exp.ID, report.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if n := r.Metrics[0].Variants[0].NPosts; n < size.posts/3 {
					b.Fatalf("the control has %d posts in the sample", n)
				}
			}
			// The growth curves: the horizon rule at each of the ladder's ages, one query each.
			growth := func() {
				p := experiments.Principal{WorkspaceID: w.ws.ID, Role: experiments.RoleViewer}
				g, err := svc.Growth(ctx, p, w.exp.ID, "views")
				if err != nil {
					b.Fatal(err)
				}
				if n := len(g.Variants[0].Points); n < 7 {
					b.Fatalf("the control's curve has %d points", n)
				}
			}
			// The list's counts of posts and matured posts.
			counts := func() {
				err := db.Read(ctx, func(tx experiments.Tx) error {
					c, err := tx.PostCounts(w.ws.ID, []string{w.exp.ID}, time.Now())
					if err == nil && c[w.exp.ID].Posts != int64(size.posts) {
						err = fmt.Errorf("counted %d posts", c[w.exp.ID].Posts)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			for _, run := range []struct {
				name string
				fn   func()
			}{{"floor", floor}, {"query", query}, {"report", report}, {"growth", growth}, {"counts", counts}} {
				run.fn()
				b.Run(run.name, func(b *testing.B) {
					for b.Loop() {
						run.fn()
					}
				})
			}
		})
	}
}

// benchDatabase creates a PostgreSQL database with one running experiment of posts × snapshots
// (two variants, five accounts, snapshots every 6 hours with a jitter, likes unknown in the
// first), loaded with generate_series. It returns the store and a plain connection to it.
func benchDatabase(b *testing.B, posts, snapshots int) (*store.DB, *pgx.Conn, world) {
	b.Helper()
	ctx := context.Background()
	server := os.Getenv(storetest.EnvPostgresURL)
	if server == "" {
		server = storetest.DefaultPostgresURL
	}
	name := fmt.Sprintf("postlab_bench_%d_%d", posts, time.Now().UnixNano())
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		b.Fatalf("connect to %s: %v", server, err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = admin.Close(ctx)
	})
	u, _ := url.Parse(server)
	u.Path = "/" + name
	db, err := store.Open(ctx, u.String(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	w := seedWorld(b, db)
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close(ctx) })
	load := []struct {
		sql  string
		args []any
	}{
		// Foreign keys are known to hold here; checking a million of them would only slow the set-up.
		{"SET session_replication_role = replica", nil},
		{`INSERT INTO posts (id, workspace_id, experiment_id, variant_id, platform, account, external_id, posted_at, created_at)
		  SELECT 'p' || lpad(i::text, 7, '0'), $1, $2, CASE WHEN i % 2 = 0 THEN $3 ELSE $4 END, 'tiktok',
		         'account' || (i % 5), i::text, timestamptz '2026-01-01' + i * interval '7 minutes', now()
		  FROM generate_series(1, $5::int) i`, []any{w.ws.ID, w.exp.ID, w.control.ID, w.treatment.ID, posts}},
		{`INSERT INTO snapshots (post_id, workspace_id, observed_at, views, likes, comments, shares, saves)
		  SELECT p.id, p.workspace_id,
		         p.posted_at + (j * 6 + (abs(hashtext(p.id || j)) % 120) / 60.0 - 1) * interval '1 hour',
		         (j * 1000 * (1 + (abs(hashtext(p.id)) % 50) / 10.0) * CASE WHEN p.variant_id = $1 THEN 1.2 ELSE 1 END)::bigint,
		         CASE WHEN j > 1 THEN j * 40 END, j * 4, j * 8, j * 2
		  FROM posts p, generate_series(1, $2::int) j`, []any{w.treatment.ID, snapshots}},
		{"SET session_replication_role = DEFAULT", nil},
		{"ANALYZE", nil},
	}
	for _, l := range load {
		if _, err := conn.Exec(ctx, l.sql, l.args...); err != nil {
			b.Fatalf("load: %v\n%s", err, l.sql)
		}
	}
	return db, conn, w
}
