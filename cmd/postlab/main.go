// Command postlab serves the postlab API and administers its database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // IANA zones for post times, even on a machine without them

	"postlab"
	"postlab/api"
	"postlab/experiments"
	"postlab/planning"
	"postlab/report"
	"postlab/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "postlab:", describe(err))
		os.Exit(exitCode(err))
	}
}

// exitCode is 2 for a command line postlab does not understand, 1 for any other failure.
func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

var errUsage = errors.New("see postlab --help")

const usage = `postlab: A/B experiments for social-media posts, as an HTTP API.

Usage:
  postlab [serve] [--addr ADDR]          serve the API (default)
  postlab migrate                        apply database migrations and exit
  postlab demo [--workspace NAME]        load an example campaign (default: the first workspace,
                                         created with its admin key when there is none)
  postlab workspace create NAME          create a workspace; prints its admin key alone
  postlab workspace list                 list the workspaces
  postlab key create --workspace NAME --role ROLE [--name NAME]
                                         create an API key (viewer, editor or admin); prints it
                                         alone. A lost admin key is replaced this way.
  postlab key list --workspace NAME      list a workspace's keys (never their secrets)
  postlab key revoke --workspace NAME ID_OR_PREFIX
                                         revoke a key, named by its id or its prefix (pl_…)
  postlab stats eval FILE                run the statistics on cases in the format of
                                         stats/testdata/stats-cases.json; prints {"cases": [...]}
  postlab version                        print the version, commit and Go version (or --version)
  postlab help                           print this help (or --help, -h)

Flags:
  --addr ADDR            listen address (env POSTLAB_ADDR, default :8080)
  --database-url URL     database (env DATABASE_URL): postgres://… or postgresql://… or libpq's
                         keyword form (host=… dbname=…) selects PostgreSQL; sqlite://PATH or a
                         file path selects SQLite; unset: ./postlab.db

Environment:
  DATABASE_URL           as --database-url
  POSTLAB_ADDR           as --addr
  POSTLAB_LOG_LEVEL      debug, info (default), warn or error; logs are JSON on stderr
  POSTLAB_BODY_LIMIT     request body limit (default 10M)
  POSTLAB_IMPORT_LIMIT   import body limit (default 100M)
  POSTLAB_RATE_LIMIT     requests per second per API key, per instance (default 50; 0 turns it off)
  POSTLAB_RATE_BURST     burst size of the rate limit (default 200)
  POSTLAB_DB_TIMEOUT     PostgreSQL: how long a request waits for a database that answers
                         nothing before it fails with 503 and Retry-After (default 5s; a
                         statement still being worked on may take 6 times as long)
  POSTLAB_BODY_MIN_RATE  slowest average upload a request body may come at, bytes a second
                         (default 65536)
  POSTLAB_BODY_IDLE      longest pause in a request body before it is cut off (default 30s)
  POSTLAB_CORS_ORIGINS   comma-separated origins whose pages may call the API from a browser,
                         e.g. https://tools.example.org, or * for any (default: none; the
                         dashboard at / is the API's own origin and needs nothing)
  POSTLAB_CORS_CREDENTIALS
                         true lets those origins send cookies too (not with *; default false)
`

// config is what flags and the environment set.
type config struct {
	addr        string
	databaseURL string
	logLevel    slog.Level
	api         api.Options
	dbTimeout   time.Duration
	bodyRead    api.BodyReadLimits
}

// loadConfig parses the flags in args, which may come before, between or after the
// positional arguments it returns, and reads the environment.
func loadConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (config, []string, error) {
	cfg := config{api: api.DefaultOptions(), dbTimeout: store.DefaultTimeout, bodyRead: api.DefaultBodyReadLimits}
	cfg.api.OpenAPI = postlab.OpenAPI
	fs.StringVar(&cfg.addr, "addr", envOr(getenv, "POSTLAB_ADDR", ":8080"), "listen address")
	fs.StringVar(&cfg.databaseURL, "database-url", getenv("DATABASE_URL"), "database URL or SQLite path")
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return cfg, nil, err
	}
	if err != nil {
		return cfg, nil, fmt.Errorf("%v: %w", err, errUsage)
	}
	return cfg, positional, cfg.fromEnv(getenv)
}

// parseInterspersed parses flags wherever they stand among the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// fromEnv reads the settings that have no flag.
func (cfg *config) fromEnv(getenv func(string) string) error {
	if err := cfg.logLevel.UnmarshalText([]byte(envOr(getenv, "POSTLAB_LOG_LEVEL", "info"))); err != nil {
		return fmt.Errorf("POSTLAB_LOG_LEVEL: %w", err)
	}
	cfg.api.BodyLimit = envOr(getenv, "POSTLAB_BODY_LIMIT", cfg.api.BodyLimit)
	cfg.api.ImportBodyLimit = envOr(getenv, "POSTLAB_IMPORT_LIMIT", cfg.api.ImportBodyLimit)
	var err error
	if cfg.api.RateLimit, err = envFloat(getenv, "POSTLAB_RATE_LIMIT", cfg.api.RateLimit); err != nil {
		return err
	}
	burst, err := envFloat(getenv, "POSTLAB_RATE_BURST", float64(cfg.api.RateBurst))
	if err != nil {
		return err
	}
	cfg.api.RateBurst = int(burst)
	if cfg.api.CORS, err = corsConfig(getenv); err != nil {
		return err
	}
	if cfg.dbTimeout, err = envDuration(getenv, "POSTLAB_DB_TIMEOUT", cfg.dbTimeout); err != nil {
		return err
	}
	if cfg.bodyRead.Idle, err = envDuration(getenv, "POSTLAB_BODY_IDLE", cfg.bodyRead.Idle); err != nil {
		return err
	}
	rate, err := envFloat(getenv, "POSTLAB_BODY_MIN_RATE", float64(cfg.bodyRead.MinRate))
	if err != nil {
		return err
	}
	cfg.bodyRead.MinRate = int64(rate)
	if v := getenv("POSTLAB_METRICS"); v != "" {
		if cfg.api.Metrics, err = strconv.ParseBool(v); err != nil {
			return fmt.Errorf("POSTLAB_METRICS must be true or false, not %q", v)
		}
	}
	return nil
}

func envDuration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s must be a duration such as 5s, not %q", name, v)
	}
	return d, nil
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

func envFloat(getenv func(string) string, name string, def float64) (float64, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%s must be a number of 0 or more, not %q", name, v)
	}
	return f, nil
}

// run is the whole program, testable: it reads args and the environment, writes its answers
// to stdout and its logs to stderr, and returns when ctx ends or the command is done. A command
// line it does not understand prints the usage on stderr and returns an errUsage before any
// database is opened.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		_, err = fmt.Fprint(stdout, usage)
		return err
	}
	if errors.Is(err, errUsage) {
		fmt.Fprint(stderr, usage, "\n")
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "help":
		return flag.ErrHelp
	case "version":
		return printVersion(stdout)
	case "stats":
		if len(rest) != 2 || rest[0] != "eval" {
			return fmt.Errorf("stats: want `postlab stats eval FILE`: %w", errUsage)
		}
		return statsEval(rest[1], stdout)
	case "serve", "migrate":
		if len(rest) == 1 && (rest[0] == "--version" || rest[0] == "-version") {
			return printVersion(stdout)
		}
		c, err := parseCommand(rest, getenv, 0, nil)
		if err != nil {
			return err
		}
		if cmd == "migrate" {
			return withService(ctx, c.cfg, stderr, func(api.Services, *slog.Logger) error { return nil })
		}
		return withService(ctx, c.cfg, stderr, func(services api.Services, logger *slog.Logger) error {
			return serve(ctx, c.cfg, services, logger, stdout)
		})
	case "workspace":
		return workspaceCommand(ctx, rest, getenv, stdout, stderr)
	case "key":
		return keyCommand(ctx, rest, getenv, stdout, stderr)
	case "demo":
		return demoCommand(ctx, rest, getenv, stdout, stderr)
	}
	return fmt.Errorf("unknown command %q: %w", cmd, errUsage)
}

// withService opens and migrates the database, then runs fn with the services on it.
func withService(ctx context.Context, cfg config, stderr io.Writer, fn func(api.Services, *slog.Logger) error) error {
	// Lines logged with a request's context (the store's slow queries too) name its request_id.
	logger := slog.New(api.LogRequestIDs(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel})))
	db, err := store.Open(ctx, cfg.databaseURL, logger)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	db.SetTimeout(cfg.dbTimeout)
	if err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	logger.Debug("migrations applied", "dialect", db.Dialect())
	return fn(newServices(db, nil), logger)
}

// newServices builds the domain services on one store and clock. The report service is the
// freezer of the experiments service: concluding an experiment keeps a copy of its report; the
// planning service sizes the plan of an experiment that starts without one.
func newServices(db experiments.Store, now func() time.Time) api.Services {
	reports := report.NewService(db, now)
	plans := planning.NewService(db, now)
	return api.Services{
		Experiments: experiments.NewService(db, now, reports.FreezeReport, plans),
		Reports:     reports,
		Planning:    plans,
	}
}

// serve answers HTTP until ctx ends, then drains requests for up to 15 seconds.
func serve(ctx context.Context, cfg config, services api.Services, logger *slog.Logger, stdout io.Writer) error {
	svc := services.Experiments
	ws, secret, created, err := svc.Bootstrap(ctx, "default")
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if created {
		fmt.Fprintf(stdout, "Created workspace %q. Its admin key, shown only this once:\n\n  %s\n\n"+
			"Use it as: curl -H 'Authorization: Bearer %s' http://localhost%s/v1/workspace\n\n",
			ws.Name, secret, secret, portOf(cfg.addr))
	}
	handler, err := api.NewServer(ctx, services, logger, cfg.api)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: cfg.addr, Handler: api.WithBodyReadLimits(handler, cfg.bodyRead), ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger.Info("serving", "addr", ln.Addr().String(), "dialect", svc.Store().Dialect())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func portOf(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i:]
	}
	return ":8080"
}
