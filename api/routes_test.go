package api_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"postlab"
	"postlab/api"
)

// browserOnly are routes for people with a browser, not for API clients: the dashboard and
// the page that renders the docs. They are the only routes the contract need not describe.
var browserOnly = map[string]bool{
	"GET /docs": true,
	"GET /*":    true, // the dashboard's pages and assets
	"HEAD /*":   true,
}

// optionalRoutes are served only when an option turns them on (the contract says so); the
// test builds the server with each on, and checks that without it the route is not there.
var optionalRoutes = map[string]func(*api.Options){
	"GET /metrics": func(o *api.Options) { o.Metrics = true },
}

// contractMethods are the methods an OpenAPI path item can hold. Echo also registers routes of
// its own (e.g. RouteNotFound for a group) under other names; those are not endpoints.
var contractMethods = []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete,
	http.MethodOptions, http.MethodHead, http.MethodPatch, http.MethodTrace}

var echoParam = regexp.MustCompile(`:([a-zA-Z_][a-zA-Z0-9_]*)`)

// contractPath writes an Echo route path as an OpenAPI path: ":id" becomes "{id}", and the
// escaped colon of "snapshots\:batch" a plain one.
func contractPath(echoPath string) string {
	p := strings.ReplaceAll(echoPath, `\:`, "\x00")
	p = echoParam.ReplaceAllString(p, "{$1}")
	return strings.ReplaceAll(p, "\x00", ":")
}

// TestRoutesMatchContract compares the server's real routes with openapi.yaml's operations:
// a route the contract does not describe, or an operation no route serves, fails.
func TestRoutesMatchContract(t *testing.T) {
	opts := api.DefaultOptions()
	for _, turnOn := range optionalRoutes {
		turnOn(&opts)
	}
	router := routerOf(t, newEnv(t, "sqlite", opts))
	doc, err := openapi3.NewLoader().LoadFromData(postlab.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}

	served := map[string]bool{}
	for _, r := range router.Routes() {
		if !slices.Contains(contractMethods, r.Method) {
			continue
		}
		name := r.Method + " " + contractPath(r.Path)
		served[name] = true
		if browserOnly[name] {
			continue
		}
		item := doc.Paths.Value(contractPath(r.Path))
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("%s is served but openapi.yaml does not describe it", name)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !served[method+" "+path] {
				t.Errorf("%s %s (%s) is in openapi.yaml but no route serves it", method, path, op.OperationID)
			}
		}
	}
	if len(served) < 10 {
		t.Fatalf("read only %d routes from the server; the test is not seeing the router", len(served))
	}
}

// TestOptionalRoutesOff checks that the default options serve none of the optional routes.
func TestOptionalRoutesOff(t *testing.T) {
	router := routerOf(t, newEnv(t, "sqlite", api.DefaultOptions()))
	for _, r := range router.Routes() {
		name := r.Method + " " + contractPath(r.Path)
		if _, optional := optionalRoutes[name]; optional {
			t.Errorf("%s is served with the default options; it should need its option", name)
		}
	}
}

func routerOf(t *testing.T, e *env) *echo.Echo {
	t.Helper()
	router, ok := e.srv.Config.Handler.(*echo.Echo)
	if !ok {
		t.Fatalf("api.NewServer returned a %T; this test reads the routes of an *echo.Echo", e.srv.Config.Handler)
	}
	return router
}
