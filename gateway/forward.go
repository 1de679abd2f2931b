package gateway

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// peerAddr returns the address of the connection's peer.
func peerAddr(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func trustedAddr(a netip.Addr, trusted []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP returns the client's address: the peer's, unless the peer is a
// trusted proxy; then the rightmost X-Forwarded-For address that is not a
// trusted proxy (every address right of it was added by a trusted proxy,
// so it is the one that connected to the first of them). A malformed
// X-Forwarded-For makes the peer the client. This is authhttp's rule, so
// the gateway and the auth service count the same address.
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := peerAddr(r)
	if !trustedAddr(peer, trusted) {
		return peer
	}
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(values[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[j]))
			if err != nil {
				return peer
			}
			if hop = hop.Unmap(); !trustedAddr(hop, trusted) {
				return hop
			}
		}
	}
	return peer
}

// forwardedHeaders sets the X-Forwarded-For, X-Forwarded-Proto,
// X-Forwarded-Host and Forwarded (RFC 7239) headers of out, the request
// sent upstream, from in, the request received. Headers the caller sent are
// kept (and extended) only when the peer is a trusted proxy; otherwise they
// are replaced, so a client cannot make an upstream believe another
// address, scheme or host.
func forwardedHeaders(out http.Header, in *http.Request, trusted []netip.Prefix) {
	peer := peerAddr(in)
	trust := trustedAddr(peer, trusted)
	proto := "http"
	if in.TLS != nil {
		proto = "https"
	}
	host := in.Host
	peerStr := addrString(peer)

	xff := peerStr
	if trust {
		if prior := strings.Join(in.Header.Values("X-Forwarded-For"), ", "); prior != "" {
			xff = prior + ", " + peerStr
		}
		if p := in.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
			proto = p
		}
		if h := in.Header.Get("X-Forwarded-Host"); h != "" && validHost(h) {
			host = h
		}
	}
	if peerStr != "" {
		out.Set("X-Forwarded-For", xff)
	} else {
		out.Del("X-Forwarded-For")
	}
	out.Set("X-Forwarded-Proto", proto)
	if validHost(host) {
		out.Set("X-Forwarded-Host", host)
	} else {
		out.Del("X-Forwarded-Host")
	}

	elem := forwardedElement(peer, host, proto)
	if trust {
		if prior := strings.Join(in.Header.Values("Forwarded"), ", "); prior != "" {
			elem = prior + ", " + elem
		}
	}
	out.Set("Forwarded", elem)
}

// forwardedElement returns one RFC 7239 element: for=<peer>;host=<host>;proto=<proto>.
func forwardedElement(peer netip.Addr, host, proto string) string {
	var b strings.Builder
	b.WriteString("for=")
	switch {
	case !peer.IsValid():
		b.WriteString("unknown")
	case peer.Is6():
		b.WriteString(`"[` + peer.String() + `]"`)
	default:
		b.WriteString(peer.String())
	}
	if validHost(host) {
		b.WriteString(`;host="` + host + `"`)
	}
	b.WriteString(";proto=" + proto)
	return b.String()
}

// validHost accepts a host[:port] made of the characters a DNS name, an IP
// literal and a port use, so it can be quoted into Forwarded safely.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_') {
			return false
		}
	}
	return true
}
