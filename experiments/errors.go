package experiments

import (
	"errors"
	"fmt"
)

// Error codes: each maps to one HTTP status in the api package, and nowhere else.
const (
	ECONFLICT     = "conflict"            // the request clashes with the current state (409)
	EINVALID      = "invalid"             // the input breaks a rule; Fields says where (422)
	ENOTFOUND     = "not_found"           // no such row in this workspace (404)
	EFORBIDDEN    = "forbidden"           // the key's role may not do this (403)
	EUNAUTHORIZED = "unauthorized"        // no key, or not a valid one (401)
	EPRECONDITION = "precondition_failed" // If-Match did not match (412)
	EINTERNAL     = "internal"            // a bug (500)
	EUNAVAILABLE  = "unavailable"         // the database cannot be reached or did not answer in time (503)
)

// ErrUnavailable is the error of a request whose database could not be reached or did not
// answer in time. The request may be sent again shortly; a write with the same
// Idempotency-Key, so that it is done once whatever became of the first.
var ErrUnavailable = &Error{Code: EUNAVAILABLE, Message: "the database is not answering; try again in a few seconds (a write with the same Idempotency-Key)"}

// FieldError names one field of the input and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a domain error: a code, a message safe to show to the client, and, for EINVALID,
// the fields at fault.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds a domain error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds an EINVALID error naming the fields at fault.
func Invalid(fields ...FieldError) *Error {
	msg := "the request is not valid"
	if len(fields) == 1 {
		msg = fields[0].Field + ": " + fields[0].Message
	}
	return &Error{Code: EINVALID, Message: msg, Fields: fields}
}

// ErrorCode returns the code of a domain error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// IsNotFound reports whether err is an ENOTFOUND domain error.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }

// FieldErrors collects the fields at fault while validating input.
type FieldErrors []FieldError

// Add names a field and what is wrong with it.
func (f *FieldErrors) Add(field, format string, args ...any) {
	*f = append(*f, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing was added, else one EINVALID error naming every field.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(f...)
}
