package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"postlab"
	"postlab/api"
	"postlab/demo"
	"postlab/store"
	"postlab/store/storetest"
)

// demoNow is when the demo is loaded and read in these tests.
var demoNow = demo.ReferenceNow

// TestDemoReports loads the demo into an empty database and reads its reports as a newcomer
// would: the evening effect is found, the hashtags make no difference, the format test has
// only begun. Loading it again adds nothing.
func TestDemoReports(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := slowMachine(storetest.Open(t, dialect))
			var out bytes.Buffer
			if err := loadDemo(context.Background(), db, "", demoNow, &out); err != nil {
				t.Fatalf("loadDemo: %v\n%s", err, out.String())
			}
			key := regexp.MustCompile(`pl_[0-9a-f]{48}`).FindString(out.String())
			if key == "" || !strings.Contains(out.String(), `workspace "default"`) {
				t.Fatalf("demo in an empty database printed no admin key of a new workspace:\n%s", out.String())
			}
			for _, exp := range []string{"forclimate-timing", "climate-hashtags", "video-vs-photo"} {
				if !strings.Contains(out.String(), exp) {
					t.Errorf("demo output does not name experiment %s:\n%s", exp, out.String())
				}
			}

			h, err := api.NewServer(context.Background(), newServices(db, func() time.Time { return demoNow }), slog.New(slog.DiscardHandler),
				withOpenAPI(api.DefaultOptions()))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			timing := demoReport(t, srv.URL, key, "forclimate-timing")
			if timing.decision != "better" || !timing.final || timing.lift < 0.3 || timing.immature == 0 {
				t.Errorf("forclimate-timing: %+v, want evening better by 30%% or more, final, with immature posts left out", timing)
			}
			hashtags := demoReport(t, srv.URL, key, "climate-hashtags")
			if hashtags.decision != "inconclusive" {
				t.Errorf("climate-hashtags: %+v, want inconclusive", hashtags)
			}
			if format := demoReport(t, srv.URL, key, "video-vs-photo"); format.decision == "better" || format.decision == "worse" {
				t.Errorf("video-vs-photo: %+v, want no verdict after ten days", format)
			}
			res := get(t, srv.URL+"/v1/experiments/video-vs-photo/schedule", key)
			if res.StatusCode != http.StatusOK {
				t.Errorf("video-vs-photo has no posting plan: %d", res.StatusCode)
			}

			out.Reset()
			if err := loadDemo(context.Background(), db, "", demoNow, &out); err != nil ||
				!strings.Contains(out.String(), "already") || strings.Contains(out.String(), "pl_") {
				t.Errorf("second loadDemo = %v, printed:\n%s\nwant nil and that the demo is already there", err, out.String())
			}
			if again := demoReport(t, srv.URL, key, "forclimate-timing"); again != timing {
				t.Errorf("after a second load the report changed: %+v, want %+v", again, timing)
			}
		})
	}
}

// slowMachine lifts the database timeout: these tests are about what the reports say, and a
// shared machine running the race detector can take longer than a production timeout allows
// (the timeout itself is tested in store).
func slowMachine(db *store.DB) *store.DB {
	db.SetTimeout(time.Minute)
	return db
}

func withOpenAPI(o api.Options) api.Options {
	o.OpenAPI = postlab.OpenAPI
	return o
}

type demoVerdict struct {
	decision string
	final    bool
	lift     float64
	immature int
}

// demoReport reads the primary metric's first comparison of an experiment's report.
func demoReport(t *testing.T, base, key, exp string) demoVerdict {
	t.Helper()
	res := get(t, base+"/v1/experiments/"+exp+"/report", key)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var rep struct {
		Metrics []struct {
			Variants []struct {
				NImmature int `json:"n_immature"`
			}
			Comparisons []struct {
				Decision      string
				DecisionFinal bool `json:"decision_final"`
				Lift          *float64
			}
		}
	}
	if err := json.Unmarshal(body, &rep); err != nil || res.StatusCode != http.StatusOK ||
		len(rep.Metrics) == 0 || len(rep.Metrics[0].Comparisons) != 1 {
		t.Fatalf("report of %s: %d %v\n%s", exp, res.StatusCode, err, body)
	}
	m := rep.Metrics[0]
	v := demoVerdict{decision: m.Comparisons[0].Decision, final: m.Comparisons[0].DecisionFinal}
	if m.Comparisons[0].Lift != nil {
		v.lift = *m.Comparisons[0].Lift
	}
	for _, x := range m.Variants {
		v.immature += x.NImmature
	}
	return v
}

func get(t *testing.T, url, key string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestDemoCommand runs `postlab demo --workspace NAME` twice on an SQLite file.
func TestDemoCommand(t *testing.T) {
	vars := env(map[string]string{"DATABASE_URL": t.TempDir() + "/demo.db", "POSTLAB_DB_TIMEOUT": "1m"})
	for i, want := range []string{"Loaded the demo campaign", "already"} {
		var out, logs bytes.Buffer
		if err := run(context.Background(), []string{"demo", "--workspace", "ifrc"}, vars, &out, &logs); err != nil {
			t.Fatalf("run %d of postlab demo: %v\n%s", i+1, err, logs.String())
		}
		if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), `workspace "ifrc"`) {
			t.Errorf("run %d of postlab demo printed:\n%s\nwant %q in workspace ifrc", i+1, out.String(), want)
		}
	}
}

// TestDemoMatchesR holds the primary comparison of the demo's two mature experiments against
// R's answers (demo/testdata/demo_reference.R, on the posts of demo/testdata/demo_posts.csv,
// which demo's own test keeps equal to the generator's).
func TestDemoMatchesR(t *testing.T) {
	want := readExpected(t, "../../demo/testdata/demo_expected.tsv")
	db := slowMachine(storetest.Open(t, store.DialectSQLite))
	var out bytes.Buffer
	if err := loadDemo(context.Background(), db, "", demo.ReferenceNow, &out); err != nil {
		t.Fatalf("loadDemo: %v", err)
	}
	key := regexp.MustCompile(`pl_[0-9a-f]{48}`).FindString(out.String())
	h, err := api.NewServer(context.Background(), newServices(db, func() time.Time { return demo.ReferenceNow }),
		slog.New(slog.DiscardHandler), withOpenAPI(api.DefaultOptions()))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for exp, fields := range want {
		res := get(t, srv.URL+"/v1/experiments/"+exp+"/report", key)
		var rep struct {
			Metrics []struct {
				Comparisons []map[string]any
			}
		}
		err := json.NewDecoder(res.Body).Decode(&rep)
		res.Body.Close()
		if err != nil || len(rep.Metrics) == 0 || len(rep.Metrics[0].Comparisons) != 1 {
			t.Fatalf("report of %s: %v", exp, err)
		}
		got := rep.Metrics[0].Comparisons[0]
		looks, _ := got["looks"].([]any)
		for field, w := range fields {
			var g any
			if i, name, ok := lookField(field); ok {
				if i >= len(looks) {
					t.Errorf("%s: the report has %d looks, R has %s", exp, len(looks), field)
					continue
				}
				g = looks[i].(map[string]any)[name]
			} else {
				g = got[field]
			}
			if !sameValue(g, w) {
				t.Errorf("%s %s = %v, want R's %s", exp, field, g, w)
			}
		}
		if n := countLooks(fields); len(looks) != n {
			t.Errorf("%s: the report has %d looks, R has %d", exp, len(looks), n)
		}
	}
}

// readExpected reads experiment <TAB> field <TAB> value lines.
func readExpected(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("%s: bad line %q", path, line)
		}
		if out[f[0]] == nil {
			out[f[0]] = map[string]string{}
		}
		out[f[0]][f[1]] = strings.TrimSpace(f[2])
	}
	return out
}

var lookRE = regexp.MustCompile(`^looks\[(\d+)\]\.(\w+)$`)

func lookField(field string) (int, string, bool) {
	m := lookRE.FindStringSubmatch(field)
	if m == nil {
		return 0, "", false
	}
	i, _ := strconv.Atoi(m[1])
	return i, m[2], true
}

func countLooks(fields map[string]string) int {
	n := 0
	for f := range fields {
		if _, name, ok := lookField(f); ok && name == "p_value" {
			n++
		}
	}
	return n
}

// sameValue compares a JSON value with R's text: numbers to a relative error of 1e-6
// (absolute 1e-9 near zero), the rest as text.
func sameValue(got any, want string) bool {
	switch g := got.(type) {
	case float64:
		w, err := strconv.ParseFloat(want, 64)
		return err == nil && math.Abs(g-w) <= math.Max(1e-9, 1e-6*math.Abs(w))
	case bool:
		return strconv.FormatBool(g) == want
	case string:
		return g == want
	case nil:
		return want == "NA"
	}
	return false
}
