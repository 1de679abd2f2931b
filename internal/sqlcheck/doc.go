// Package sqlcheck enforces OpenGate's multi-tenancy rule on SQL: every
// query against a realm-scoped table has realm_name in its predicate. Its
// test reads every queries/*.sql file of the module (sqlc query files,
// split at "-- name:" markers) and every migrations/*.sql file (to learn
// the tables), and fails with the offending file, query and reason.
//
// A table is realm-scoped when its migration gives it a realm_name column
// (CREATE TABLE or ALTER TABLE ... ADD COLUMN realm_name; a view, when its
// definition mentions realm_name). A table without one must be declared
// global, either in GlobalTables (realms, outbox, processed_events) or with
// a comment in its migration:
//
//	-- sqlcheck:global signing_key_algorithms
//
// A query passes when, after comments and string literals are removed,
// realm_name appears in a WHERE or JOIN ... ON clause — or, for an INSERT
// ... VALUES, in the inserted column list:
//
//	-- name: GetUser :one
//	SELECT * FROM users WHERE realm_name = @realm_name AND id = @id;
//
//	problems, err := sqlcheck.Check(os.DirFS(moduleRoot))
package sqlcheck
