// Package api is postlab's HTTP adapter: routes, middleware, handlers (one file per resource)
// and the problem+json error handler. It speaks to the domain only through its services:
// experiments (the domain and its writes), report and planning.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"postlab/experiments"
	"postlab/planning"
	"postlab/report"
)

// Options configures the HTTP server.
type Options struct {
	BodyLimit       string        // default request body limit, e.g. "10M"
	ImportBodyLimit string        // body limit of the import endpoint, e.g. "100M"
	RequestTimeout  time.Duration // per request, honoured by queries through ctx
	RateLimit       float64       // requests per second per API key (per instance); 0 turns it off
	RateBurst       int
	// InvalidKeyRate is how many requests with invalid keys per second a client address may
	// send (with a burst of InvalidKeyBurst) before it is answered 429 without a lookup.
	InvalidKeyRate  float64
	InvalidKeyBurst int
	OpenAPI         []byte // the contract, served at /openapi.yaml, /openapi.json and /docs
	CORS            CORS   // which other origins' pages may call the API (zero value: none)
	// Metrics serves GET /metrics (Prometheus text format, no key needed): expose it only
	// where the scraper alone can reach it.
	Metrics bool
}

// DefaultOptions are the limits SPEC §4 names.
func DefaultOptions() Options {
	return Options{BodyLimit: "10M", ImportBodyLimit: "100M", RequestTimeout: 5 * time.Minute,
		RateLimit: 50, RateBurst: 200, InvalidKeyRate: 1, InvalidKeyBurst: 20}
}

// Services are the domain services the handlers call, built once by the program.
type Services struct {
	Experiments *experiments.Service
	Reports     *report.Service
	Planning    *planning.Service
}

// Server holds what the handlers share.
type Server struct {
	svc     *experiments.Service
	reports *report.Service
	plans   *planning.Service
	logger  *slog.Logger
	opts    Options
	cursors cursors
	limiter *tokenBuckets // requests per API key

	metrics   *metrics      // nil unless Options.Metrics
	keys      keyCache      // verified API keys
	badKeys   *tokenBuckets // invalid keys per client address: spent by failures only
	inflight  inflightSet   // idempotency scopes this instance is working on
	purgeMu   sync.Mutex
	lastPurge time.Time // of expired idempotency records
}

// importRoute is the one route with a larger body limit.
const importRoute = "/v1/experiments/:id/import"

// NewServer builds the HTTP handler: every route on one screen.
func NewServer(ctx context.Context, services Services, logger *slog.Logger, opts Options) (http.Handler, error) {
	svc := services.Experiments
	var secret []byte
	err := svc.Store().Tx(ctx, func(tx experiments.Tx) (err error) {
		secret, err = tx.Secret("cursor")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load cursor secret: %w", err)
	}
	if _, wrapped := logger.Handler().(requestIDHandler); !wrapped {
		logger = slog.New(LogRequestIDs(logger.Handler()))
	}
	s := &Server{svc: svc, reports: services.Reports, plans: services.Planning, logger: logger, opts: opts,
		cursors: cursors{secret: secret}, limiter: newTokenBuckets(opts.RateLimit, opts.RateBurst),
		badKeys: newTokenBuckets(opts.InvalidKeyRate, opts.InvalidKeyBurst)}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(logger)
	e.Pre(decodePath)
	e.Use(requestID)
	e.Use(s.logRequests)
	e.Use(s.recoverPanics)
	e.Use(opts.CORS.middleware)
	isImport := func(c echo.Context) bool { return c.Path() == importRoute }
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: opts.BodyLimit, Skipper: isImport}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: opts.ImportBodyLimit,
		Skipper: func(c echo.Context) bool { return !isImport(c) }}))
	e.Use(checkText)
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: opts.RequestTimeout}))

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.HEAD("/healthz", s.healthz) // load balancers probe with HEAD
	e.HEAD("/readyz", s.readyz)
	e.GET("/openapi.yaml", s.openapi)
	if opts.Metrics {
		s.metrics = newMetrics(svc.Store())
		e.GET("/metrics", s.metrics.handler())
	}

	// Idempotency runs after the role check (see allow): a key never replays an answer to a
	// caller that could not have made the request.
	v := e.Group("/v1", s.authenticate, s.rateLimit)
	viewer, editor, admin := s.allow(experiments.RoleViewer), s.allow(experiments.RoleEditor), s.allow(experiments.RoleAdmin)

	v.GET("/workspace", s.getWorkspace, viewer)
	v.POST("/keys", s.createKey, admin)
	v.GET("/keys", s.listKeys, admin)
	v.DELETE("/keys/:key_id", s.revokeKey, admin)

	v.POST("/experiments", s.createExperiment, editor)
	v.GET("/experiments", s.listExperiments, viewer)
	v.GET("/experiments/:id", s.getExperiment, viewer)
	v.PATCH("/experiments/:id", s.patchExperiment, editor)
	v.DELETE("/experiments/:id", s.deleteExperiment, editor)
	for _, action := range []experiments.Action{experiments.ActionStart, experiments.ActionPause,
		experiments.ActionResume, experiments.ActionConclude, experiments.ActionArchive} {
		v.POST("/experiments/:id/"+string(action), s.transition(action), editor)
	}

	v.POST("/experiments/:id/variants", s.createVariant, editor)
	v.GET("/experiments/:id/variants", s.listVariants, viewer)
	v.PATCH("/experiments/:id/variants/:variant_id", s.patchVariant, editor)
	v.DELETE("/experiments/:id/variants/:variant_id", s.deleteVariant, editor)

	v.POST("/experiments/:id/posts", s.createPost, editor)
	v.GET("/experiments/:id/posts", s.listPosts, viewer)
	v.GET("/posts/:post_id", s.getPost, viewer)
	v.PATCH("/posts/:post_id", s.patchPost, editor)
	v.DELETE("/posts/:post_id", s.deletePost, editor)

	v.POST("/posts/:post_id/snapshots", s.createSnapshot, editor)
	v.GET("/posts/:post_id/snapshots", s.listSnapshots, viewer)
	v.POST(`/snapshots\:batch`, s.batchSnapshots, editor)
	v.POST("/experiments/:id/import", s.importFile, editor)

	s.routesBeyondCore(v, viewer, editor)
	if err := s.browserRoutes(e); err != nil {
		return nil, err
	}
	v.RouteNotFound("", wrongMethod(e))
	v.RouteNotFound("/*", wrongMethod(e))
	return e, nil
}

// allow checks the route's role and refuses empty query values, then handles Idempotency-Key.
func (s *Server) allow(need experiments.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return requireRole(need)(refuseEmptyQuery(s.idempotency(next)))
	}
}

// routesBeyondCore registers the report, import and planning endpoints.
func (s *Server) routesBeyondCore(v *echo.Group, viewer, editor echo.MiddlewareFunc) {
	v.GET("/experiments/:id/report", s.getReport, viewer)
	v.GET("/experiments/:id/report/chart.svg", s.getReportChart("svg", "image/svg+xml"), viewer)
	v.GET("/experiments/:id/report/chart.png", s.getReportChart("png", "image/png"), viewer)
	v.GET("/experiments/:id/growth", s.getGrowth, viewer)
	v.POST("/plan/sample-size", s.planSampleSize, viewer) // writes nothing: any key may ask
	v.POST("/experiments/:id/schedule", s.createSchedule, editor)
	v.GET("/experiments/:id/schedule", s.getSchedule, viewer)
	v.GET("/learnings", s.searchLearnings, viewer)
	v.GET("/experiments/:id/next", s.getNext, viewer)
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.svc.Ping(ctx); err != nil {
		s.logger.WarnContext(ctx, "database not ready", "error", err)
		c.Response().Header().Set("Retry-After", retryAfter)
		return writeProblem(c, newProblem(http.StatusServiceUnavailable, "the database does not answer", nil))
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) openapi(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", s.opts.OpenAPI)
}
