package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"postlab"
	"postlab/api"
	"postlab/store/storetest"
)

// TestContractFuzz sends generated requests, valid and broken, to every operation of
// openapi.yaml, on each database, and holds the server to five rules:
//
//  1. no answer is a 5xx (or no answer at all);
//  2. every 4xx and 5xx is application/problem+json with its status in the body;
//  3. every answer matches the contract (status declared, body valid) — so every 2xx body is;
//  4. a request the contract refuses is not answered 2xx;
//  5. afterwards every stored row can be read back: every list, every row, every report.
//
// Each operation gets generated requests (api/fuzzgen_test.go), then a sweep that puts each
// extreme number, time and date in every field of a body it took (api/fuzzsweep_test.go).
// The run is fixed by a seed and bounded. POSTLAB_FUZZ_REQUESTS sets the requests per database
// (default 1500, or 500 under -race, to stay within about a minute), POSTLAB_FUZZ_SEED the seed (default 1), POSTLAB_FUZZ_OPS a regular expression
// of the operationIds to fuzz (default all); POSTLAB_FUZZ_TRACE=1 prints each request before it
// is sent, which names the request when one kills the process. Each finding prints the request
// that reproduces it.
func TestContractFuzz(t *testing.T) {
	if testing.Short() {
		t.Skip("the contract fuzzer is not short")
	}
	budget := 1500
	if raceDetector {
		budget = 500
	}
	budget = envInt(t, "POSTLAB_FUZZ_REQUESTS", budget)
	seed := envInt(t, "POSTLAB_FUZZ_SEED", 1)
	only, err := regexp.Compile(os.Getenv("POSTLAB_FUZZ_OPS"))
	if err != nil {
		t.Fatalf("POSTLAB_FUZZ_OPS: %v", err)
	}
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			opts := api.DefaultOptions()
			opts.RateLimit = 0 // the fuzzer is one client sending as fast as it can
			e := newEnv(t, d, opts)
			f := newFuzzer(t, e, uint64(seed))
			f.setUp()
			start := time.Now()
			f.run(budget, only)
			fuzzed, took := f.sent, time.Since(start)
			f.readBack()
			f.report(d, fuzzed, took, time.Since(start)-took)
		})
	}
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a whole number", name, v)
	}
	return n
}

// fuzzOp is one operation of the contract.
type fuzzOp struct {
	method, path string
	op           *openapi3.Operation
	params       openapi3.Parameters // the path item's and the operation's
}

// fuzzRequest is one request as sent, kept to print it when it shows a finding.
type fuzzRequest struct {
	op       *fuzzOp
	exp      *fuzzExperiment   // the experiment the path names, if the fuzzer knows it
	params   map[string]string // the path's parameters
	method   string
	target   string // path and query
	role     string
	headers  map[string]string
	body     []byte
	broken   string // what the generator broke on purpose, if anything
	refusal  error  // why the contract refuses the request; nil when it accepts it
	response *fuzzAnswer
}

type fuzzAnswer struct {
	status int
	header http.Header
	body   []byte
}

type finding struct {
	rule string
	req  *fuzzRequest
	note string
}

type fuzzer struct {
	t        *testing.T
	e        *env
	doc      *openapi3.T
	g        *gen
	keys     map[string]string // role → secret
	sent     int
	statuses map[int]int
	byOp     map[string]map[int]int   // operationId → status → answers, for go test -v
	opTime   map[string]time.Duration // operationId → time spent waiting for answers
	findings []finding
	lastIdem string
	accepted map[string][]byte // operationId → the last JSON body the server took for it
	// existing makes path parameters name existing rows only (the sweep's requests).
	existing bool
}

func newFuzzer(t *testing.T, e *env, seed uint64) *fuzzer {
	doc, err := openapi3.NewLoader().LoadFromData(postlab.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return &fuzzer{t: t, e: e, doc: doc, statuses: map[int]int{}, byOp: map[string]map[int]int{}, opTime: map[string]time.Duration{},
		accepted: map[string][]byte{},
		g:        &gen{rng: rand.New(rand.NewPCG(seed, 0x706f73746c6162)), st: &fuzzState{}, now: time.Now()},
		keys:     map[string]string{"admin": e.admin, "editor": e.editor, "viewer": e.viewer}}
}

// operations lists the contract's operations in the order the fuzzer visits them: writes
// that create rows first, so that later requests find them; reads; changes; lifecycle
// transitions; deletes last, so that they do not take away what the others work on.
func (f *fuzzer) operations(only *regexp.Regexp) []*fuzzOp {
	var ops []*fuzzOp
	for path, item := range f.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !only.MatchString(op.OperationID) {
				continue
			}
			params := slices.Clone(item.Parameters)
			params = append(params, op.Parameters...)
			ops = append(ops, &fuzzOp{method: method, path: path, op: op, params: params})
		}
	}
	phase := func(o *fuzzOp) int {
		if i := slices.Index(firstOps, o.op.OperationID); i >= 0 {
			return -10 + i
		}
		if i := slices.Index(lastOps, o.op.OperationID); i >= 0 {
			return 10 + i
		}
		switch {
		case o.method == http.MethodPost && o.op.Responses.Status(http.StatusCreated) != nil:
			return 0
		case o.method == http.MethodPost:
			return 1
		case o.method == http.MethodGet:
			return 2
		}
		return 3
	}
	sort.Slice(ops, func(i, j int) bool {
		if pi, pj := phase(ops[i]), phase(ops[j]); pi != pj {
			return pi < pj
		}
		return ops[i].op.OperationID < ops[j].op.OperationID
	})
	return ops
}

// firstOps come before all others, in this order: what creates the rows others name.
var firstOps = []string{"createKey", "createExperiment", "createVariant", "createPost", "createSnapshot"}

// lastOps come after all others, in this order: the lifecycle, then what deletes.
var lastOps = []string{"startExperiment", "pauseExperiment", "resumeExperiment", "concludeExperiment",
	"archiveExperiment", "revokeKey", "deleteVariant", "deletePost", "deleteExperiment"}

// transitionFrom is the status each lifecycle operation starts from.
var transitionFrom = map[string][]string{"startExperiment": {"draft"}, "pauseExperiment": {"running"},
	"resumeExperiment": {"paused"}, "concludeExperiment": {"running", "paused"}, "archiveExperiment": {"concluded"}}

// run spends the budget evenly over the operations.
func (f *fuzzer) run(budget int, only *regexp.Regexp) {
	ops := f.operations(only)
	if len(ops) == 0 {
		f.t.Fatalf("POSTLAB_FUZZ_OPS=%q matches no operation", only)
	}
	// The sweeps come out of the budget; what they leave is shared evenly.
	sweeps := 0
	for _, o := range ops {
		sweeps += f.sweepSize(o)
	}
	share := max(budget-sweeps, 0) / len(ops)
	for _, o := range ops {
		for range max(share, minRandom) {
			f.send(f.generate(o))
		}
		f.sweep(o) // after the generated requests, whose accepted bodies it builds on
	}
}

// minRandom is the fewest generated requests an operation gets, whatever the sweeps took.
const minRandom = 3

// roleFor is the least role an operation needs.
func roleFor(o *fuzzOp) string {
	switch {
	case strings.HasPrefix(o.path, "/v1/keys"):
		return "admin"
	case o.method == http.MethodGet || o.path == "/v1/plan/sample-size":
		return "viewer"
	}
	return "editor"
}

// generate draws one request for the operation.
func (f *fuzzer) generate(o *fuzzOp) *fuzzRequest {
	g := f.g
	g.exp = nil
	r := &fuzzRequest{op: o, method: o.method, headers: map[string]string{}, params: map[string]string{}}
	r.role = f.drawRole(o)
	path := o.path
	// The experiment first: variants and bodies are drawn from it.
	for _, p := range o.params {
		if p.Value.In == "path" && p.Value.Name == "id" {
			r.params["id"] = f.experimentParam(o)
			r.exp = g.exp
		}
	}
	for _, p := range o.params {
		if p.Value.In == "path" && p.Value.Name != "id" {
			r.params[p.Value.Name] = f.pathParam(o, p.Value.Name)
		}
	}
	for name, v := range r.params {
		path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(v))
	}
	q := url.Values{}
	for _, p := range o.params {
		switch p.Value.In {
		case "query":
			if g.chance(0.5) {
				bad := g.chance(0.3)
				v := g.queryValue(p.Value, bad)
				if v == nil {
					continue
				}
				q[p.Value.Name] = v
				if bad {
					r.broken = "query " + p.Value.Name
				}
			}
		case "header":
			f.header(r, p.Value)
		}
	}
	if g.chance(0.03) {
		q.Set("zzz_unknown", "1")
	}
	r.target = path
	if len(q) > 0 {
		r.target += "?" + q.Encode()
	}
	if o.op.RequestBody != nil {
		f.body(r, o)
	}
	return r
}

func (f *fuzzer) drawRole(o *fuzzOp) string {
	roles := []string{"viewer", "editor", "admin"}
	least := slices.Index(roles, roleFor(o))
	switch x := f.g.rng.Float64(); {
	case x < 0.03:
		return "" // no key
	case x < 0.05:
		return "bogus"
	case x < 0.15 && least > 0:
		return roles[f.g.rng.IntN(least)] // too weak: 403
	}
	return roles[least+f.g.rng.IntN(len(roles)-least)]
}

// experimentParam names an experiment by id or key, seldom one that does not exist; deletes
// spare the experiments the fuzzer set up, so that the read-back has them all.
func (f *fuzzer) experimentParam(o *fuzzOp) string {
	g, st := f.g, f.g.st
	cands := st.experiments
	if o.op.OperationID == "deleteExperiment" {
		cands = slices.DeleteFunc(slices.Clone(cands), func(x *fuzzExperiment) bool { return x.seeded })
	}
	// Prefer experiments the operation can work on: those in the status a transition starts
	// from; those with variants, for what needs them.
	from := transitionFrom[o.op.OperationID]
	if g.chance(0.7) {
		fit := slices.DeleteFunc(slices.Clone(cands), func(x *fuzzExperiment) bool {
			if from != nil {
				return !slices.Contains(from, x.status)
			}
			return o.path != "/v1/experiments/{id}" && len(x.variants) < 2
		})
		if len(fit) > 0 {
			cands = fit
		}
	}
	if len(cands) == 0 || (!f.existing && g.chance(0.1)) {
		return f.missing()
	}
	g.exp = pick(g, cands)
	if g.chance(0.5) {
		return g.exp.key
	}
	return g.exp.id
}

// missing is an id no row has, or one no row could have.
func (f *fuzzer) missing() string {
	return pick(f.g, []string{"does-not-exist", "01926f3e-0000-7000-8000-000000000000", "\x00", "a\x00b",
		strings.Repeat("k", 3000), "ü", "..", " ", "%31", "e1;", "' OR '1'='1", "\xff"})
}

func (f *fuzzer) pathParam(o *fuzzOp, name string) string {
	g, st := f.g, f.g.st
	if !f.existing && g.chance(0.1) {
		return f.missing()
	}
	switch name {
	case "variant_id":
		exp := g.exp
		if exp == nil || len(exp.variants) == 0 || g.chance(0.1) {
			exp = pick(g, st.experiments) // perhaps another experiment's variant: 404
		}
		if len(exp.variants) == 0 {
			return f.missing()
		}
		v := pick(g, exp.variants)
		if g.chance(0.5) {
			return v.key
		}
		return v.id
	case "post_id":
		posts := st.posts
		if o.method == http.MethodDelete {
			posts = slices.DeleteFunc(slices.Clone(posts), func(p fuzzPost) bool { return p.seeded })
		}
		if len(posts) == 0 {
			return f.missing()
		}
		return pick(g, posts).id
	case "key_id":
		return pick(g, append(slices.Clone(st.keys), st.adminKeyID))
	}
	return f.missing()
}

func (f *fuzzer) header(r *fuzzRequest, p *openapi3.Parameter) {
	g := f.g
	switch p.Name {
	case "Idempotency-Key":
		switch x := g.rng.Float64(); {
		case x < 0.1:
			f.lastIdem = fmt.Sprintf("fz-%d", g.rng.Int64())
			r.headers[p.Name] = f.lastIdem
		case x < 0.14 && f.lastIdem != "":
			r.headers[p.Name] = f.lastIdem // again, mostly with another body: 422
		case x < 0.16:
			r.headers[p.Name] = ""
			r.broken = "empty Idempotency-Key"
		case x < 0.18:
			r.headers[p.Name] = strings.Repeat("i", 300)
			r.broken = "long Idempotency-Key"
		}
	case "If-Match":
		if g.chance(0.2) {
			r.headers[p.Name] = pick(g, []string{`"1"`, `"2"`, `W/"1"`, "*", "garbage", ""})
		}
	}
}

// body draws the request body: mostly valid, often with one part broken, seldom malformed.
func (f *fuzzer) body(r *fuzzRequest, o *fuzzOp) {
	g := f.g
	content := o.op.RequestBody.Value.Content
	if content.Get("application/json") == nil {
		f.importBody(r)
		return
	}
	r.headers["Content-Type"] = "application/json"
	switch x := g.rng.Float64(); {
	case x < 0.04:
		r.body = []byte(pick(g, []string{"", "null", "[]", "{", `{"a":1}{}`, `"text"`, "123", "{}", `{"name":"a","name":"b"}`, "\xff\xfe"}))
		r.broken = "malformed body"
		return
	case x < 0.06:
		r.headers["Content-Type"] = pick(g, []string{"text/plain", "application/xml", "", "application/json; charset=latin1", "multipart/form-data"})
		r.broken = "content type"
	}
	schema := content.Get("application/json").Schema
	v := g.valid("", schema, 0)
	if g.chance(0.35) {
		var how string
		v, how = g.mutate(v, schema.Value)
		r.broken = how
	}
	b, err := json.Marshal(v)
	if err != nil {
		f.t.Fatalf("marshal a generated body: %v", err)
	}
	r.body = b
}

// importColumns are the generic format's columns.
var importColumns = []string{"external_id", "variant_key", "account", "platform", "posted_at", "timezone",
	"observed_at", "views", "likes", "comments", "shares"}

// importBody draws a file to import: generic CSV or NDJSON rows naming real variants and
// posts, some with a broken cell, as the raw body or a multipart form.
func (f *fuzzer) importBody(r *fuzzRequest) {
	g := f.g
	n := 1 + g.rng.IntN(4)
	rows := make([]map[string]any, n)
	for i := range rows {
		row := map[string]any{}
		for _, c := range importColumns {
			switch c {
			case "views", "likes", "comments", "shares":
				row[c] = g.rng.IntN(100000)
			case "platform":
				row[c] = "tiktok"
			default:
				row[c], _ = g.hint(c, &openapi3.Schema{Type: &openapi3.Types{"string"}})
			}
		}
		rows[i] = row
	}
	if g.chance(0.35) {
		row, col := pick(g, rows), pick(g, importColumns)
		row[col] = pick(g, append(append(slices.Clone(extremeTimes), nastyStrings...), "-1", "1e308", "1.5", hugeString[:5000]))
		r.broken = "import cell " + col
	}
	var body bytes.Buffer
	ct := "text/csv"
	if g.chance(0.3) {
		ct = "application/x-ndjson"
		for _, row := range rows {
			b, _ := json.Marshal(row)
			body.Write(append(b, '\n'))
		}
	} else {
		body.WriteString(strings.Join(importColumns, ",") + "\n")
		for _, row := range rows {
			cells := make([]string, len(importColumns))
			for i, c := range importColumns {
				cells[i] = csvCell(fmt.Sprint(row[c]))
			}
			body.WriteString(strings.Join(cells, ",") + "\n")
		}
	}
	switch x := g.rng.Float64(); {
	case x < 0.1:
		var form bytes.Buffer
		w := multipart.NewWriter(&form)
		part, _ := w.CreateFormFile("file", "posts.csv")
		part.Write(body.Bytes())
		w.Close()
		body, ct = form, w.FormDataContentType()
	case x < 0.15:
		ct = pick(g, []string{"application/json", "text/plain", "", "image/png"})
		r.broken = "import content type"
	case x < 0.18:
		body.Reset()
		body.WriteString(pick(g, []string{"", "\x00\x01", "external_id\n", "a,b\n\"unterminated", hugeString}))
		r.broken = "import file"
	}
	if ct != "" {
		r.headers["Content-Type"] = ct
	}
	r.body = body.Bytes()
}

func csvCell(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// send sends the request, checks the answer, and learns the rows it created.
func (f *fuzzer) send(r *fuzzRequest) *fuzzAnswer {
	if os.Getenv("POSTLAB_FUZZ_TRACE") != "" {
		fmt.Fprintf(os.Stderr, "fuzz %s\n", r.String())
	}
	req, err := http.NewRequest(r.method, f.e.srv.URL+r.target, bytes.NewReader(r.body))
	if err != nil {
		f.t.Fatalf("%s %s: %v", r.method, r.target, err)
	}
	for k, v := range r.headers {
		req.Header[k] = []string{v}
	}
	switch r.role {
	case "":
	case "bogus":
		req.Header.Set("Authorization", "Bearer pl_bogus")
	default:
		req.Header.Set("Authorization", "Bearer "+f.keys[r.role])
	}
	input := f.classify(req, r)
	f.sent++
	client := http.Client{Timeout: 60 * time.Second}
	sentAt := time.Now()
	res, err := client.Do(req)
	if err != nil {
		f.find("no answer", r, err.Error())
		return nil
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		f.find("no answer", r, "reading the body: "+err.Error())
		return nil
	}
	a := &fuzzAnswer{status: res.StatusCode, header: res.Header, body: body}
	r.response = a
	f.statuses[a.status]++
	if r.op != nil {
		f.opTime[r.op.op.OperationID] += time.Since(sentAt)
		if f.byOp[r.op.op.OperationID] == nil {
			f.byOp[r.op.op.OperationID] = map[int]int{}
		}
		f.byOp[r.op.op.OperationID][a.status]++
	}
	f.check(r, a, input)
	if r.op != nil && a.status < 300 && r.refusal == nil && r.headers["Content-Type"] == "application/json" {
		f.accepted[r.op.op.OperationID] = r.body
	}
	f.g.st.observe(r, a)
	if os.Getenv("POSTLAB_FUZZ_TRACE") != "" {
		fmt.Fprintf(os.Stderr, "fuzz ← %d %s\n", a.status, short(string(a.body), 300))
	}
	return a
}

// classify asks the contract whether it accepts the request, and keeps what it needs to
// check the answer.
func (f *fuzzer) classify(req *http.Request, r *fuzzRequest) *openapi3filter.RequestValidationInput {
	route, params, err := contract(f.t).FindRoute(req)
	if err != nil {
		r.refusal = err
		return nil
	}
	clone := req.Clone(context.Background())
	clone.Body = io.NopCloser(bytes.NewReader(r.body))
	input := &openapi3filter.RequestValidationInput{Request: clone, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	r.refusal = openapi3filter.ValidateRequest(context.Background(), input)
	return input
}

// check holds the answer to the rules.
func (f *fuzzer) check(r *fuzzRequest, a *fuzzAnswer, input *openapi3filter.RequestValidationInput) {
	if a.status >= 500 {
		f.find("5xx", r, "")
	}
	if a.status >= 400 {
		var p api.Problem
		switch {
		case !strings.HasPrefix(a.header.Get("Content-Type"), "application/problem+json"):
			f.find("error not problem+json", r, "Content-Type "+a.header.Get("Content-Type"))
		case json.Unmarshal(a.body, &p) != nil || p.Status != a.status || p.Title == "" || p.Detail == "":
			f.find("error not problem+json", r, "the body is not a complete problem with the answer's status")
		}
	}
	if a.status < 300 && r.refusal != nil {
		f.find("accepted what the contract refuses", r, r.refusal.Error())
	}
	if input == nil {
		return
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: input, Status: a.status,
		Header: a.header, Body: io.NopCloser(bytes.NewReader(a.body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		f.find("answer breaks the contract", r, err.Error())
	}
}

func (f *fuzzer) find(rule string, r *fuzzRequest, note string) {
	f.findings = append(f.findings, finding{rule: rule, req: r, note: note})
}

// String prints the request as it went, and its answer, to reproduce it.
func (r *fuzzRequest) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.method, short(r.target, 300))
	if r.role != "" {
		fmt.Fprintf(&b, "  [%s key]", r.role)
	}
	hs := make([]string, 0, len(r.headers))
	for k, v := range r.headers {
		hs = append(hs, fmt.Sprintf("%s: %q", k, short(v, 80)))
	}
	sort.Strings(hs)
	for _, h := range hs {
		b.WriteString("\n    " + h)
	}
	if len(r.body) > 0 {
		b.WriteString("\n    " + short(string(r.body), 600))
	}
	if r.broken != "" {
		b.WriteString("\n    (broken on purpose: " + r.broken + ")")
	}
	if a := r.response; a != nil {
		ct := a.header.Get("Content-Type")
		body := fmt.Sprintf("(%d bytes)", len(a.body))
		if strings.Contains(ct, "json") || strings.HasPrefix(ct, "text/") {
			body = short(string(a.body), 400)
		}
		fmt.Fprintf(&b, "\n  → %d %s %s", a.status, ct, body)
	}
	return b.String()
}

// short cuts s to n bytes, saying how long it was, and quotes what a terminal would hide.
func short(s string, n int) string {
	if len(s) > n {
		s = fmt.Sprintf("%s…(%d bytes)", s[:n], len(s))
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", `\x00`), "�")
}

// readBack reads every row the workspace holds, as the rules' fifth asks: each list page, each
// experiment, variant list, post and snapshot list, and each report, must answer 200.
func (f *fuzzer) readBack() {
	get := func(target string, ok ...int) []byte {
		r := &fuzzRequest{op: nil, method: http.MethodGet, target: target, role: "admin", headers: map[string]string{}}
		a := f.send(r)
		if a == nil {
			return nil
		}
		if a.status != http.StatusOK && !slices.Contains(ok, a.status) {
			f.find("stored but unreadable", r, "")
			return nil
		}
		return a.body
	}
	type page struct {
		Items      []map[string]any `json:"items"`
		NextCursor *string          `json:"next_cursor"`
	}
	all := func(path string) []map[string]any {
		var items []map[string]any
		cursor := ""
		for range 1000 {
			target := path + "?limit=500"
			if cursor != "" {
				target += "&cursor=" + url.QueryEscape(cursor)
			}
			var p page
			b := get(target)
			if b == nil || json.Unmarshal(b, &p) != nil {
				return items
			}
			items = append(items, p.Items...)
			if p.NextCursor == nil {
				return items
			}
			cursor = *p.NextCursor
		}
		return items
	}
	all("/v1/keys")
	all("/v1/learnings")
	for _, x := range all("/v1/experiments") {
		id, _ := x["id"].(string)
		exp := "/v1/experiments/" + url.PathEscape(id)
		get(exp)
		get(exp + "/variants")
		for _, p := range all(exp + "/posts") {
			pid, _ := p["id"].(string)
			get("/v1/posts/" + url.PathEscape(pid))
			all("/v1/posts/" + url.PathEscape(pid) + "/snapshots")
		}
		get(exp + "/report")
		get(exp + "/report?horizon=latest")
		get(exp + "/growth")
		get(exp+"/next", http.StatusConflict)
		get(exp+"/schedule", http.StatusNotFound)
	}
}

// countStatuses writes status counts as "200×12 404×3".
func countStatuses(m map[int]int) string {
	out := make([]string, 0, len(m))
	for s, n := range m {
		out = append(out, fmt.Sprintf("%d×%d", s, n))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// report prints the run's figures and fails the test with each kind of finding, with the
// requests that show it.
func (f *fuzzer) report(dialect string, fuzzed int, took, readBack time.Duration) {
	groups := map[string][]finding{}
	for _, x := range f.findings {
		op := "read-back"
		if x.req.op != nil {
			op = x.req.op.op.OperationID
		}
		status := 0
		if x.req.response != nil {
			status = x.req.response.status
		}
		key := fmt.Sprintf("%s: %s → %d", x.rule, op, status)
		groups[key] = append(groups[key], x)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	f.t.Logf("contract fuzz on %s: %d generated requests in %v, %d reads back in %v; %d findings in %d kinds; answers %s",
		dialect, fuzzed, took.Round(time.Millisecond), f.sent-fuzzed, readBack.Round(time.Millisecond),
		len(f.findings), len(groups), countStatuses(f.statuses))
	if testing.Verbose() {
		ops := make([]string, 0, len(f.byOp))
		for op := range f.byOp {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			f.t.Logf("  %-20s %6v  %s", op, f.opTime[op].Round(time.Millisecond), countStatuses(f.byOp[op]))
		}
	}
	for _, k := range keys {
		xs := groups[k]
		var b strings.Builder
		fmt.Fprintf(&b, "%s (%d×), e.g.:", k, len(xs))
		for _, x := range xs[:min(len(xs), 2)] {
			b.WriteString("\n  " + x.req.String())
			if x.note != "" {
				why, _, _ := strings.Cut(x.note, "\nSchema:") // kin-openapi's schema dump says no more
				b.WriteString("\n    why: " + short(why, 500))
			}
		}
		f.t.Error(b.String())
	}
}
