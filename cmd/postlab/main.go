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
	"postlab/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "postlab:", err)
		}
		os.Exit(exitCode(err))
	}
}

func exitCode(err error) int {
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	return 1
}

var errUsage = errors.New("usage error; see postlab --help")

const usage = `postlab: A/B experiments for social-media posts, as an HTTP API.

Usage:
  postlab [serve] [--addr ADDR]          serve the API (default)
  postlab migrate                        apply database migrations and exit
  postlab workspace create NAME          create a workspace; prints its admin key alone
  postlab key create --workspace NAME --role ROLE [--name NAME]
                                         create an API key; prints it alone
  postlab stats eval FILE                run the statistics on cases in the format of
                                         stats-cases.json; prints {"cases": [...]}

Flags:
  --addr ADDR            listen address (env POSTLAB_ADDR, default :8080)
  --database-url URL     database (env DATABASE_URL): postgres://… or postgresql://… selects
                         PostgreSQL; any other value is a SQLite file path; unset: ./postlab.db

Environment:
  DATABASE_URL           as --database-url
  POSTLAB_ADDR           as --addr
  POSTLAB_LOG_LEVEL      debug, info (default), warn or error; logs are JSON on stderr
  POSTLAB_BODY_LIMIT     request body limit (default 10M)
  POSTLAB_IMPORT_LIMIT   import body limit (default 100M)
  POSTLAB_RATE_LIMIT     requests per second per API key, per instance (default 50; 0 turns it off)
  POSTLAB_RATE_BURST     burst size of the rate limit (default 200)
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
}

func loadConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (config, error) {
	cfg := config{api: api.DefaultOptions()}
	cfg.api.OpenAPI = postlab.OpenAPI
	fs.StringVar(&cfg.addr, "addr", envOr(getenv, "POSTLAB_ADDR", ":8080"), "listen address")
	fs.StringVar(&cfg.databaseURL, "database-url", getenv("DATABASE_URL"), "database URL or SQLite path")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if err := cfg.logLevel.UnmarshalText([]byte(envOr(getenv, "POSTLAB_LOG_LEVEL", "info"))); err != nil {
		return cfg, fmt.Errorf("POSTLAB_LOG_LEVEL: %w", err)
	}
	cfg.api.BodyLimit = envOr(getenv, "POSTLAB_BODY_LIMIT", cfg.api.BodyLimit)
	cfg.api.ImportBodyLimit = envOr(getenv, "POSTLAB_IMPORT_LIMIT", cfg.api.ImportBodyLimit)
	var err error
	if cfg.api.RateLimit, err = envFloat(getenv, "POSTLAB_RATE_LIMIT", cfg.api.RateLimit); err != nil {
		return cfg, err
	}
	burst, err := envFloat(getenv, "POSTLAB_RATE_BURST", float64(cfg.api.RateBurst))
	cfg.api.RateBurst = int(burst)
	if err != nil {
		return cfg, err
	}
	cfg.api.CORS, err = corsConfig(getenv)
	return cfg, err
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
// to stdout and its logs to stderr, and returns when ctx ends or the command is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("postlab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	cmd, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "stats":
		if len(rest) != 2 || rest[0] != "eval" {
			return fmt.Errorf("stats: want `postlab stats eval FILE`: %w", errUsage)
		}
		return statsEval(rest[1], stdout)
	case "help":
		fs.Usage()
		return nil
	}
	var keyWorkspace, keyRole, keyName string
	if cmd == "key" {
		fs.StringVar(&keyWorkspace, "workspace", "", "workspace name")
		fs.StringVar(&keyRole, "role", "", "viewer, editor or admin")
		fs.StringVar(&keyName, "name", "", "a name for the key")
		if len(rest) == 0 || rest[0] != "create" {
			return fmt.Errorf("key: want `postlab key create --workspace NAME --role ROLE`: %w", errUsage)
		}
		rest = rest[1:]
	}
	cfg, err := loadConfig(fs, rest, getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	db, err := store.Open(ctx, cfg.databaseURL, logger)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	svc := experiments.NewService(db, nil)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, svc, logger, stdout)
	case "migrate":
		logger.Info("migrations applied", "dialect", db.Dialect())
		return nil
	case "workspace":
		args := fs.Args()
		if len(args) != 2 || args[0] != "create" {
			return fmt.Errorf("workspace: want `postlab workspace create NAME`: %w", errUsage)
		}
		_, secret, err := svc.CreateWorkspace(ctx, args[1])
		if err != nil {
			return fmt.Errorf("create workspace: %w", err)
		}
		_, err = fmt.Fprintln(stdout, secret)
		return err
	case "key":
		if keyName == "" {
			keyName = keyRole
		}
		_, secret, err := svc.CreateKeyForWorkspace(ctx, keyWorkspace,
			experiments.KeyInput{Name: keyName, Role: experiments.Role(keyRole)})
		if err != nil {
			return fmt.Errorf("create key: %w", err)
		}
		_, err = fmt.Fprintln(stdout, secret)
		return err
	}
	return fmt.Errorf("unknown command %q: %w", cmd, errUsage)
}

// serve answers HTTP until ctx ends, then drains requests for up to 15 seconds.
func serve(ctx context.Context, cfg config, svc *experiments.Service, logger *slog.Logger, stdout io.Writer) error {
	ws, secret, created, err := svc.Bootstrap(ctx, "default")
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if created {
		fmt.Fprintf(stdout, "Created workspace %q. Its admin key, shown only this once:\n\n  %s\n\n"+
			"Use it as: curl -H 'Authorization: Bearer %s' http://localhost%s/v1/workspace\n\n",
			ws.Name, secret, secret, portOf(cfg.addr))
	}
	handler, err := api.NewServer(ctx, svc, logger, cfg.api)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: cfg.addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second,
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
