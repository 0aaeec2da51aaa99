package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"postlab"
	"postlab/api"
	"postlab/experiments"
	"postlab/planning"
	"postlab/report"
	"postlab/store/storetest"
)

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// contract loads openapi.yaml once and routes requests to its operations.
func contract(t testing.TB) routers.Router {
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(postlab.OpenAPI)
		if err != nil {
			specErr = err
			return
		}
		if specErr = doc.Validate(context.Background()); specErr != nil {
			return
		}
		doc.Servers = nil // match requests to the test server, whatever its address
		specRouter, specErr = gorillamux.NewRouter(doc)
	})
	if specErr != nil {
		t.Fatalf("openapi.yaml: %v", specErr)
	}
	return specRouter
}

// env is one server on a fresh database, with a workspace and keys of every role.
type env struct {
	t      testing.TB
	srv    *httptest.Server
	svc    *experiments.Service
	all    api.Services // svc with the report and planning services, as the program wires them
	admin  string
	editor string
	viewer string
}

// forEachDialect runs fn against a fresh server on PostgreSQL and on SQLite.
func forEachDialect(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { fn(t, newEnv(t, d, api.DefaultOptions())) })
	}
}

func newEnv(t testing.TB, dialect string, opts api.Options) *env {
	t.Helper()
	return newEnvAt(t, dialect, opts, nil)
}

// newEnvAt is newEnv with the service's clock (nil: the real one).
func newEnvAt(t testing.TB, dialect string, opts api.Options, now func() time.Time) *env {
	t.Helper()
	return newEnvLogged(t, dialect, opts, now, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// newEnvLogged is newEnvAt with the server's logger.
func newEnvLogged(t testing.TB, dialect string, opts api.Options, now func() time.Time, logger *slog.Logger) *env {
	t.Helper()
	services, h := wire(t, storetest.Open(t, dialect), now, logger, opts)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, svc: services.Experiments, all: services}
	e.admin = e.workspace("acme")
	e.editor = e.newKey(e.admin, "editor")
	e.viewer = e.newKey(e.admin, "viewer")
	return e
}

// wire builds the services on db as the program wires them (the report service freezes reports
// at conclusion, the planning service sizes plans at start), and the server's handler on them.
func wire(t testing.TB, db experiments.Store, now func() time.Time, logger *slog.Logger, opts api.Options) (api.Services, http.Handler) {
	t.Helper()
	reports := report.NewService(db, now)
	plans := planning.NewService(db, now)
	services := api.Services{Experiments: experiments.NewService(db, now, reports.FreezeReport, plans),
		Reports: reports, Planning: plans}
	opts.OpenAPI = postlab.OpenAPI
	h, err := api.NewServer(context.Background(), services, logger, opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return services, h
}

// workspace creates a workspace and returns its admin key.
func (e *env) workspace(name string) string {
	e.t.Helper()
	_, secret, err := e.svc.CreateWorkspace(context.Background(), name)
	if err != nil {
		e.t.Fatalf("CreateWorkspace(%q): %v", name, err)
	}
	return secret
}

func (e *env) newKey(admin, role string) string {
	e.t.Helper()
	r := e.do(call{method: "POST", path: "/v1/keys", key: admin, body: map[string]any{"name": role, "role": role}})
	r.want(http.StatusCreated)
	return r.field("secret")
}

// call is one request. raw, when set, is sent as the body instead of body's JSON; such
// requests are deliberately malformed, so they are not checked against the contract.
type call struct {
	method  string
	path    string
	key     string
	body    any
	raw     string
	headers map[string]string
	// specInvalid marks a request that breaks the contract on purpose: the contract must reject
	// it too, and the server's answer is still checked against it.
	specInvalid bool
	// outsideContract marks a request to a route the contract does not have (an unknown path):
	// only the problem+json shape of the answer is checked.
	outsideContract bool
}

type response struct {
	t      testing.TB
	req    call
	Status int
	Header http.Header
	Body   []byte
}

// do sends the request and checks request and answer against openapi.yaml.
func (e *env) do(c call) *response {
	e.t.Helper()
	var body []byte
	switch {
	case c.raw != "":
		body = []byte(c.raw)
	case c.body != nil:
		var err error
		if body, err = json.Marshal(c.body); err != nil {
			e.t.Fatalf("marshal body: %v", err)
		}
	}
	req, err := http.NewRequest(c.method, e.srv.URL+c.path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	var input *openapi3filter.RequestValidationInput
	if !c.outsideContract {
		input = e.checkRequest(req, body, c)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("read answer: %v", err)
	}
	r := &response{t: e.t, req: c, Status: res.StatusCode, Header: res.Header, Body: got}
	e.checkResponse(input, r)
	return r
}

func (e *env) checkRequest(req *http.Request, body []byte, c call) *openapi3filter.RequestValidationInput {
	e.t.Helper()
	route, params, err := contract(e.t).FindRoute(req)
	if err != nil {
		e.t.Fatalf("%s %s is not in openapi.yaml: %v", c.method, c.path, err)
	}
	clone := req.Clone(context.Background())
	clone.Body = io.NopCloser(bytes.NewReader(body))
	input := &openapi3filter.RequestValidationInput{Request: clone, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if c.raw != "" {
		return input
	}
	err = openapi3filter.ValidateRequest(context.Background(), input)
	switch {
	case c.specInvalid && err == nil:
		e.t.Errorf("%s %s: openapi.yaml accepts a request the test means to be invalid", c.method, c.path)
	case !c.specInvalid && err != nil:
		e.t.Errorf("%s %s: request breaks openapi.yaml: %v", c.method, c.path, err)
	}
	return input
}

func (e *env) checkResponse(input *openapi3filter.RequestValidationInput, r *response) {
	e.t.Helper()
	if r.Status >= 400 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		e.t.Errorf("%s %s → %d with Content-Type %q, want application/problem+json", r.req.method, r.req.path, r.Status, r.Header.Get("Content-Type"))
	}
	if input == nil {
		return
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: input, Status: r.Status,
		Header: r.Header, Body: io.NopCloser(bytes.NewReader(r.Body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		e.t.Errorf("%s %s → %d: answer breaks openapi.yaml: %v\nbody: %s", r.req.method, r.req.path, r.Status, err, trim(r.Body))
	}
}

func trim(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// want fails the test unless the answer has this status.
func (r *response) want(status int) *response {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("%s %s = %d, want %d\nbody: %s", r.req.method, r.req.path, r.Status, status, trim(r.Body))
	}
	return r
}

// decode reads the answer's JSON into v.
func (r *response) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("%s %s: answer is not JSON: %v\n%s", r.req.method, r.req.path, err, trim(r.Body))
	}
}

// field returns a top-level string field of the answer.
func (r *response) field(name string) string {
	r.t.Helper()
	var m map[string]any
	r.decode(&m)
	s, _ := m[name].(string)
	if s == "" {
		r.t.Fatalf("%s %s: answer has no %q: %s", r.req.method, r.req.path, name, trim(r.Body))
	}
	return s
}

// problem decodes a problem answer and checks that it names field (when field is not "").
func (r *response) problem(status int, field string) api.Problem {
	r.t.Helper()
	r.want(status)
	var p api.Problem
	r.decode(&p)
	if p.Status != status || p.Title == "" || p.Detail == "" || p.Type == "" {
		r.t.Errorf("%s %s: incomplete problem %+v", r.req.method, r.req.path, p)
	}
	if field == "" {
		return p
	}
	for _, f := range p.Errors {
		if f.Field == field && f.Message != "" {
			return p
		}
	}
	r.t.Errorf("%s %s: problem does not name field %q: %s", r.req.method, r.req.path, field, trim(r.Body))
	return p
}
