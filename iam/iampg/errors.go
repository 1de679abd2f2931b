package iampg

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/opengate-iam/opengate/iam"
)

// MapError translates an error from pgx or PostgreSQL into an *iam.Error
// annotated with op. It is the one place where database errors become iam
// codes; stores call it (or let WithTx call it) once, at their boundary.
//
//   - nil stays nil; an error that already carries an *iam.Error is returned
//     unchanged.
//   - pgx.ErrNoRows → not_found.
//   - unique violation (23505) and exclusion violation (23P01) → conflict;
//     the message names the constraint, never the offending value.
//   - foreign key violation (23503) → not_found when a row refers to a row
//     that does not exist ("referenced object not found"); conflict when a
//     referenced row is deleted or its key changed while other rows still
//     refer to it. The two are told apart by the server's English message
//     text; with a non-English lc_messages every 23503 is not_found. Stores
//     that need a precise answer check ConstraintName.
//   - restrict violation (23001) → conflict.
//   - check violation (23514), not-null violation (23502) and every data
//     exception of class 22 (invalid text representation 22P02, string too
//     long 22001, numeric out of range 22003, bad UTF-8 or NUL 22021, ...)
//     → invalid.
//   - serialization failure (40001), deadlock (40P01) and the rest of class
//     40, lock not available (55P03), query cancelled or statement timeout
//     (57014), server shutting down (57P01–57P03), insufficient resources
//     (class 53), read-only transaction after a failover (25006), connection
//     exceptions (class 08), network and connect errors, a closed pool, and
//     a ctx that ended (context.DeadlineExceeded or context.Canceled)
//     → unavailable: the operation may succeed if retried.
//   - anything else → internal.
//
// Messages are safe to show to callers: they never contain values from the
// statement or the server's detail text. The original error stays the
// (log-only) cause, so errors.Is and errors.As still see it.
func MapError(op string, err error) error {
	if err == nil {
		return nil
	}
	var ie *iam.Error
	if errors.As(err, &ie) {
		return err
	}
	e := &iam.Error{Code: iam.CodeInternal, Op: op, Err: err}
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		e.Code, e.Message = iam.CodeNotFound, "not found"
	case errors.As(err, &pgErr):
		mapPgError(e, pgErr)
	case isUnavailable(err):
		e.Code, e.Message = iam.CodeUnavailable, "database unavailable"
	}
	return e
}

// mapPgError sets e's code and message from a server error.
func mapPgError(e *iam.Error, pgErr *pgconn.PgError) {
	code := pgErr.Code
	class := ""
	if len(code) >= 2 {
		class = code[:2]
	}
	switch {
	case code == "23505" || code == "23P01":
		e.Code = iam.CodeConflict
		e.Message = "already exists" + constraintSuffix(pgErr)
	case code == "23503" && strings.HasPrefix(pgErr.Message, "update or delete on table"):
		e.Code = iam.CodeConflict
		e.Message = "still referenced by other objects" + constraintSuffix(pgErr)
	case code == "23503":
		e.Code = iam.CodeNotFound
		e.Message = "referenced object not found" + constraintSuffix(pgErr)
	case code == "23001":
		e.Code = iam.CodeConflict
		e.Message = "still referenced by other objects" + constraintSuffix(pgErr)
	case code == "23514":
		e.Code = iam.CodeInvalid
		e.Message = "invalid value" + constraintSuffix(pgErr)
	case code == "23502":
		e.Code = iam.CodeInvalid
		e.Message = "missing required value"
		if pgErr.ColumnName != "" {
			e.Message += " (" + pgErr.ColumnName + ")"
		}
	case class == "22":
		e.Code = iam.CodeInvalid
		e.Message = "invalid value"
	case code == "40001" || code == "40P01" || class == "40":
		e.Code = iam.CodeUnavailable
		e.Message = "concurrent update, retry"
	case class == "08" || class == "53" || code == "55P03" || code == "57014" ||
		code == "57P01" || code == "57P02" || code == "57P03" || code == "25006":
		e.Code = iam.CodeUnavailable
		e.Message = "database unavailable"
	}
}

// constraintSuffix names the violated constraint, if the server said which.
func constraintSuffix(pgErr *pgconn.PgError) string {
	if pgErr.ConstraintName == "" {
		return ""
	}
	return " (constraint " + pgErr.ConstraintName + ")"
}

// isUnavailable reports whether err means the database could not be reached
// or the caller stopped waiting.
func isUnavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) ||
		errors.As(err, &connectErr) ||
		errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, puddle.ErrClosedPool) ||
		pgconn.Timeout(err) ||
		pgconn.SafeToRetry(err)
}

// ConstraintName returns the name of the constraint a PostgreSQL error in
// err's chain violated, or "" if there is none. It sees through MapError, so
// a store can turn a conflict into a precise message:
//
//	if iampg.ConstraintName(err) == "users_realm_email_key" {
//		return iam.Conflictf("email already in use")
//	}
func ConstraintName(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}

// SQLState returns the SQLSTATE code of a PostgreSQL error in err's chain
// (e.g. "23505"), or "" if there is none.
func SQLState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
