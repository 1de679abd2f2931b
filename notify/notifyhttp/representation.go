package notifyhttp

import (
	"time"

	"github.com/opengate-iam/opengate/notify"
)

// NotificationRepresentation is a delivery of the log as the admin API
// shows it: never its sealed link. Timestamps are Unix milliseconds, as in
// Keycloak's representations.
type NotificationRepresentation struct {
	ID        string `json:"id"`
	EventID   string `json:"eventId"`
	Kind      string `json:"kind"`
	UserID    string `json:"userId,omitempty"`
	Recipient string `json:"recipient"`
	Status    string `json:"status"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"lastError,omitempty"`
	// NextAttempt is when a pending delivery is next tried.
	NextAttempt      *int64 `json:"nextAttempt,omitempty"`
	CreatedTimestamp int64  `json:"createdTimestamp"`
	UpdatedTimestamp int64  `json:"updatedTimestamp"`
	SentTimestamp    *int64 `json:"sentTimestamp,omitempty"`
	// ExpiresTimestamp is when the mail's link or code stops working.
	ExpiresTimestamp *int64 `json:"expiresTimestamp,omitempty"`
}

func millis(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

func toRepresentation(d notify.Delivery) NotificationRepresentation {
	return NotificationRepresentation{ID: d.ID, EventID: d.EventID, Kind: string(d.Kind), UserID: d.UserID, Recipient: d.To,
		Status: string(d.Status), Attempts: d.Attempts, LastError: d.LastError, NextAttempt: millis(d.NextAttemptAt),
		CreatedTimestamp: d.CreatedAt.UnixMilli(), UpdatedTimestamp: d.UpdatedAt.UnixMilli(), SentTimestamp: millis(d.SentAt),
		ExpiresTimestamp: millis(d.Data.ExpiresAt)}
}

// TemplateRepresentation is a kind's templates in a locale: the realm's
// override, or the built-in source (builtin true).
type TemplateRepresentation struct {
	Kind             string `json:"kind"`
	Locale           string `json:"locale"`
	Subject          string `json:"subject"`
	HTML             string `json:"html"`
	Text             string `json:"text"`
	Builtin          bool   `json:"builtin"`
	UpdatedTimestamp *int64 `json:"updatedTimestamp,omitempty"`
}

func toTemplate(t notify.TemplateView) TemplateRepresentation {
	return TemplateRepresentation{Kind: string(t.Kind), Locale: t.Locale, Subject: t.Subject, HTML: t.HTML, Text: t.Text,
		Builtin: t.Builtin, UpdatedTimestamp: millis(t.UpdatedAt)}
}

// templateInput is the body of a template PUT.
type templateInput struct {
	Subject string `json:"subject"`
	HTML    string `json:"html"`
	Text    string `json:"text"`
}

// otpRequest is the body of the internal e-mail OTP endpoint.
type otpRequest struct {
	UserID  string `json:"userId"`
	Channel string `json:"channel"`
	To      string `json:"to"`
	Code    string `json:"code"`
	// ExpiresAt is when the code stops working, Unix milliseconds.
	ExpiresAt int64 `json:"expiresAt,omitempty"`
}
