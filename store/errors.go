package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"postlab/experiments"
)

type violationKind int

const (
	noViolation violationKind = iota
	uniqueViolation
	foreignKeyViolation
	checkViolation
)

// violation is a constraint violation as the database reported it. name is PostgreSQL's
// constraint name, or, on SQLite, what follows "… constraint failed: " (the table.column list of
// a unique index, the expression of a check; SQLite does not say which foreign key failed).
type violation struct {
	kind violationKind
	name string
}

// constraint names one constraint of the schema as each dialect reports it.
type constraint struct{ postgres, sqlite string }

// The unique constraints whose violation gets its own message. PostgreSQL names an inline
// UNIQUE (a, b) of table t "t_a_b_key".
var (
	uniqueWorkspaceName = constraint{"workspaces_name_key", "workspaces.name"}
	uniqueAPIKeyHash    = constraint{"api_keys_hash_key", "api_keys.hash"}
	uniqueExperimentKey = constraint{"experiments_workspace_id_key_key", "experiments.workspace_id, experiments.key"}
	uniqueVariantKey    = constraint{"variants_experiment_id_key_key", "variants.experiment_id, variants.key"}
	uniqueControl       = constraint{"variants_one_control", "variants.experiment_id"}
	uniquePostExternal  = constraint{"posts_workspace_id_platform_external_id_key", "posts.workspace_id, posts.platform, posts.external_id"}
)

func (v violation) is(c constraint) bool {
	return v.name != "" && (v.name == c.postgres || v.name == c.sqlite)
}

// sqliteConstraint is SQLITE_CONSTRAINT, the primary code of every constraint error.
const sqliteConstraint = 19

var sqliteViolations = []struct {
	text string
	kind violationKind
}{
	{"UNIQUE constraint failed", uniqueViolation},
	{"FOREIGN KEY constraint failed", foreignKeyViolation},
	{"CHECK constraint failed", checkViolation},
}

// violationOf finds the constraint violation in err, if it is one.
func violationOf(err error) violation {
	if err == nil {
		return violation{}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return violation{uniqueViolation, pgErr.ConstraintName}
		case "23503":
			return violation{foreignKeyViolation, pgErr.ConstraintName}
		case "23514":
			return violation{checkViolation, pgErr.ConstraintName}
		}
		return violation{}
	}
	var sqliteErr interface {
		error
		Code() int
	}
	if !errors.As(err, &sqliteErr) || sqliteErr.Code()&0xff != sqliteConstraint {
		return violation{}
	}
	// The driver's text reads "constraint failed: UNIQUE constraint failed: t.a, t.b (2067)".
	msg := sqliteErr.Error()
	for _, s := range sqliteViolations {
		i := strings.Index(msg, s.text)
		if i < 0 {
			continue
		}
		name := strings.TrimPrefix(msg[i+len(s.text):], ": ")
		if j := strings.LastIndex(name, " ("); j >= 0 {
			name = name[:j]
		}
		return violation{s.kind, name}
	}
	return violation{}
}

// checkFields says, for the check constraints of the schema, which field broke which rule.
// PostgreSQL names a check "t_column_check"; SQLite quotes its expression; both hold the column.
var checkFields = []experiments.FieldError{
	{Field: "completion_rate", Message: "must be between 0 and 1"},
	{Field: "status", Message: "is not a known status"},
	{Field: "role", Message: "must be viewer, editor or admin"},
	{Field: "planned_posts_per_variant", Message: "must be a positive number of posts"},
}

// invalidValue is the domain error for a check violation: input the domain should have refused.
func invalidValue(v violation) error {
	for _, f := range checkFields {
		if strings.Contains(v.name, f.Field) {
			return experiments.Invalid(f)
		}
	}
	return experiments.Errorf(experiments.EINVALID, "a value is outside what the database accepts")
}

// notFound is the ENOTFOUND error for a missing row, e.g. notFound("experiment").
func notFound(what string) error {
	return experiments.Errorf(experiments.ENOTFOUND, "%s not found", what)
}

func conflict(format string, args ...any) error {
	return experiments.Errorf(experiments.ECONFLICT, format, args...)
}

// take runs q.Take(dest): no row is ENOTFOUND for what, any other failure is wrapped with op.
func take(q *gorm.DB, dest any, what, op string) error {
	err := q.Take(dest).Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return notFound(what)
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}
