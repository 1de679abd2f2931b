// Command webapp is a small web application that signs its users in with
// OpenGate's hosted login, using only unmodified OIDC libraries
// (golang.org/x/oauth2 and github.com/coreos/go-oidc/v3) and the standard
// library — nothing of OpenGate's own code. It is an OpenID Connect
// relying party:
//
//   - sign-in: the authorization-code flow with PKCE (S256), a state bound
//     to the browser by a cookie and checked on return, the issuer of the
//     response checked (RFC 9207), the ID token verified (signature,
//     issuer, audience, expiry, nonce, at_hash);
//   - a session of its own: a random cookie (HttpOnly, SameSite=Lax,
//     Secure under https) naming a session kept in memory;
//   - a page that shows the ID token's claims;
//   - sign-out: the application's session ends, then the browser goes to
//     OpenGate's end_session_endpoint with id_token_hint, which ends the
//     OpenGate session too, and comes back to the application.
//
// Flags (the defaults shown) — none collides with OpenGate's ports
// 8080-8088 or the other examples' (8090, 8091):
//
//	-addr localhost:8092              where the application listens (it logs it)
//	-url http://{addr}                the URL browsers reach it at; its redirect URI is {url}/callback,
//	                                  its post-logout redirect URI {url}/
//	-opengate http://localhost:8080   OpenGate's base URL
//	-realm demo                       the realm users sign in to
//	-client-id webapp                 the realm's public client registered for the application
//
// README.md beside this file sets up the realm, client and user with curl
// and runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "webapp:", err)
		}
		os.Exit(1)
	}
}

// run parses args (the flags above; flag errors and -h go to stderr),
// discovers the realm's OpenID configuration and serves the application
// until ctx ends, logging to stderr.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "localhost:8092", "listen address")
	publicURL := fs.String("url", "", "the URL browsers reach the application at (default http://{addr}); "+
		"redirect URI {url}/callback, post-logout redirect URI {url}/")
	opengate := fs.String("opengate", "http://localhost:8080", "OpenGate's base URL")
	realm := fs.String("realm", "demo", "the realm users sign in to")
	clientID := fs.String("client-id", "webapp", "the realm's public client registered for this application")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *realm == "" || *clientID == "" {
		return errors.New("-realm and -client-id must not be empty")
	}
	base, err := httpURL("-opengate", *opengate)
	if err != nil {
		return err
	}
	if *publicURL != "" {
		if _, err := httpURL("-url", *publicURL); err != nil {
			return err
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	issuer := base + "/realms/" + url.PathEscape(*realm)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	self := strings.TrimSuffix(*publicURL, "/")
	if self == "" {
		self = defaultURL(*addr, ln.Addr())
	}
	a, err := newApp(ctx, config{issuer: issuer, clientID: *clientID, url: self, log: log})
	if err != nil {
		return err
	}
	log.Info("webapp listening", "url", self, "issuer", issuer, "client_id", *clientID)
	return serve(ctx, ln, a.routes())
}

// httpURL returns raw without a trailing slash, or an error naming flag
// when it is not an absolute http or https URL without query or fragment.
func httpURL(flag, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%s %q: want an absolute http or https URL", flag, raw)
	}
	return strings.TrimSuffix(raw, "/"), nil
}

// defaultURL is http://{addr} with the port the listener got (for port 0)
// and localhost for an empty host, so that -addr :8092 gives
// http://localhost:8092.
func defaultURL(addr string, got net.Addr) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	port := "0"
	if tcp, ok := got.(*net.TCPAddr); ok {
		port = fmt.Sprint(tcp.Port)
	}
	return "http://" + net.JoinHostPort(host, port)
}

// serve serves h on ln until ctx ends, then shuts down gracefully (10 s at
// most).
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
