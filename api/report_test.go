package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"postlab/api"
	"postlab/experiments"
	"postlab/report"
	"postlab/store/storetest"
)

// reportNow is when the reference report is asked: the young posts of the synthetic
// experiment are younger than its 24-hour horizon then (api/testdata/report_reference.R).
var reportNow = time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)

// newClockEnv is newEnv with the service's clock fixed at now.
func newClockEnv(t *testing.T, dialect string, now time.Time) *env {
	t.Helper()
	return newEnvAt(t, dialect, api.DefaultOptions(), func() time.Time { return now })
}

// readCSV reads a testdata CSV into one map per row.
func readCSV(t testing.TB, name string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, col := range rows[0] {
			m[col] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// referencePlan is the synthetic experiment's planned_posts_per_variant (P in report_reference.R).
const referencePlan = 24

// loadReference creates the synthetic experiment of report_reference.R through the API and
// returns its id: three variants with planned weights, posts from three accounts (two logged
// while the experiment was a draft), and their snapshots.
//
// names, when given, replace the variants' names (control, climate-action, photo) in order.
func (e *env) loadReference(names ...string) string {
	t := e.t
	t.Helper()
	exp := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: map[string]any{
		"key": "forclimate-formats", "name": "#ForClimate: hashtags and formats", "platform": "tiktok",
		"hypothesis": "#ClimateAction videos get more views", "primary_metric": "views",
		"secondary_metrics": []string{"engagement_rate", "completion_rate"}, "horizon_hours": 24,
		"factors": []string{"hashtags", "format"}, "planned_posts_per_variant": referencePlan}}).want(http.StatusCreated).field("id")
	for _, v := range []struct {
		key, name, hashtags, format string
		weight                      float64
	}{
		{"control", "Video #ForClimate", "ForClimate", "video", 0.4},
		{"climate-action", "Video #ClimateAction", "ClimateAction", "video", 0.3},
		{"photo", "Photo #ForClimate", "ForClimate", "photo", 0.3},
	} {
		if i := slices.Index([]string{"control", "climate-action", "photo"}, v.key); i < len(names) {
			v.name = names[i]
		}
		e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/variants", key: e.editor, body: map[string]any{
			"key": v.key, "name": v.name, "is_control": v.key == "control", "weight": v.weight,
			"levels": map[string]string{"hashtags": v.hashtags, "format": v.format}}}).want(http.StatusCreated)
	}
	posts := readCSV(t, "report_posts.csv")
	logPost := func(p map[string]string) {
		e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/posts", key: e.editor, body: map[string]any{
			"variant_key": p["variant_key"], "account": p["account"], "external_id": p["external_id"],
			"posted_at": p["posted_at"], "timezone": p["timezone"]}}).want(http.StatusCreated)
	}
	for _, p := range posts {
		if p["draft"] == "1" {
			logPost(p)
		}
	}
	e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/start", key: e.editor}).want(http.StatusOK)
	for _, p := range posts {
		if p["draft"] != "1" {
			logPost(p)
		}
	}
	var snaps []map[string]any
	for _, s := range readCSV(t, "report_snapshots.csv") {
		row := map[string]any{"platform": "tiktok", "external_id": s["external_id"], "observed_at": s["observed_at"]}
		for _, col := range []string{"views", "likes", "comments", "shares", "saves", "completion_rate"} {
			if s[col] == "" {
				continue
			}
			v, err := strconv.ParseFloat(s[col], 64)
			if err != nil {
				t.Fatalf("snapshot %v: %s: %v", s, col, err)
			}
			row[col] = v
		}
		snaps = append(snaps, row)
	}
	e.do(call{method: "POST", path: "/v1/snapshots:batch", key: e.editor, body: map[string]any{"snapshots": snaps}}).want(http.StatusOK)
	return exp
}

// expectation is one line of report_expected.tsv.
type expectation struct{ path, value string }

func readExpected(t *testing.T) []expectation {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "report_expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []expectation
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		path, value, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("report_expected.tsv: bad line %q", sc.Text())
		}
		out = append(out, expectation{path, value})
	}
	return out
}

// idFields name the element of each array the expected paths select, e.g. variants[photo].
var idFields = map[string]string{"metrics": "metric", "variants": "key", "comparisons": "key",
	"by_account": "account", "factors": "factor", "levels": "level", "warnings": "code", "looks": "look"}

var segmentRE = regexp.MustCompile(`^([a-z_0-9-]+)(?:\[([^\]]+)\])?$`)

// lookup follows a path such as metrics[views].comparisons[photo].mann_whitney.p_value in a
// decoded report; found is false when a step is missing.
func lookup(doc any, path string) (v any, found bool, err error) {
	v = doc
	for _, seg := range splitPath(path) {
		m := segmentRE.FindStringSubmatch(seg)
		if m == nil {
			return nil, false, errors.New("bad path segment " + seg)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		if v, ok = obj[m[1]]; !ok {
			return nil, false, nil
		}
		if m[2] == "" {
			continue
		}
		list, _ := v.([]any)
		v, ok = nil, false
		for _, item := range list {
			// An id is a string (a key) or a number (a look), written as R prints it.
			if el, _ := item.(map[string]any); el != nil && el[idFields[m[1]]] != nil && fmt.Sprint(el[idFields[m[1]]]) == m[2] {
				v, ok = el, true
				break
			}
		}
		if !ok {
			return nil, false, nil
		}
	}
	return v, true, nil
}

// splitPath splits at the dots outside brackets.
func splitPath(path string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range path {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				out = append(out, path[start:i])
				start = i + 1
			}
		}
	}
	return append(out, path[start:])
}

// tolerance is how close a value must be to R's: Monte Carlo estimates within an absolute
// margin (R drew far more samples than the report does), everything else within a relative
// error of 1e-6 (absolute 1e-9 near zero), SPEC §2's standard.
func tolerance(path string, want float64) float64 {
	switch {
	case strings.Contains(path, "permutation.p_value"):
		return 0.02
	case strings.Contains(path, "chance_to_be_best"):
		return 0.01
	}
	return math.Max(1e-6*math.Abs(want), 1e-9)
}

// checkExpected compares a report with the expectations under prefix.
func checkExpected(t *testing.T, report []byte, exps []expectation, prefix string) int {
	t.Helper()
	var doc any
	if err := json.Unmarshal(report, &doc); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, x := range exps {
		path, ok := strings.CutPrefix(x.path, prefix)
		if !ok || (prefix == "" && (strings.HasPrefix(x.path, "latest.") || strings.HasPrefix(x.path, "unplanned."))) {
			continue
		}
		checked++
		got, found, err := lookup(doc, path)
		if err != nil {
			t.Fatalf("%s: %v", x.path, err)
		}
		switch x.value {
		case "present", "absent":
			if found != (x.value == "present") {
				t.Errorf("%s: found %v, want %s", x.path, found, x.value)
			}
			continue
		}
		if !found {
			t.Errorf("%s: missing, want %s", x.path, x.value)
			continue
		}
		switch want := x.value; {
		case want == "NA":
			if got != nil {
				t.Errorf("%s = %v, want null", x.path, got)
			}
		case want == "true" || want == "false":
			if got != (want == "true") {
				t.Errorf("%s = %v, want %s", x.path, got, want)
			}
		default:
			w, err := strconv.ParseFloat(want, 64)
			if err != nil {
				if got != want {
					t.Errorf("%s = %v, want %q", x.path, got, want)
				}
				continue
			}
			g, ok := got.(float64)
			if !ok || math.Abs(g-w) > tolerance(x.path, w) {
				t.Errorf("%s = %v, want %v (R)", x.path, got, w)
			}
		}
	}
	return checked
}

const referenceQuery = "?metric=views&metric=engagement_rate&metric=completion_rate"

// TestReportMatchesR checks every statistic of the synthetic experiment's report, at the
// horizon and under horizon=latest, against R (api/testdata/report_reference.R): its looks and
// the decisions they give under its plan, and the decisions of the same experiment without a
// plan, as an experiment started before plans existed has none.
func TestReportMatchesR(t *testing.T) {
	exps := readExpected(t)
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newClockEnv(t, d, reportNow)
			exp := e.loadReference()
			r := e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/report" + referenceQuery, key: e.viewer}).want(http.StatusOK)
			if n := checkExpected(t, r.Body, exps, ""); n < 200 {
				t.Errorf("checked %d values, want the whole reference", n)
			}
			latest := e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/report?horizon=latest", key: e.viewer}).want(http.StatusOK)
			if n := checkExpected(t, latest.Body, exps, "latest."); n < 10 {
				t.Errorf("checked %d values under horizon=latest", n)
			}
			var rep report.Report
			r.decode(&rep)
			checkReportShape(t, rep)
			checkWhatIf(t, e, exp)

			e.removePlan(exp)
			legacy := e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/report" + referenceQuery, key: e.viewer}).want(http.StatusOK)
			if n := checkExpected(t, legacy.Body, exps, "unplanned."); n < 20 {
				t.Errorf("checked %d values of the unplanned report", n)
			}
		})
	}
}

// removePlan writes the experiment back without a plan, as the migration that added plans left
// every experiment started before it: the store is the only way to such a row, since the API
// freezes a plan at start.
func (e *env) removePlan(id string) {
	e.t.Helper()
	ctx := context.Background()
	ws, err := e.svc.Authenticate(ctx, e.editor)
	if err != nil {
		e.t.Fatalf("authenticate: %v", err)
	}
	err = e.svc.Store().Tx(ctx, func(tx experiments.Tx) error {
		x, err := tx.GetExperiment(ws.WorkspaceID, id, true)
		if err != nil {
			return err
		}
		x.PlannedPostsPerVariant = nil
		return tx.UpdateExperiment(x)
	})
	if err != nil {
		e.t.Fatalf("remove the plan of %s: %v", id, err)
	}
}

// checkWhatIf: the same report at another alpha is a what-if report: it decides and
// recommends nothing (SPEC §3.1).
func checkWhatIf(t *testing.T, e *env, exp string) {
	t.Helper()
	var rep report.Report
	e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/report" + referenceQuery + "&alpha=0.1", key: e.viewer}).
		want(http.StatusOK).decode(&rep)
	if !rep.WhatIf || rep.Recommendation.VariantKey != nil {
		t.Errorf("alpha=0.1: what_if %v, recommendation %+v; want a what-if report without a recommendation", rep.WhatIf, rep.Recommendation)
	}
	for _, m := range rep.Metrics {
		for _, c := range m.Comparisons {
			if c.Decision != report.DecisionInconclusive || len(c.Reasons) == 0 || c.Reasons[0] != "what-if report" {
				t.Errorf("alpha=0.1 %s %s: decision %s, reasons %v", m.Metric, c.Key, c.Decision, c.Reasons)
			}
		}
	}
}

// checkReportShape checks what R does not compute: the report's settings, the decisions'
// sentences and the recommendation's reason.
func checkReportShape(t *testing.T, r report.Report) {
	t.Helper()
	if r.HorizonHours == nil || *r.HorizonHours != 24 || r.Alpha != 0.05 || r.Correction != "holm" || len(r.Metrics) != 3 {
		t.Fatalf("report settings = horizon %v alpha %v correction %q metrics %d", r.HorizonHours, r.Alpha, r.Correction, len(r.Metrics))
	}
	views := r.Metrics[0]
	if views.Metric != "views" || views.Kind != "count" || views.Variants[0].Key != "control" || views.Omnibus == nil {
		t.Errorf("views report = %+v", views)
	}
	for _, c := range views.Comparisons {
		if c.Summary == "" || c.ControlKey != "control" {
			t.Errorf("comparison %s: summary %q control %q", c.Key, c.Summary, c.ControlKey)
		}
		if c.Decision == report.DecisionBetter && !strings.Contains(c.Summary, "more views than Video #ForClimate") {
			t.Errorf("better comparison's summary %q does not say so", c.Summary)
		}
	}
	if r.Recommendation.VariantKey == nil || r.Recommendation.Reason == "" || r.Recommendation.Metric != "views" {
		t.Errorf("recommendation = %+v", r.Recommendation)
	}
	if r.Metrics[1].Kind != "ratio" || !r.Metrics[1].Variants[0].Rate.Set || r.Metrics[2].Kind != "mean" {
		t.Errorf("engagement_rate is %s, completion_rate %s", r.Metrics[1].Kind, r.Metrics[2].Kind)
	}
	// Only the primary metric decides; the secondary metrics say they are exploratory.
	for _, m := range r.Metrics[1:] {
		for _, c := range m.Comparisons {
			if !c.Exploratory || !strings.HasPrefix(c.Summary, "Exploratory") {
				t.Errorf("%s %s: exploratory %v, summary %q", m.Metric, c.Key, c.Exploratory, c.Summary)
			}
		}
	}
	if r.WhatIf || r.PlannedPostsPerVariant == nil || *r.PlannedPostsPerVariant != referencePlan {
		t.Errorf("what_if %v, plan %v; want the experiment's own report, planned at %d", r.WhatIf, r.PlannedPostsPerVariant, referencePlan)
	}
}

// TestReportSameOnBothDialects: the same experiment gives the same report on PostgreSQL and on
// SQLite, to the last digit, apart from the ids each database generated.
func TestReportSameOnBothDialects(t *testing.T) {
	var bodies [][]byte
	for _, d := range storetest.Dialects() {
		e := newClockEnv(t, d, reportNow)
		exp := e.loadReference()
		for _, q := range []string{referenceQuery, "?horizon=latest", "?horizon=30.5&alpha=0.1&correction=bh"} {
			r := e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/report" + q, key: e.viewer}).want(http.StatusOK)
			bodies = append(bodies, withoutIDs(t, r.Body))
		}
	}
	half := len(bodies) / 2
	for i := range half {
		if !bytes.Equal(bodies[i], bodies[half+i]) {
			t.Errorf("report %d differs between PostgreSQL and SQLite:\n%s\n%s", i, bodies[i], bodies[half+i])
		}
	}
}

// withoutIDs re-encodes a report without generated_at and the ids of its database.
func withoutIDs(t *testing.T, body []byte) []byte {
	t.Helper()
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	var strip func(v any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range []string{"generated_at", "experiment_id", "variant_id"} {
				delete(x, k)
			}
			for _, c := range x {
				strip(c)
			}
		case []any:
			for _, c := range x {
				strip(c)
			}
		}
	}
	strip(doc)
	out, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReportCSVAndCharts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp := e.loadReference()
		path := "/v1/experiments/" + exp + "/report"
		r := e.do(call{method: "GET", path: path + referenceQuery, key: e.viewer, headers: map[string]string{"Accept": "text/csv"}}).want(http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type = %q, want text/csv", ct)
		}
		rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatalf("CSV does not parse: %v", err)
		}
		report := e.do(call{method: "GET", path: path + referenceQuery, key: e.viewer}).want(http.StatusOK)
		comparisons := reportComparisons(t, report.Body)
		if len(rows) != 1+len(comparisons) || len(comparisons) != 3*2 {
			t.Fatalf("CSV = %d rows for %d comparisons, want a header and one row per comparison per metric (6)",
				len(rows), len(comparisons))
		}
		for i, row := range rows[1:] {
			checkCSVRow(t, rows[0], row, comparisons[i])
		}
		// JSON stays the default, and wins when the client ranks it higher.
		j := e.do(call{method: "GET", path: path, key: e.viewer, headers: map[string]string{"Accept": "text/csv;q=0.5, application/json"}}).want(http.StatusOK)
		if !strings.HasPrefix(j.Header.Get("Content-Type"), "application/json") {
			t.Errorf("Accept preferring JSON gave %q", j.Header.Get("Content-Type"))
		}

		svg := e.do(call{method: "GET", path: path + "/chart.svg" + referenceQuery, key: e.viewer}).want(http.StatusOK)
		if ct := svg.Header.Get("Content-Type"); ct != "image/svg+xml" {
			t.Errorf("chart.svg Content-Type = %q", ct)
		}
		dec := xml.NewDecoder(bytes.NewReader(svg.Body))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("chart.svg does not parse: %v", err)
			}
		}
		checkChart(t, svg.Body, comparisons)
		img := e.do(call{method: "GET", path: path + "/chart.png", key: e.viewer}).want(http.StatusOK)
		pic, err := png.Decode(bytes.NewReader(img.Body))
		if err != nil {
			t.Fatalf("chart.png does not decode: %v", err)
		}
		if b := pic.Bounds(); b.Dx() < 600 || b.Dy() < 200 {
			t.Errorf("chart.png is %dx%d", b.Dx(), b.Dy())
		}
	})
}

// comparison is one comparison of a JSON report, with its metric and the treatment's name.
type comparison struct {
	metric, name string
	metrics      int // how many metrics the report has
	fields       map[string]any
}

// reportComparisons lists a JSON report's comparisons in order, metric by metric.
func reportComparisons(t *testing.T, body []byte) []comparison {
	t.Helper()
	var rep struct {
		Metrics []struct {
			Metric      string
			Kind        string
			Variants    []struct{ Key, Name string }
			Comparisons []map[string]any
		}
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	var out []comparison
	for _, m := range rep.Metrics {
		names := map[string]string{}
		for _, v := range m.Variants {
			names[v.Key] = v.Name
		}
		for _, c := range m.Comparisons {
			c["metric"], c["kind"], c["variant_key"] = m.Metric, m.Kind, c["key"]
			out = append(out, comparison{metric: m.Metric, name: names[c["key"].(string)], metrics: len(rep.Metrics), fields: c})
		}
	}
	return out
}

// checkCSVRow holds each cell of a CSV row against the same field of the JSON report: numbers
// exactly (both are written in full precision), booleans as true or false, nulls as empty
// cells.
func checkCSVRow(t *testing.T, header, row []string, c comparison) {
	t.Helper()
	for j, col := range header {
		want, ok := c.fields[col]
		if !ok {
			t.Errorf("CSV column %q is not a field of the JSON comparison", col)
			continue
		}
		cell := row[j]
		switch w := want.(type) {
		case nil:
			if cell != "" {
				t.Errorf("CSV %s/%s %s = %q, want empty (null in JSON)", c.metric, c.fields["key"], col, cell)
			}
		case float64:
			if got, err := strconv.ParseFloat(cell, 64); err != nil || got != w {
				t.Errorf("CSV %s/%s %s = %q, want %v as in JSON", c.metric, c.fields["key"], col, cell, w)
			}
		case string:
			if cell != w {
				t.Errorf("CSV %s/%s %s = %q, want %q as in JSON", c.metric, c.fields["key"], col, cell, w)
			}
		case bool:
			if cell != strconv.FormatBool(w) {
				t.Errorf("CSV %s/%s %s = %q, want %v as in JSON", c.metric, c.fields["key"], col, cell, w)
			}
		default:
			t.Errorf("CSV column %q holds a JSON %T", col, want)
		}
	}
}

// checkChart reads the forest plot's texts: one row label per comparison (the treatment's
// name and, with several metrics, the metric) and, for each comparison with a lift, its
// rounded lift and decision beside it.
func checkChart(t *testing.T, svg []byte, comparisons []comparison) {
	t.Helper()
	var texts []string
	dec := xml.NewDecoder(bytes.NewReader(svg))
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("chart.svg does not parse: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			inText = x.Name.Local == "text"
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts = append(texts, strings.TrimSpace(string(x)))
			}
		}
	}
	count := func(want string) int {
		n := 0
		for _, s := range texts {
			if s == want {
				n++
			}
		}
		return n
	}
	var annotations []string
	for _, s := range texts {
		if strings.HasSuffix(s, ")") && strings.Contains(s, "% (") {
			annotations = append(annotations, s)
		}
	}
	withLift := 0
	for _, c := range comparisons {
		label := c.name
		if c.metrics > 1 {
			label += " · " + strings.ReplaceAll(c.metric, "_", " ")
		}
		if n := count(label); n != 1 {
			t.Errorf("chart.svg has %d row labels %q, want 1; texts: %q", n, label, texts)
		}
		lift, ok := c.fields["lift"].(float64)
		if !ok {
			continue
		}
		withLift++
		want := fmt.Sprintf("%.0f%% (%s)", math.Abs(lift*100), c.fields["decision"])
		if !slices.ContainsFunc(annotations, func(s string) bool { return strings.HasSuffix(s, want) }) {
			t.Errorf("chart.svg has no annotation ending %q for %s; annotations: %q", want, label, annotations)
		}
	}
	if len(annotations) != withLift {
		t.Errorf("chart.svg has %d lift annotations, want one per comparison with a lift (%d): %q",
			len(annotations), withLift, annotations)
	}
	if n := count("not enough data yet"); n != len(comparisons)-withLift {
		t.Errorf("chart.svg says \"not enough data yet\" %d times, want once per comparison without a lift (%d)",
			n, len(comparisons)-withLift)
	}
}

// TestReportDegenerate: experiments that cannot be analysed yet answer 200 with
// not_enough_data, null statistics and warnings that say what to do next.
func TestReportDegenerate(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		get := func(exp, query string) report.Report {
			t.Helper()
			r := e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/report" + query, key: e.viewer}).want(http.StatusOK)
			var rep report.Report
			r.decode(&rep)
			comparisons := reportComparisons(t, r.Body)
			svg := e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/report/chart.svg" + query, key: e.viewer}).want(http.StatusOK)
			checkChart(t, svg.Body, comparisons)
			table := e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/report" + query, key: e.viewer, headers: map[string]string{"Accept": "text/csv"}}).want(http.StatusOK)
			rows, err := csv.NewReader(bytes.NewReader(table.Body)).ReadAll()
			if err != nil || len(rows) != 1+len(comparisons) {
				t.Fatalf("CSV = %d rows (%v) for %d comparisons, want a header and one row each", len(rows), err, len(comparisons))
			}
			for i, row := range rows[1:] {
				checkCSVRow(t, rows[0], row, comparisons[i])
			}
			return rep
		}
		// No posts.
		exp, _, _ := e.running("empty")
		rep := get(exp, "?metric=views&metric=engagement_rate&metric=completion_rate")
		for _, m := range rep.Metrics {
			wantWarning(t, m, "no_posts")
			if len(m.Comparisons) != 1 || m.Comparisons[0].Decision != report.DecisionNotEnoughData || m.Comparisons[0].Lift != nil || m.Comparisons[0].Reason == "" {
				t.Errorf("%s with no posts: comparisons %+v", m.Metric, m.Comparisons)
			}
		}
		if rep.Recommendation.VariantKey != nil || rep.Allocation.ChiSquare != nil {
			t.Errorf("no posts: recommendation %+v, allocation %+v", rep.Recommendation, rep.Allocation)
		}

		// One variant: a draft with its control only.
		one := e.experiment("one")
		e.variant(one, "solo", true, "morning")
		rep = get(one, "")
		wantWarning(t, rep.Metrics[0], "one_variant")

		// Every post younger than the horizon, and a second metric unknown everywhere.
		young, control, treatment := e.running("young")
		now := time.Now().UTC()
		for i, v := range []string{control, control, treatment, treatment} {
			id := e.do(call{method: "POST", path: "/v1/experiments/" + young + "/posts", key: e.editor, body: map[string]any{
				"variant_id": v, "account": "ifrc", "external_id": "y" + strconv.Itoa(i),
				"posted_at": now.Add(-3 * time.Hour).Format(time.RFC3339)}}).want(http.StatusCreated).field("id")
			e.do(call{method: "POST", path: "/v1/posts/" + id + "/snapshots", key: e.editor, body: map[string]any{
				"observed_at": now.Add(-time.Hour).Format(time.RFC3339), "views": 100 + i}}).want(http.StatusCreated)
		}
		rep = get(young, "")
		wantWarning(t, rep.Metrics[0], "immature_posts")
		wantWarning(t, rep.Metrics[0], "too_few_posts")
		wantWarning(t, rep.Metrics[0], "not_enough_data")
		if v := rep.Metrics[0].Variants[0]; v.NImmature != 2 || v.NPosts != 0 || v.Mean != nil {
			t.Errorf("young control = %+v", v)
		}
		// Under horizon=latest they count.
		rep = get(young, "?horizon=latest")
		if c := rep.Metrics[0].Comparisons[0]; c.NControl != 2 || c.Decision == report.DecisionNotEnoughData {
			t.Errorf("horizon=latest: %+v", c)
		}

		// Zero variance: every post has the same views.
		flat, control, treatment := e.running("flat")
		for i, v := range []string{control, control, control, treatment, treatment, treatment} {
			id := e.post(flat, v, "f"+strconv.Itoa(i))
			e.do(call{method: "POST", path: "/v1/posts/" + id + "/snapshots", key: e.editor, body: map[string]any{
				"observed_at": "2026-09-15T17:05:00Z", "views": 500, "likes": 0, "comments": 0, "shares": 0, "saves": 0}}).want(http.StatusCreated)
		}
		rep = get(flat, "?metric=views&metric=engagement_rate")
		for _, m := range rep.Metrics {
			c := m.Comparisons[0]
			if c.Decision != report.DecisionNotEnoughData || c.PValue != nil || c.Reason == "" {
				t.Errorf("%s with zero variance: %+v", m.Metric, c)
			}
			wantWarning(t, m, "not_enough_data")
		}
	})
}

func wantWarning(t *testing.T, m report.MetricReport, code string) {
	t.Helper()
	for _, w := range m.Warnings {
		if w.Code == code && w.Message != "" {
			return
		}
	}
	t.Errorf("%s: no %s warning in %+v", m.Metric, code, m.Warnings)
}

func TestReportQuery(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp, _, _ := e.running("query")
		path := "/v1/experiments/" + exp + "/report"
		e.do(call{method: "GET", path: path + "?alpha=abc", key: e.viewer, specInvalid: true}).problem(http.StatusBadRequest, "alpha")
		e.do(call{method: "GET", path: path + "?alpha=0.9", key: e.viewer, specInvalid: true}).problem(http.StatusUnprocessableEntity, "alpha")
		e.do(call{method: "GET", path: path + "?horizon=soon", key: e.viewer, specInvalid: true}).problem(http.StatusBadRequest, "horizon")
		e.do(call{method: "GET", path: path + "?horizon=0", key: e.viewer}).problem(http.StatusUnprocessableEntity, "horizon")
		e.do(call{method: "GET", path: path + "?correction=bonferroni", key: e.viewer, specInvalid: true}).problem(http.StatusUnprocessableEntity, "correction")
		e.do(call{method: "GET", path: path + "?metric=followers", key: e.viewer}).problem(http.StatusUnprocessableEntity, "metric")
		e.do(call{method: "GET", path: path + "/chart.png?metric=nope", key: e.viewer}).problem(http.StatusUnprocessableEntity, "metric")
		e.do(call{method: "GET", path: "/v1/experiments/nope/report", key: e.viewer}).problem(http.StatusNotFound, "")
		e.do(call{method: "GET", path: path}).problem(http.StatusUnauthorized, "")
		// By key, with every option.
		var rep report.Report
		e.do(call{method: "GET", path: "/v1/experiments/query/report?metric=likes&metric=custom.reach_2&metric=like_rate&horizon=6.5&alpha=0.1&correction=none",
			key: e.viewer}).want(http.StatusOK).decode(&rep)
		if rep.Horizon != "6.5" || *rep.HorizonHours != 6.5 || rep.Alpha != 0.1 || rep.Correction != "none" || len(rep.Metrics) != 3 {
			t.Errorf("report options = %+v", rep)
		}
		// Another workspace's experiment is not found.
		other := e.workspace("other")
		e.do(call{method: "GET", path: path, key: other}).problem(http.StatusNotFound, "")
	})
}

// TestConcludeFreezesReport: concluding stores the report as it was, with the experiment's
// metrics.
func TestConcludeFreezesReport(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp := e.loadReference()
		var concluded struct {
			Decision struct {
				Report report.Report `json:"report"`
			} `json:"decision"`
		}
		e.do(call{method: "POST", path: "/v1/experiments/" + exp + "/conclude", key: e.editor, body: map[string]any{
			"result": "won", "winner_variant_key": "climate-action"}}).want(http.StatusOK).decode(&concluded)
		frozen := concluded.Decision.Report
		if len(frozen.Metrics) != 3 || frozen.Metrics[0].Metric != "views" || frozen.Metrics[1].Metric != "engagement_rate" {
			t.Fatalf("frozen report has metrics %+v", frozen.Metrics)
		}
		if frozen.Recommendation.Reason == "" || len(frozen.Metrics[0].Comparisons) != 2 {
			t.Errorf("frozen report = %+v", frozen)
		}
	})
}
