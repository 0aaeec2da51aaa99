package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	gormlogger "gorm.io/gorm/logger"
)

// queryLogger is GORM's logger: it reports slow statements, without their parameters (they
// hold key hashes and secrets). Failed statements are not logged here: the error goes back to
// the caller, which logs a failure once, where it answers for it.
type queryLogger struct {
	log  *slog.Logger
	slow time.Duration
}

// maxLoggedSQL bounds the statement text in a log line (a bulk upsert is megabytes long).
const maxLoggedSQL = 300

func (l queryLogger) LogMode(gormlogger.LogLevel) gormlogger.Interface { return l }

func (l queryLogger) Info(context.Context, string, ...any) {}

func (l queryLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(msg, args...))
}

func (l queryLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, fmt.Sprintf(msg, args...))
}

// Trace runs after every statement; it also tells the transaction's watchdog that the database
// has answered.
func (l queryLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), _ error) {
	kickWatchdog(ctx)
	elapsed := time.Since(begin)
	if elapsed < l.slow {
		return
	}
	query, rows := fc()
	if len(query) > maxLoggedSQL {
		query = query[:maxLoggedSQL] + "…"
	}
	l.log.WarnContext(ctx, "slow query", "duration_ms", elapsed.Milliseconds(), "rows", rows, "sql", query)
}

// ParamsFilter keeps parameter values out of the statement text GORM hands to Trace.
func (queryLogger) ParamsFilter(_ context.Context, query string, _ ...any) (string, []any) {
	return query, nil
}
