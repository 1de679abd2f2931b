package notify

import (
	"slices"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Kind is what a mail is about; each has its own template.
type Kind string

// Kinds of mail. KindSMTPTest is only sent by TestSMTP and never logged.
const (
	// KindWelcome greets a new user (user.created).
	KindWelcome Kind = "welcome"
	// KindVerifyEmail carries an e-mail verification link
	// (user.verify_email_requested).
	KindVerifyEmail Kind = "verify-email"
	// KindPasswordReset carries a forgotten-password link
	// (user.password_reset_requested from the user).
	KindPasswordReset Kind = "password-reset"
	// KindExecuteActions carries the link of the actions an administrator
	// asked the user to perform (execute-actions-email).
	KindExecuteActions Kind = "execute-actions"
	// KindLoginAlert warns the account owner of repeated failed sign-ins
	// (auth.login.failure beyond the realm's threshold).
	KindLoginAlert Kind = "login-failure-alert"
	// KindEmailOTP carries a one-time code of the mfa service.
	KindEmailOTP Kind = "email-otp"
	// KindSMTPTest is the test mail of TestSMTP.
	KindSMTPTest Kind = "smtp-test"
)

// Kinds returns every kind, in a fixed order.
func Kinds() []Kind {
	return []Kind{KindWelcome, KindVerifyEmail, KindPasswordReset, KindExecuteActions, KindLoginAlert, KindEmailOTP, KindSMTPTest}
}

// ParseKind returns the kind named s: CodeInvalid (field "kind") for any
// other string.
func ParseKind(s string) (Kind, error) {
	if k := Kind(s); slices.Contains(Kinds(), k) {
		return k, nil
	}
	return "", iam.Invalidf("kind", "unknown notification kind %q", truncate(s, 40))
}

// hasLink reports whether mails of kind k carry an action link that was
// sealed in their event.
func (k Kind) hasLink() bool {
	return k == KindVerifyEmail || k == KindPasswordReset || k == KindExecuteActions
}

// Status is where a delivery stands.
type Status string

// Statuses of a delivery.
const (
	// StatusPending: not sent yet; the worker attempts it at NextAttemptAt.
	StatusPending Status = "pending"
	// StatusSent: the SMTP server accepted the mail.
	StatusSent Status = "sent"
	// StatusFailed: every attempt failed; only an administrator's Retry
	// sends it again.
	StatusFailed Status = "failed"
)

// ParseStatus returns the status named s: CodeInvalid (field "status") for
// any other string.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case StatusPending, StatusSent, StatusFailed:
		return st, nil
	}
	return "", iam.Invalidf("status", "status must be pending, sent or failed")
}

// Delivery is one mail of the delivery log: one per (event id, kind), so a
// redelivered event never sends twice. It holds no secret in clear: an
// action link stays sealed as its event carried it (SealedLink, opened with
// EventID at each attempt and dropped once sent), and the code of an e-mail
// OTP is never stored.
type Delivery struct {
	ID      string // UUIDv7
	Realm   iam.Realm
	EventID string // the event that asked for the mail, or a fresh id for direct sends
	Kind    Kind
	UserID  string
	// To is the recipient's address.
	To     string
	Status Status
	// Attempts counts the attempts made (each claim by the worker is one).
	Attempts int
	// LastError is why the last attempt failed, with every secret of the
	// attempt (link, code, SMTP password) removed; "" after a success.
	LastError string
	// NextAttemptAt is when the next attempt is due (pending deliveries
	// only; zero otherwise).
	NextAttemptAt time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	SentAt        time.Time // zero until sent
	// Data is what the template needs besides the realm's current
	// settings.
	Data Data
	// SealedLink is the action link as the event carried it, sealed under
	// the link key with EventID as associated data (link kinds only; nil
	// once sent).
	SealedLink []byte
}

// Data is a delivery's template input. It never holds a secret.
type Data struct {
	// Locale is the recipient's language (their "locale" attribute), ""
	// for English.
	Locale    string   `json:"locale,omitempty"`
	Username  string   `json:"username,omitempty"`
	FirstName string   `json:"firstName,omitempty"`
	LastName  string   `json:"lastName,omitempty"`
	Actions   []string `json:"actions,omitempty"`
	// ExpiresAt is when the mail's link or code stops working.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// Login failures (KindLoginAlert): how many in how long, and the
	// last one's address and time.
	Failures  int           `json:"failures,omitempty"`
	Window    time.Duration `json:"window,omitempty"`
	IPAddress string        `json:"ipAddress,omitempty"`
	FailedAt  time.Time     `json:"failedAt,omitzero"`
}

// Clone returns a deep copy of d.
func (d Delivery) Clone() Delivery {
	d.Data.Actions = slices.Clone(d.Data.Actions)
	d.SealedLink = slices.Clone(d.SealedLink)
	return d
}

// Filter selects deliveries of a realm for List.
type Filter struct {
	Status Status // "": any
	UserID string // "": any
	Kind   Kind   // "": any
	// First skips that many deliveries (newest first); Max returns at most
	// that many (0: no limit at the store).
	First, Max int
}

// Matches reports whether d passes f's conditions (not its paging).
func (f Filter) Matches(d Delivery) bool {
	return (f.Status == "" || d.Status == f.Status) && (f.UserID == "" || d.UserID == f.UserID) &&
		(f.Kind == "" || d.Kind == f.Kind)
}

// Failures is the count of a user's failed sign-ins in the current alert
// window (see Service's login-failure alerts).
type Failures struct {
	Realm  iam.Realm
	UserID string
	// WindowStart is the first failure of the window (zero: no window).
	WindowStart time.Time
	Count       int
	// Alerted says that the alert of this window was sent.
	Alerted bool
}

// Template is a realm's override of a kind's mail in one locale. Each
// part is a Go template (html/template for HTML, text/template for the
// subject and text) over the kind's data (see docs/notify.md).
type Template struct {
	Realm     iam.Realm
	Kind      Kind
	Locale    string // "en", "de", "pt-br", ...
	Subject   string
	HTML      string
	Text      string
	UpdatedAt time.Time
}

// truncate shortens s to at most n runes for messages that quote input.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
