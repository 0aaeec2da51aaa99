package api

import (
	"context"
	"database/sql"
	"log/slog"
	"regexp"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type requestIDKey struct{}

// clientContextKey holds, on the echo context, the request's context as net/http made it: it
// ends when the client goes away, and only then while the request is being served. (The
// request's own context is replaced by middleware, whose cancel functions run before errors
// are rendered.)
const clientContextKey = "client.context"

// clientGone reports whether the client of the request has gone away.
func clientGone(c echo.Context) bool {
	ctx, ok := c.Get(clientContextKey).(context.Context)
	return ok && ctx.Err() != nil
}

// clientRequestID is a request id a client may choose for itself (to follow a request through
// its own logs); anything else is replaced by a generated one.
var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// requestID gives every request an id: in the X-Request-Id answer header, and in the request's
// context, where LogRequestIDs finds it for every log line written with that context.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	generate := middleware.DefaultRequestIDConfig.Generator
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !clientRequestID.MatchString(id) {
			id = generate()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		c.Set(clientContextKey, c.Request().Context())
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), requestIDKey{}, id)))
		return next(c)
	}
}

// LogRequestIDs wraps a log handler so that every record logged with a request's context
// carries the attribute request_id. The server wraps its own logger; wrap the store's too, so
// that its lines (slow queries) name their request.
func LogRequestIDs(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// metrics are what GET /metrics exposes, in the Prometheus text format.
type metrics struct {
	registry   *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	importRows *prometheus.CounterVec
}

// poolStats is what a store with a database/sql pool can say about it.
type poolStats interface{ Stats() sql.DBStats }

func newMetrics(pool any) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "postlab_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status."}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "postlab_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method and route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"method", "route"}),
		importRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "postlab_import_rows_total",
			Help: "Rows of imported files, by outcome (written, skipped, failed) and whether it was a dry run."},
			[]string{"outcome", "dry_run"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.importRows,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if p, ok := pool.(poolStats); ok {
		m.registry.MustRegister(poolCollectors(p)...)
	}
	return m
}

// poolCollectors read the database pool's figures (sql.DBStats) when scraped.
func poolCollectors(p poolStats) []prometheus.Collector {
	gauge := func(name, help string, v func(sql.DBStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "postlab_db_" + name, Help: help},
			func() float64 { return v(p.Stats()) })
	}
	counter := func(name, help string, v func(sql.DBStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "postlab_db_" + name, Help: help},
			func() float64 { return v(p.Stats()) })
	}
	return []prometheus.Collector{
		gauge("max_open_connections", "Most connections the pool opens.", func(s sql.DBStats) float64 { return float64(s.MaxOpenConnections) }),
		gauge("open_connections", "Connections open, in use or idle.", func(s sql.DBStats) float64 { return float64(s.OpenConnections) }),
		gauge("in_use_connections", "Connections in use.", func(s sql.DBStats) float64 { return float64(s.InUse) }),
		gauge("idle_connections", "Idle connections.", func(s sql.DBStats) float64 { return float64(s.Idle) }),
		counter("wait_count_total", "Times a request waited for a connection.", func(s sql.DBStats) float64 { return float64(s.WaitCount) }),
		counter("wait_duration_seconds_total", "Time spent waiting for a connection.", func(s sql.DBStats) float64 { return s.WaitDuration.Seconds() }),
		counter("max_idle_closed_total", "Connections closed for SetMaxIdleConns.", func(s sql.DBStats) float64 { return float64(s.MaxIdleClosed) }),
		counter("max_idle_time_closed_total", "Connections closed for SetConnMaxIdleTime.", func(s sql.DBStats) float64 { return float64(s.MaxIdleTimeClosed) }),
		counter("max_lifetime_closed_total", "Connections closed for SetConnMaxLifetime.", func(s sql.DBStats) float64 { return float64(s.MaxLifetimeClosed) }),
	}
}

// observe records one answered request.
func (m *metrics) observe(c echo.Context, status int, took time.Duration) {
	if m == nil {
		return
	}
	route := c.Path()
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(c.Request().Method, route).Observe(took.Seconds())
}

// importedRows counts the rows of an import.
func (m *metrics) importedRows(written, skipped, failed int, dryRun bool) {
	if m == nil {
		return
	}
	dry := strconv.FormatBool(dryRun)
	m.importRows.WithLabelValues("written", dry).Add(float64(written))
	m.importRows.WithLabelValues("skipped", dry).Add(float64(skipped))
	m.importRows.WithLabelValues("failed", dry).Add(float64(failed))
}

// handler serves the metrics in the Prometheus text format.
func (m *metrics) handler() echo.HandlerFunc {
	h := promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return func(c echo.Context) error {
		h.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}

// statusClientClosed is logged for a request whose client went away before its answer (the
// status nginx uses); nothing is sent, as there is no one to send it to.
const statusClientClosed = 499
