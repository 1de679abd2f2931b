package notify

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Realm attributes (the realm's "attributes" map, as Keycloak keeps its
// realm attributes) that configure the notify service in a realm.
const (
	// AttrAlertThreshold is how many failed sign-ins of one user within the
	// window send them a security alert: a positive integer; absent, 0 or
	// malformed turns alerts off.
	AttrAlertThreshold = "loginFailureAlertThreshold"
	// AttrAlertWindow is the window in seconds (default
	// DefaultAlertWindow): at most one alert per user per window.
	AttrAlertWindow = "loginFailureAlertWindowSeconds"
	// AttrWelcome set to "false" turns the welcome mail off.
	AttrWelcome = "welcomeEmailEnabled"
)

// DefaultAlertWindow is the alert window when the realm sets none.
const DefaultAlertWindow = time.Hour

// alertPolicy is a realm's alert settings; threshold 0: off.
type alertPolicy struct {
	threshold int
	window    time.Duration
}

// alerts reads r's alert attributes. Malformed values turn alerts off (a
// threshold) or keep the default (a window).
func alerts(r realms.Realm) alertPolicy {
	p := alertPolicy{window: DefaultAlertWindow}
	if n, err := strconv.Atoi(strings.TrimSpace(r.Attributes[AttrAlertThreshold])); err == nil && n > 0 {
		p.threshold = n
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(r.Attributes[AttrAlertWindow]), 10, 64); err == nil && n > 0 && n <= 366*24*3600 {
		p.window = time.Duration(n) * time.Second
	}
	return p
}

// welcomeEnabled reads r's AttrWelcome (default true).
func welcomeEnabled(r realms.Realm) bool {
	on, err := strconv.ParseBool(strings.TrimSpace(r.Attributes[AttrWelcome]))
	return err != nil || on
}

// alerted reports whether a failed sign-in of reason counts toward the
// alert: a wrong password, or an attempt refused because the account is
// locked out. Unknown users, disabled users, blocked addresses (the
// password was not checked) and right passwords with required actions do
// not.
func alerted(reason string) bool {
	return reason == auth.ReasonInvalidCredentials || reason == auth.ReasonUserTemporarilyDisabled
}

// onLoginFailure counts a user's failed sign-in in the realm's window and,
// when the count reaches the threshold for the first time in the window,
// records the alert mail — in one transaction on PostgreSQL, once per
// event. The window starts at the first failure (the event's time) and
// ends window later; the next failure after it starts a new one.
func (s *Service) onLoginFailure(ctx context.Context, e iam.Event) error {
	d, err := decodeFailure(e)
	if err != nil {
		return err
	}
	if d.UserID == "" || !alerted(d.Reason) {
		return nil
	}
	r, err := s.realm(ctx, e.Realm)
	if err != nil {
		if iam.ErrorCode(err) == iam.CodeNotFound {
			return nil
		}
		return err
	}
	p := alerts(r)
	if p.threshold == 0 {
		return nil
	}
	// Read the owner first, so that the transaction below makes no call.
	u, ok, err := s.user(ctx, e.Realm, d.UserID)
	if err != nil || !ok {
		return err
	}
	at := e.Time.UTC()
	if at.IsZero() {
		at = s.timestamp()
	}
	at = at.Truncate(time.Microsecond)
	sent := false
	err = s.store.Once(ctx, Consumer, e.ID, func(st Store) error {
		var alert bool
		f, err := st.UpdateFailures(ctx, e.Realm, d.UserID, func(f *Failures) error {
			alert = count(f, at, p)
			return nil
		})
		if err != nil || !alert || u.Email == "" {
			return err
		}
		del := s.newDelivery(e, KindLoginAlert, u, u.Email)
		del.Data.Failures, del.Data.Window = f.Count, p.window
		del.Data.IPAddress, del.Data.FailedAt = d.IPAddress, at
		_, sent, err = st.Enqueue(ctx, del)
		return err
	})
	if err == nil && sent {
		s.nudge()
	}
	return err
}

// count adds a failure at time at to f under p and reports whether it
// crosses the threshold for the first time in its window.
func count(f *Failures, at time.Time, p alertPolicy) bool {
	if f.WindowStart.IsZero() || !at.Before(f.WindowStart.Add(p.window)) {
		f.WindowStart, f.Count, f.Alerted = at, 0, false
	}
	f.Count++
	if f.Count >= p.threshold && !f.Alerted {
		f.Alerted = true
		return true
	}
	return false
}
