// Package notify is OpenGate's notification service: it turns events into
// mail and keeps a log of what it sent.
//
//   - Mail: a welcome mail (user.created), e-mail verification
//     (user.verify_email_requested, and for a new user with VERIFY_EMAIL),
//     password reset and execute-actions mails
//     (user.password_reset_requested), security alerts after repeated
//     failed sign-ins (auth.login.failure, the realm's
//     loginFailureAlertThreshold within loginFailureAlertWindowSeconds,
//     at most once per window), and the mfa service's e-mail codes
//     (Service implements mfa.Sender).
//   - Templates: html/template with a plain-text alternative per kind,
//     built in (embedded, in English, German and French) or overridden per
//     realm and locale; the user's "locale" attribute picks the language,
//     with English as the fallback.
//   - Delivery log: one delivery per (event, kind), so a redelivered event
//     never sends twice; pending, sent or failed, with attempts, the last
//     error and the next attempt. The worker (Run) retries with
//     exponential backoff and fails a delivery after the configured
//     attempts; an administrator can Retry it.
//   - Secrets: action links arrive sealed in their events and stay sealed
//     in the log until sent (then dropped); codes are never stored; the
//     SMTP password, links and codes never reach a log or an error.
//
// Mail goes through the realm's smtpServer settings, else the
// deployment's default server, through a Transport (notifysmtp); a
// LogTransport fallback logs mail for development. Stores: notifymem,
// notifypg; HTTP: notifyhttp; the bus: notifykafka; the conformance suite
// and a test SMTP server: notifytest.
//
//	svc, err := notify.New(notifypg.New(pool), usersSvc, realmsSvc,
//		notify.WithLinkSealer(links), // the deployment key's users.LinkPurpose subkey
//		notify.WithTransport(notifysmtp.New()),
//		notify.WithDefaultServer(notify.Server{Host: "smtp.example.com", From: "id@example.com", StartTLS: true}))
//	go notifykafka.Run(ctx, sub, svc) // events in
//	go svc.Run(ctx)                   // mail out
package notify
