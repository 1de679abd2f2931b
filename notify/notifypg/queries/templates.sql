-- name: PutTemplate :exec
INSERT INTO templates (realm_name, kind, locale, subject, html, text_body, updated_at)
VALUES (@realm_name, @kind, @locale, @subject, @html, @text_body, @updated_at)
ON CONFLICT (realm_name, kind, locale) DO UPDATE SET
	subject = EXCLUDED.subject, html = EXCLUDED.html, text_body = EXCLUDED.text_body, updated_at = EXCLUDED.updated_at;

-- name: GetTemplate :one
SELECT * FROM templates WHERE realm_name = @realm_name AND kind = @kind AND locale = @locale;

-- name: ListTemplates :many
SELECT * FROM templates WHERE realm_name = @realm_name ORDER BY kind, locale;

-- name: DeleteTemplate :execrows
DELETE FROM templates WHERE realm_name = @realm_name AND kind = @kind AND locale = @locale;

-- name: DeleteRealmTemplates :exec
DELETE FROM templates WHERE realm_name = @realm_name;
