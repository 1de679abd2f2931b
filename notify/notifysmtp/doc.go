// Package notifysmtp is the notify service's SMTP transport, on
// wneessen/go-mail: a multipart/alternative message (plain text and HTML,
// UTF-8, quoted-printable) with From, To, Reply-To, Date, Message-ID and
// Auto-Submitted headers, sent through a notify.Server — implicit TLS
// (ssl), mandatory STARTTLS (starttls) or in clear, with SMTP AUTH when the
// server has a user (the strongest mechanism both sides support).
//
//	svc, err := notify.New(store, users, realms,
//		notify.WithTransport(notifysmtp.New()),
//		notify.WithDefaultServer(notify.Server{Host: "smtp.example.com", From: "id@example.com", StartTLS: true}))
package notifysmtp
