package notifytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/opengate-iam/opengate/notify"
)

// SMTPServer is a real SMTP server (emersion/go-smtp) on 127.0.0.1 in the
// test process. It records every message it accepts, can be told to refuse
// mail or to keep senders waiting, can require authentication and offers
// STARTTLS with a certificate of its own (TLSConfig trusts it). It stops
// when the test ends. It is safe for concurrent use.
type SMTPServer struct {
	// Host and Port are where it listens.
	Host string
	Port int
	// RootCAs trusts the server's certificate (for the client's TLS
	// configuration).
	RootCAs *x509.CertPool

	user, password string

	mu       sync.Mutex
	received []Received
	attempts int
	refusal  *smtp.SMTPError
	authFail string // the AUTH reply when credentials are wrong
	logins   []string
	hold     chan struct{} // closed by Release; nil when not holding
	held     int
}

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	Raw  []byte
	// Header is the message's header (net/mail), Text and HTML its
	// decoded plain-text and HTML parts.
	Header mail.Header
	Text   string
	HTML   string
}

// SMTPOption configures an SMTPServer.
type SMTPOption func(*SMTPServer)

// WithAuth makes the server require AUTH PLAIN with user and password.
func WithAuth(user, password string) SMTPOption {
	return func(s *SMTPServer) { s.user, s.password = user, password }
}

// NewSMTPServer starts a server on a free port of 127.0.0.1.
func NewSMTPServer(t testing.TB, opts ...SMTPOption) *SMTPServer {
	t.Helper()
	s := &SMTPServer{}
	for _, o := range opts {
		o(s)
	}
	cert, pool := selfSigned(t)
	s.RootCAs = pool
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 4 << 20
	srv.ErrorLog = discard{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		s.Release()
		_ = srv.Close()
	})
	return s
}

type discard struct{}

func (discard) Printf(string, ...any) {}
func (discard) Println(...any)        {}

// Server returns settings that reach this server from address from: in
// clear, with STARTTLS when startTLS, with its credentials when it
// requires them.
func (s *SMTPServer) Server(from string, startTLS bool) notify.Server {
	return notify.Server{Host: s.Host, Port: s.Port, From: from, User: s.user, Password: s.password, StartTLS: startTLS}
}

// Refuse makes the server answer every message with code and message (a
// 4xx or 5xx) at DATA time; Accept undoes it.
func (s *SMTPServer) Refuse(code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusal = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: message}
}

// Hold makes the server keep every sender waiting for the answer to MAIL
// FROM until Release. A sender held there has not sent its message yet: if
// it dies meanwhile (its process killed), nothing of it arrives.
func (s *SMTPServer) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold == nil {
		s.hold = make(chan struct{})
	}
}

// Release answers the senders Hold keeps waiting and stops holding.
func (s *SMTPServer) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
}

// Held returns how many senders Hold keeps waiting now.
func (s *SMTPServer) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// wait keeps a sender waiting while the server holds.
func (s *SMTPServer) wait() {
	s.mu.Lock()
	hold := s.hold
	if hold != nil {
		s.held++
	}
	s.mu.Unlock()
	if hold == nil {
		return
	}
	<-hold
	s.mu.Lock()
	s.held--
	s.mu.Unlock()
}

// Accept makes the server accept mail again.
func (s *SMTPServer) Accept() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusal = nil
}

// FailAuthWith makes a wrong password's AUTH reply say msg (a server that
// echoes what it was given, say).
func (s *SMTPServer) FailAuthWith(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authFail = msg
}

// Messages returns the accepted messages, in order.
func (s *SMTPServer) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received{}, s.received...)
}

// Attempts returns how many messages were offered (DATA), accepted or not.
func (s *SMTPServer) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Logins returns the usernames of successful logins.
func (s *SMTPServer) Logins() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.logins...)
}

// session is one SMTP connection.
type session struct {
	srv    *SMTPServer
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

func (c *session) AuthMechanisms() []string {
	if c.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (c *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		c.srv.mu.Lock()
		defer c.srv.mu.Unlock()
		if user != c.srv.user || password != c.srv.password {
			msg := "Authentication failed"
			if c.srv.authFail != "" {
				msg = c.srv.authFail
			}
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: msg}
		}
		c.authed = true
		c.srv.logins = append(c.srv.logins, user)
		return nil
	}), nil
}

func (c *session) Mail(from string, _ *smtp.MailOptions) error {
	if c.srv.user != "" && !c.authed {
		return smtp.ErrAuthRequired
	}
	c.srv.wait()
	c.from = from
	return nil
}

func (c *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	c.to = append(c.to, to)
	return nil
}

func (c *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	c.srv.attempts++
	if c.srv.refusal != nil {
		return c.srv.refusal
	}
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "malformed message: " + err.Error()}
	}
	m.From, m.To = c.from, append([]string{}, c.to...)
	c.srv.received = append(c.srv.received, m)
	return nil
}

func (c *session) Reset()        { c.from, c.to = "", nil }
func (c *session) Logout() error { return nil }

// parse reads a message's header and its text and HTML parts.
func parse(raw []byte) (Received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Received{}, err
	}
	out := Received{Raw: raw, Header: msg.Header}
	err = walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &out)
	return out, err
}

// walk decodes a part, descending into multiparts.
func walk(contentType, encoding string, body io.Reader, out *Received) error {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, out); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = newBase64Reader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch media {
	case "text/plain":
		out.Text = string(b)
	case "text/html":
		out.HTML = string(b)
	}
	return nil
}

// selfSigned makes a certificate for 127.0.0.1 and localhost and a pool
// that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "notifytest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// Address returns a received header's address (To, From, Reply-To), or
// "" when it is missing or malformed.
func (r Received) Address(header string) *mail.Address {
	a, err := mail.ParseAddress(r.Header.Get(header))
	if err != nil {
		return nil
	}
	return a
}

// Subject returns the decoded Subject header.
func (r Received) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(r.Header.Get("Subject"))
	if err != nil {
		return r.Header.Get("Subject")
	}
	return s
}
