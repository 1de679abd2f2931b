package userstest

import (
	"net/url"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/users"
)

// NewLinkSealer returns a sealer for users.WithLinkSealer under a fresh
// deployment key.
func NewLinkSealer(t testing.TB) *iamcrypto.Sealer {
	t.Helper()
	s, err := iamcrypto.NewSealerFor(users.LinkPurpose, iamcrypto.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ActionKey opens the action link of e (a user.verify_email_requested or
// user.password_reset_requested event sealed with links) and returns its
// data and the single-use key of the link.
func ActionKey(t testing.TB, links *iamcrypto.Sealer, e iam.Event) (users.ActionRequestedData, string) {
	t.Helper()
	d, link, err := users.OpenActionLink(links, e)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return d, u.Query().Get("key")
}
