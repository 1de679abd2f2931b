package opengate

import (
	"context"

	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifymem"
	"github.com/opengate-iam/opengate/notify/notifypg"
	"github.com/opengate-iam/opengate/notify/notifysmtp"
)

// newNotify makes the notify service: its delivery log in the
// notifications database or in memory; users and realms read in process;
// action links opened with links; a new user awaiting verification sent a
// link through s.Users. Mail goes through each realm's smtpServer, else
// cfg.SMTP; without cfg.SMTP, mail of realms without smtpServer is logged
// (notify.LogTransport, links included: the quickstart's default). The
// worker's claims carry cfg.Instance (none when it is empty: then only
// their leases end them).
func (s *Server) newNotify(cfg Config, links *iamcrypto.Sealer) (*notify.Service, error) {
	var store notify.Store = notifymem.New()
	if d := s.dbs; d != nil {
		store = notifypg.New(d.Notifications)
	}
	opts := []notify.Option{notify.WithLinkSealer(links), notify.WithVerification(s.Users),
		notify.WithTransport(notifysmtp.New()), notify.WithPublicURL(cfg.IssuerBase), notify.WithLogger(s.log),
		notify.WithInstance(cfg.Instance)}
	if cfg.SMTP != nil {
		opts = append(opts, notify.WithDefaultServer(*cfg.SMTP))
	} else {
		opts = append(opts, notify.WithFallback(notify.LogTransport{Log: s.log}))
	}
	return notify.New(store, s.Users, s.Realms, append(opts, cfg.Options.Notify...)...)
}

// notifySender sends the MFA service's email codes through s.Notify, which
// is built after the MFA service (it reads users, who read factors).
type notifySender struct{ s *Server }

// SendOTP calls notify.Service.SendOTP.
func (n notifySender) SendOTP(ctx context.Context, m mfa.Message) error {
	return n.s.Notify.SendOTP(ctx, m)
}
